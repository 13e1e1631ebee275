"""One contract everywhere (issue 18): the CLI and every RPC accept and refuse the same documents.

Each refusal is checked through the CLI (exit 1, the message on stderr) and, wherever the wire can
carry the value at all, through the server (INVALID_ARGUMENT, the same message, the field in the
BadRequest detail). Values a typed ConverterContext cannot hold (a quoted boolean, a negative
uint32) are refused by protobuf's JSON parser before a request exists; that is asserted too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import load_request
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from server_harness import running_server, stub

from vmi_converter.api import context_pb2, service_pb2, service_pb2_grpc, vmi_pb2
from vmi_converter.server.cli import main
from vmi_converter.server.requests import MAX_DEPTH, check_depth, load_document

FEDORA = load_request("vmi-fedora")
DEPTH_MESSAGE = f"document nested deeper than {MAX_DEPTH} levels"


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    with running_server() as address:
        yield address


@pytest.fixture(scope="module")
def client(target: str) -> Iterator[service_pb2_grpc.ConverterStub]:
    with stub(target) as converter:
        yield converter


def _cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, document: Any) -> tuple[int, str, str]:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    code = main([command, str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.replace(f"{path}: ", "FILE: ")


def _refusal(call: Any) -> tuple[str, str]:
    """The message and the BadRequest field of an INVALID_ARGUMENT."""
    with pytest.raises(grpc.RpcError) as raised:
        call()
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT, raised.value.details()
    status = rpc_status.from_call(raised.value)
    fields = []
    for detail in status.details if status is not None else []:
        bad = error_details_pb2.BadRequest()
        detail.Unpack(bad)
        fields += [v.field for v in bad.field_violations]
    return raised.value.details(), fields[0] if fields else ""


def _with_context(**changes: Any) -> dict[str, Any]:
    request = copy.deepcopy(FEDORA)
    request["context"].update(changes)
    return request


# --- the context: types and ranges --------------------------------------------------------------

CONTEXT_REFUSALS = {
    "quoted-boolean": (
        {"hypervisorDeviceAvailable": "false"},
        "context.hypervisorDeviceAvailable",
        "expected a boolean, got a string",
    ),
    "negative-period": (
        {"memBalloonStatsPeriod": -5},
        "context.memBalloonStatsPeriod",
        "expected an integer from 0 to 4294967295, got -5",
    ),
    "non-numeric-size": (
        {"disksInfo": {"containerdisk": {"format": "qcow2", "virtual-size": "big"}}},
        'context.disksInfo["containerdisk"].virtual-size',
        "expected an integer, got a string",
    ),
    "negative-size": (
        {"disksInfo": {"containerdisk": {"format": "qcow2", "virtual-size": -1}}},
        'context.disksInfo["containerdisk"].virtual-size',
        "expected an integer from 0 to 9223372036854775807, got -1",
    ),
    "negative-cpu": ({"cpuSet": [1, -2]}, "context.cpuSet[1]", "expected an integer from 0 to 2147483647, got -2"),
    "period-too-large": (
        {"memBalloonStatsPeriod": 2**32},
        "context.memBalloonStatsPeriod",
        "expected an integer from 0 to 4294967295, got 4294967296",
    ),
}


@pytest.mark.parametrize("case", CONTEXT_REFUSALS.values(), ids=list(CONTEXT_REFUSALS))
def test_context_values_are_refused_by_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: tuple[dict[str, Any], str, str]
) -> None:
    changes, field, message = case
    code, out, err = _cli(tmp_path, capsys, "convert", _with_context(**changes))
    assert (code, out, err) == (1, "", f"FILE: {field}: {message}\n")


@pytest.mark.parametrize("case", CONTEXT_REFUSALS.values(), ids=list(CONTEXT_REFUSALS))
def test_context_values_are_refused_by_the_server(
    client: service_pb2_grpc.ConverterStub, case: tuple[dict[str, Any], str, str]
) -> None:
    changes, field, message = case
    request = _with_context(**changes)
    try:
        context = json_format.ParseDict(request["context"], context_pb2.ConverterContext())
    except json_format.ParseError:
        return  # the wire cannot carry it: no client can send it (protobuf's JSON parser refuses it)
    vmi_json = json.dumps(request["vmi"]).encode()
    convert = service_pb2.ConvertRequest(vmi_json=vmi_json, context=context)
    assert _refusal(lambda: client.Convert(convert, timeout=30)) == (f"{field}: {message}", field)
    explain = service_pb2.ExplainRequest(vmi_json=vmi_json, context=context)
    assert _refusal(lambda: client.Explain(explain, timeout=30)) == (f"{field}: {message}", field)


def test_values_only_the_cli_can_meet_are_refused_by_protobuf_too() -> None:
    """What a typed context cannot hold never reaches the server: all three JSON doors refuse it."""
    for name in ("quoted-boolean", "negative-period", "non-numeric-size", "period-too-large"):
        changes = CONTEXT_REFUSALS[name][0]
        with pytest.raises(json_format.ParseError):
            json_format.ParseDict(_with_context(**changes)["context"], context_pb2.ConverterContext())


def test_context_file_is_checked_like_the_request(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "vmi.json").write_text(json.dumps(FEDORA["vmi"]))
    (tmp_path / "context.json").write_text(json.dumps({**FEDORA["context"], "memBalloonStatsPeriod": -5}))
    assert main(["convert", "--context", str(tmp_path / "context.json"), str(tmp_path / "vmi.json")]) == 1
    message = "context.memBalloonStatsPeriod: expected an integer from 0 to 4294967295, got -5"
    assert capsys.readouterr().err == f"{tmp_path / 'context.json'}: {message}\n"


def test_unknown_context_keys_are_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    request = _with_context(architecure="arm64", diskInfo={})
    code, out, err = _cli(tmp_path, capsys, "convert", request)
    assert code == 0 and out.startswith("<domain")
    assert err == (
        "FILE: warning: context.architecure: unknown field, ignored\n"
        "FILE: warning: context.diskInfo: unknown field, ignored\n"
    )
    code, out, err = _cli(tmp_path, capsys, "explain", request)
    assert code == 0
    assert err.splitlines()[:2] == [
        "FILE: warning: context.architecure: unknown field, ignored",
        "FILE: warning: context.diskInfo: unknown field, ignored",
    ]


# --- timestamps as Kubernetes prints them --------------------------------------------------------


def test_a_malformed_timestamp_is_refused_everywhere(
    client: service_pb2_grpc.ConverterStub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    vmi = copy.deepcopy(FEDORA["vmi"])
    vmi["metadata"]["creationTimestamp"] = "yesterday"
    field, message = "metadata.creationTimestamp", "expected an RFC 3339 timestamp such as 2024-05-01T10:00:00Z"
    code, _, err = _cli(tmp_path, capsys, "convert", {"vmi": vmi, "context": FEDORA["context"]})
    assert (code, err) == (1, f"FILE: {field}: {message}, got 'yesterday'\n")
    request = service_pb2.ConvertRequest(vmi_json=json.dumps(vmi).encode())
    assert _refusal(lambda: client.Convert(request, timeout=30)) == (f"{field}: {message}, got 'yesterday'", field)
    with pytest.raises(json_format.ParseError):
        json_format.ParseDict(vmi, vmi_pb2.VirtualMachineInstance())


# --- depth ---------------------------------------------------------------------------------------


def _nested_object(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


DEEP_DOCUMENTS = {
    "json-objects": _nested_object(5000),
    "json-lists": "[" * 5000 + "]" * 5000,
    "yaml-flow": "a: " + "{a: " * 5000 + "1" + "}" * 5000,
    "yaml-flow-lists": "a: " + "[" * 5000 + "]" * 5000,
    "yaml-block": "".join(" " * n + "a:\n" for n in range(200)) + " " * 200 + "1\n",
    "just-too-deep": json.dumps({"metadata": {"name": "x"}, "spec": {"affinity": json.loads(_nested_object(63))}}),
}


def test_depth_limit_boundary() -> None:
    check_depth(json.loads(_nested_object(MAX_DEPTH)), "vmi")
    with pytest.raises(Exception, match=DEPTH_MESSAGE):
        check_depth(json.loads(_nested_object(MAX_DEPTH + 1)), "vmi")
    assert load_document(_nested_object(MAX_DEPTH), "vmiJson") is not None


@pytest.mark.parametrize("text", DEEP_DOCUMENTS.values(), ids=list(DEEP_DOCUMENTS))
def test_deep_documents_are_refused_by_every_rpc(client: service_pb2_grpc.ConverterStub, text: str) -> None:
    data = text.encode()
    migratable = service_pb2.MigratableXMLRequest(vmi_json=data, domain_xml="<domain/>")
    hotplug = service_pb2.HotplugDiskRequest(vmi_json=data, domain_xml="<domain/>")
    calls = [
        lambda: client.Convert(service_pb2.ConvertRequest(vmi_json=data), timeout=30),
        lambda: client.Explain(service_pb2.ExplainRequest(vmi_json=data), timeout=30),
        lambda: client.MigratableXML(migratable, timeout=30),
        lambda: client.HotplugDisk(hotplug, timeout=30),
    ]
    for call in calls:
        assert _refusal(call) == (f"vmiJson: {DEPTH_MESSAGE}", "vmiJson")
    stream = client.ConvertStream(iter([service_pb2.ConvertStreamRequest(id="deep", vmi_json=data)]), timeout=30)
    (answer,) = list(stream)
    assert (answer.error.code, answer.error.message) == (3, f"vmiJson: {DEPTH_MESSAGE}")


@pytest.mark.parametrize("text", DEEP_DOCUMENTS.values(), ids=list(DEEP_DOCUMENTS))
@pytest.mark.parametrize("command", ["convert", "explain", "migratable-xml", "hotplug-disk"])
def test_deep_documents_are_refused_by_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, command: str
) -> None:
    assert _cli(tmp_path, capsys, command, text) == (1, "", f"FILE: {DEPTH_MESSAGE}\n")


def test_a_deep_vmi_inside_a_flow_request_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = '{"domainXml": "<domain/>", "vmiJson": ' + json.dumps(_nested_object(100)) + "}"
    assert _cli(tmp_path, capsys, "hotplug-disk", document) == (1, "", f"FILE: vmiJson: {DEPTH_MESSAGE}\n")


def _varint(number: int) -> bytes:
    out = b""
    while True:
        low, number = number & 0x7F, number >> 7
        if not number:
            return out + bytes([low])
        out += bytes([low | 0x80])


def _field(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def test_a_typed_message_nested_too_deep_is_invalid_argument(target: str) -> None:
    """A Struct (spec.affinity) nested 300 levels: protobuf refuses to decode it; that is the caller's fault."""
    struct = b""
    for _ in range(300):
        struct = _field(1, _field(1, b"a") + _field(2, _field(5, struct)))  # fields["a"].struct_value
    request = _field(2, _field(4, _field(4, struct)))  # ConvertRequest.vmi.spec.affinity
    with grpc.insecure_channel(target) as channel:
        raw = channel.unary_unary(
            "/kubevirt.converter.v1.Converter/Convert", request_serializer=bytes, response_deserializer=bytes
        )
        message, _ = _refusal(lambda: raw(request, timeout=30))
    assert message.startswith("the request is not a valid protobuf message (at most 100 nested messages): ")


