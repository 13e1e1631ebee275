"""The gRPC server end to end: a real port and a unix socket, real clients."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path

import grpc
import pytest
from conftest import EXPECTED_BUILD, expected_xml, load_request
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from libvirt_check import assert_same_domain
from server_harness import convert_request, running_server, stub

from vmi_converter.api import service_pb2

GOLDEN = "golden-amd64"


@pytest.fixture(scope="module", params=["tcp", "unix"])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    address = "127.0.0.1:0"
    if request.param == "unix":
        address = f"unix:{tmp_path_factory.mktemp('sock') / 'converter.sock'}"
    with running_server(address) as dial:
        yield dial


def test_convert_vmi_message(target: str) -> None:
    with stub(target) as client:
        response = client.Convert(convert_request(load_request(GOLDEN), "golden"))
    assert response.id == "golden"
    assert_same_domain(response.domain_xml, expected_xml(GOLDEN))


def test_convert_vmi_json_bytes(target: str) -> None:
    request = load_request(GOLDEN)
    message = convert_request({"context": request["context"]}, "raw")
    message.vmi_json = json.dumps(request["vmi"]).encode()
    with stub(target) as client:
        response = client.Convert(message)
    assert_same_domain(response.domain_xml, expected_xml(GOLDEN))


def test_stream_keeps_going_after_a_bad_item(target: str) -> None:
    good = load_request(GOLDEN)
    items = [
        convert_request(good, "first", service_pb2.ConvertStreamRequest),
        service_pb2.ConvertStreamRequest(id="broken", vmi_json=b"{not json: ["),
        convert_request(load_request("golden-arm64"), "third", service_pb2.ConvertStreamRequest),
    ]
    with stub(target) as client:
        responses = list(client.ConvertStream(iter(items)))
    assert [r.id for r in responses] == ["first", "broken", "third"]
    assert [r.WhichOneof("result") for r in responses] == ["domain_xml", "error", "domain_xml"]
    assert responses[1].error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert responses[1].error.message.startswith("vmiJson: neither JSON nor YAML")
    assert_same_domain(responses[0].domain_xml, expected_xml(GOLDEN))
    assert_same_domain(responses[2].domain_xml, expected_xml("golden-arm64"))


def test_health_reports_serving(target: str) -> None:
    with grpc.insecure_channel(target) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", "kubevirt.converter.v1.Converter"):
            reply = health.Check(health_pb2.HealthCheckRequest(service=service))
            assert reply.status == health_pb2.HealthCheckResponse.SERVING


def _with(document: dict, path: list[str | int], value: object) -> dict:  # type: ignore[type-arg]
    changed = copy.deepcopy(document)
    node = changed
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return changed


REJECTED = [
    # (case, request JSON, field, message start)
    ("no VMI", {"context": {}}, "vmi", "a VirtualMachineInstance is required"),
    ("wrong kind", {"vmi": {"kind": "Pod"}}, "vmi.kind", (
        "expected a VirtualMachineInstance, VirtualMachine, VirtualMachinePool or VirtualMachineInstanceReplicaSet, "
        "or a List of them, got 'Pod'"
    )),
    (
        "unknown architecture",
        _with(load_request(GOLDEN), ["context", "architecture"], "riscv64"),
        "context.architecture",
        "unsupported architecture 'riscv64'",
    ),
    (
        "pciAddress on a sata disk",
        _with(
            load_request(GOLDEN),
            ["vmi", "spec", "domain", "devices", "disks", 4, "disk"],
            {"bus": "sata", "pciAddress": "0000:81:01.0"},
        ),
        "spec.domain.devices.disks[4].disk.pciAddress",
        "setting a pci address is not allowed for non-virtio bus types, for disk should_default_to_disk",
    ),
    (
        "watchdog on arm64",
        _with(
            load_request("golden-arm64"),
            ["vmi", "spec", "domain", "devices", "watchdog"],
            {"name": "wd", "i6300esb": {"action": "reset"}},
        ),
        "spec.domain.devices.watchdog",
        "watchdog is not supported on architecture ARM64",
    ),
    (
        "unsupported sound model",
        _with(load_request(GOLDEN), ["vmi", "spec", "domain", "devices", "sound"], {"name": "s", "model": "sb16"}),
        "spec.domain.devices.sound.model",
        "invalid model: sb16",
    ),
    (
        "interface without network",
        _with(load_request(GOLDEN), ["vmi", "spec", "networks"], []),
        "spec.domain.devices.interfaces[0]",
        "failed to find network default",
    ),
]


@pytest.mark.parametrize(("case", "document", "field", "message"), REJECTED, ids=[c[0] for c in REJECTED])
def test_rejected_input_names_the_field(
    target: str,
    case: str,
    document: dict,
    field: str,  # type: ignore[type-arg]
    message: str,
) -> None:
    with stub(target) as client, pytest.raises(grpc.RpcError) as raised:
        client.Convert(convert_request(document))
    err = raised.value
    assert err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert err.details() == f"{field}: {message}" or err.details().startswith(f"{field}: {message}")
    status = rpc_status.from_call(err)
    assert status is not None
    bad_request = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad_request)
    assert bad_request.field_violations[0].field == field


def _grpcurl(*args: str, stdin: str | None = None) -> str:
    done = subprocess.run(["grpcurl", *args], input=stdin, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _grpcurl_target(target: str, *flags: str) -> list[str]:
    """grpcurl's flags must come before the address."""
    if target.startswith("unix:"):
        return ["-plaintext", "-unix", *flags, target[len("unix:") :]]
    return ["-plaintext", *flags, target]


def test_grpcurl_lists_the_service(target: str) -> None:
    services = _grpcurl(*_grpcurl_target(target), "list").split()
    assert "kubevirt.converter.v1.Converter" in services
    assert "grpc.health.v1.Health" in services
    methods = _grpcurl(*_grpcurl_target(target), "list", "kubevirt.converter.v1.Converter").split()
    assert methods == [
        f"kubevirt.converter.v1.Converter.{m}"
        for m in ("Convert", "ConvertStream", "Explain", "HotplugDisk", "Info", "MigratableXML")
    ]


def test_grpcurl_converts_a_kubectl_style_vmi(target: str, tmp_path: Path) -> None:
    """A VMI as `kubectl get vmi -o json` prints it (metadata, status and all) parses as-is."""
    request = load_request("vmi-fedora")
    body = json.dumps({"id": "fedora", "vmi": request["vmi"], "context": request["context"]})
    reply = json.loads(
        _grpcurl(*_grpcurl_target(target, "-d", "@"), "kubevirt.converter.v1.Converter/Convert", stdin=body)
    )
    assert reply["id"] == "fedora"
    # grpcurl prints the proto field names (domain_xml); protobuf's JSON mapping accepts both.
    assert_same_domain(reply["domain_xml"], expected_xml("vmi-fedora"))


def test_unknown_fields_of_a_json_vmi_come_back_as_warnings(target: str) -> None:
    request = load_request(GOLDEN)
    vmi = copy.deepcopy(request["vmi"])
    vmi["spec"]["domain"]["devices"]["disks"][0]["dedicatedIoThread"] = True  # misspelt
    vmi["spec"]["colour"] = "blue"
    message = convert_request({"context": request["context"]}, "typos")
    message.vmi_json = json.dumps(vmi).encode()
    with stub(target) as client:
        response = client.Convert(message)
    assert list(response.warnings) == [
        "spec.domain.devices.disks[0].dedicatedIoThread: unknown field, ignored",
        "spec.colour: unknown field, ignored",
    ]


def test_info_names_version_commit_and_api(target: str) -> None:
    with stub(target) as client:
        info = client.Info(service_pb2.InfoRequest())
    assert info.kubevirt_commit == "d923fdb8"
    assert list(info.architectures) == ["amd64", "arm64", "s390x"]
    assert list(info.api_versions) == ["v1"]
    assert info.version
    assert info.build == EXPECTED_BUILD


def test_control_characters_in_a_value_are_invalid_argument(target: str) -> None:
    """Found by tests/server/test_fuzz.py: a string XML cannot carry used to be INTERNAL, then a refusal
    without a field; it is refused where it arrives, naming the field."""
    request = load_request(GOLDEN)
    request["context"]["smbios"] = {"manufacturer": "bell\u0007"}
    with stub(target) as client, pytest.raises(grpc.RpcError) as raised:
        client.Convert(convert_request(request))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == (
        "context.smbios.manufacturer: value 'bell\\x07' contains characters XML cannot carry"
    )
    request = load_request(GOLDEN)
    request["vmi"]["spec"]["domain"]["devices"]["disks"][0]["serial"] = "unit\u001f"
    with stub(target) as client, pytest.raises(grpc.RpcError) as raised:
        client.Convert(convert_request(request))
    assert raised.value.details() == (
        "spec.domain.devices.disks[0].serial: value 'unit\\x1f' contains characters XML cannot carry"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe{}", "vmiJson: not UTF-8: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
        (b'{"metadata": {"name": "\\ud800"}}', "vmiJson: contains an unpaired UTF-16 surrogate (\\ud800-\\udfff)"),
    ],
    ids=["not utf-8", "lone surrogate"],
)
def test_undecodable_vmi_bytes_are_invalid_argument(target: str, raw: bytes, message: str) -> None:
    with stub(target) as client, pytest.raises(grpc.RpcError) as raised:
        client.Convert(service_pb2.ConvertRequest(vmi_json=raw))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == message


def test_grpcurl_explain_matches_the_library(target: str) -> None:
    from vmi_converter.converter.explain import explain

    request = load_request("vmi-fedora")
    body = json.dumps({"id": "why", "vmi": request["vmi"], "context": request["context"]})
    reply = json.loads(
        _grpcurl(*_grpcurl_target(target, "-d", "@"), "kubevirt.converter.v1.Converter/Explain", stdin=body)
    )
    expected = explain(request["vmi"], request["context"]).as_json()
    assert reply["domain_xml"] == expected["domainXml"]
    entries = expected["explanations"]
    assert isinstance(entries, list)
    assert [(e["xpath"], e["rule"]) for e in reply["explanations"]] == [(e["xpath"], e["rule"]) for e in entries]
    assert [e.get("fields", []) for e in reply["explanations"]] == [e["fields"] for e in entries]