# --- flow requests ----------------------------------------------------------------------------


def test_flow_requests_warn_about_unknown_vmi_fields(client: service_pb2_grpc.ConverterStub) -> None:
    vmi = copy.deepcopy(FEDORA["vmi"])
    vmi["spec"]["domain"]["devices"]["disks"][0]["dedicatedIoThread"] = True
    request = service_pb2.HotplugDiskRequest(
        vmi_json=json.dumps(vmi).encode(),
        domain_xml="<domain></domain>",
        context=json_format.ParseDict(FEDORA["context"], context_pb2.ConverterContext()),
    )
    answer = client.HotplugDisk(request, timeout=30)
    assert list(answer.warnings) == ["spec.domain.devices.disks[0].dedicatedIoThread: unknown field, ignored"]


def test_flow_request_files_are_checked_against_their_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = {"domainXml": "<domain></domain>", "vmi": FEDORA["vmi"], "context": FEDORA["context"]}
    document = {**base, "volumes": {"v": {"isBlock": "yes"}}}
    code, _, err = _cli(tmp_path, capsys, "hotplug-disk", document)
    assert (code, err) == (1, 'FILE: volumes["v"].isBlock: expected a boolean, got a string\n')
    document = {**base, "contxt": {}}
    code, out, err = _cli(tmp_path, capsys, "hotplug-disk", document)
    assert (code, err) == (0, "FILE: warning: contxt: unknown field, ignored\n")
    assert json.loads(out)["warnings"] == ["contxt: unknown field, ignored"]


# --- a VirtualMachine as kubectl prints it -------------------------------------------------------


def test_a_kubectl_vm_converts_alike_in_the_cli_and_the_server(
    client: service_pb2_grpc.ConverterStub, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kubectl get vm -o json` (managedFields, null timestamps in the template and the conditions) as a file
    and as vmiJson: the same domain, no warnings."""
    kubectl = Path(__file__).resolve().parents[1] / "data/kubectl"
    vm, context = kubectl / "vm-cirros.json", kubectl / "context-vm-cirros.json"
    assert json.loads(vm.read_text())["spec"]["template"]["metadata"]["creationTimestamp"] is None
    assert main(["convert", "--context", str(context), str(vm)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    request = service_pb2.ConvertRequest(
        vmi_json=vm.read_bytes(), context=json_format.Parse(context.read_text(), context_pb2.ConverterContext())
    )
    answer = client.Convert(request, timeout=30)
    assert (answer.domain_xml, list(answer.warnings)) == (out, [])


def test_an_unknown_key_is_named_on_one_line(
    client: service_pb2_grpc.ConverterStub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by the fuzz campaign: a key holding a newline made a two-line CLI warning."""
    vmi = copy.deepcopy(FEDORA["vmi"])
    vmi["metadata"]["bad\nkey"] = 1
    warning = 'metadata["bad\\nkey"]: unknown field, ignored'
    code, _, err = _cli(tmp_path, capsys, "convert", {"vmi": vmi, "context": FEDORA["context"]})
    assert (code, err) == (0, f"FILE: warning: {warning}\n")
    context = json_format.ParseDict(FEDORA["context"], context_pb2.ConverterContext())
    answer = client.Convert(service_pb2.ConvertRequest(vmi_json=json.dumps(vmi).encode(), context=context), timeout=30)
    assert list(answer.warnings) == [warning]
