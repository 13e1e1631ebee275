"""Property-based fuzzing through the real server: whatever arrives, the answer is OK with a domain
libvirt accepts, or INVALID_ARGUMENT naming the offending field (google.rpc.BadRequest).

Random and mutated VMIs and contexts (starting from the 43 reference requests) go through Convert, as
JSON bytes (checked against the contract by the server) and, when protobuf can parse them, as typed
messages; deeply nested documents (JSON, YAML flow style) go through every RPC; the flows get mutated
VMIs and wrong-typed requests. The server must never answer INTERNAL or UNKNOWN, never hang, and stay
healthy. The CLI gets the same documents: it must exit 0 or 1 (never a traceback) and, for every
request a typed context can carry, give exactly the server's answer (domain, message, warnings).
`FUZZ_EXAMPLES=5000 python -m pytest tests/server/test_fuzz.py` runs a larger, randomised campaign
(`FUZZ_TARGET=HOST:PORT` fuzzes a server started apart, e.g. to watch its memory; the number of
requests sent is printed at the end); CI runs a fixed, derandomised sample so a red build is
reproducible.
"""

from __future__ import annotations

import contextlib
import copy
import io
import itertools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import fixture_names, load_request
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libvirt_check import libvirt_parse, schema_errors
from lxml import etree
from server_harness import running_server

from vmi_converter.api import context_pb2, service_pb2, service_pb2_grpc, vmi_pb2
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.server.cli import main
from vmi_converter.server.decoder import decode_flow_document, decode_parts
from vmi_converter.server.protodict import message_to_dict

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
CAMPAIGN = "FUZZ_EXAMPLES" in os.environ
if CAMPAIGN:
    # A campaign looks for crashes and hangs only; the fixed CI sample also holds every produced
    # domain to libvirt's schema and parser (tests/conftest.py).
    pytestmark = pytest.mark.status_only
ALLOWED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT}
REQUESTS = [load_request(name) for name in fixture_names()]

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _text,
    st.sampled_from(["", "0", "-1", "1Gi", "1.5", "100m", "virtio", "sata", "none", "../x", "a/b", "true"]),
)
_json = st.recursive(
    _scalars,
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(_text, children, max_size=3)),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from _paths(sub, (*prefix, key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from _paths(sub, (*prefix, index))


@st.composite
def _mutated(draw: st.DrawFn, part: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A reference request with a few fields of `part` replaced, deleted or added."""
    request = copy.deepcopy(draw(st.sampled_from(REQUESTS)))
    target = request[part]
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(list(_paths(target))))
        if not path:
            continue
        parent = target
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(_text)] = draw(_json)
        else:
            parent[path[-1]] = draw(_json)
        if not isinstance(target, dict):
            break
    return request["vmi"], request["context"]


SENT = itertools.count()  # requests sent to the server (next() is atomic under the GIL)


@pytest.fixture(scope="module")
def client() -> Iterator[service_pb2_grpc.ConverterStub]:
    external = os.environ.get("FUZZ_TARGET")
    with contextlib.ExitStack() as stack:
        target = external or stack.enter_context(running_server())
        channel = stack.enter_context(grpc.insecure_channel(target))
        yield service_pb2_grpc.ConverterStub(channel)
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert health.status == health_pb2.HealthCheckResponse.SERVING
    print(f"\nfuzz: {next(SENT)} requests sent to the server")


def _context_message(context: Any) -> context_pb2.ConverterContext | None:
    try:
        return json_format.Parse(json.dumps(context), context_pb2.ConverterContext())
    except (json_format.ParseError, TypeError, ValueError):
        return None


def _call(client: service_pb2_grpc.ConverterStub, request: service_pb2.ConvertRequest) -> None:
    """The answer itself is checked: a domain for OK, the offending field for INVALID_ARGUMENT."""
    next(SENT)
    try:
        response = client.Convert(request, timeout=30)
    except grpc.RpcError as err:
        assert err.code() in ALLOWED, f"{err.code()}: {err.details()}"
        _assert_names_the_field(err)
        return
    _assert_a_domain(response.domain_xml)


def _assert_names_the_field(err: grpc.RpcError) -> None:
    status = rpc_status.from_call(err)  # type: ignore[arg-type]
    assert status is not None, f"no google.rpc.Status with {err.details()!r}"
    violations = []
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        assert detail.Unpack(bad_request), detail
        violations += [(v.field, v.description) for v in bad_request.field_violations]
    assert len(violations) == 1, violations
    ((field, description),) = violations
    assert field, f"no field path in {err.details()!r}"
    assert err.details() == f"{field}: {description}"


def _assert_a_domain(xml: str) -> None:
    assert xml.startswith("<domain "), f"OK without a domain: {xml[:80]!r}"
    if CAMPAIGN:  # random campaigns may reach what only a newer libvirt accepts; they look for crashes
        etree.fromstring(xml.encode())
        return
    assert schema_errors(xml) == []
    assert libvirt_parse(xml).startswith("<domain ")


def _answer(method: Any, request: Any) -> tuple[grpc.StatusCode, Any]:
    """The status and the response (OK) or the details (an error); anything but OK/INVALID_ARGUMENT fails."""
    next(SENT)
    try:
        response = method(request, timeout=30)
    except grpc.RpcError as err:
        assert err.code() in ALLOWED, f"{err.code()}: {err.details()}"
        return err.code(), err.details()
    return grpc.StatusCode.OK, response


_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not CAMPAIGN,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


@_settings
@given(case=_mutated("vmi"))
def test_mutated_vmis(client: service_pb2_grpc.ConverterStub, case: tuple[Any, Any]) -> None:
    vmi, context = case
    context_message = _context_message(context)
    assert context_message is not None
    as_json = service_pb2.ConvertRequest(vmi_json=json.dumps(vmi).encode(), context=context_message)
    _call(client, as_json)
    try:
        typed = json_format.Parse(json.dumps(vmi), vmi_pb2.VirtualMachineInstance())
    except (json_format.ParseError, ValueError):
        return
    _call(client, service_pb2.ConvertRequest(vmi=typed, context=context_message))


@_settings
@given(case=_mutated("context"))
def test_mutated_contexts(client: service_pb2_grpc.ConverterStub, case: tuple[Any, Any]) -> None:
    vmi, context = case
    context_message = _context_message(context)
    if context_message is None:  # not a ConverterContext at all: protobuf refuses it on the client
        return
    _call(client, service_pb2.ConvertRequest(vmi_json=json.dumps(vmi).encode(), context=context_message))


@_settings
@given(document=_json)
def test_random_documents(client: service_pb2_grpc.ConverterStub, document: Any) -> None:
    _call(client, service_pb2.ConvertRequest(vmi_json=json.dumps(document).encode()))


def _name_document(name: str) -> bytes:
    return json.dumps({"metadata": {"name": name}}).encode()


@_settings
@given(raw=st.one_of(st.binary(max_size=64), st.text(max_size=12).map(_name_document)))
def test_random_bytes(client: service_pb2_grpc.ConverterStub, raw: bytes) -> None:
    _call(client, service_pb2.ConvertRequest(vmi_json=raw))


# --- nesting, nulls and wrong types in the context (issue 18) ------------------------------------


@st.composite
def _nested(draw: st.DrawFn) -> str:
    """A document nested 1-200 levels (objects, lists or both), as JSON or YAML flow style."""
    depth = draw(st.integers(min_value=1, max_value=200))
    shapes = draw(st.lists(st.sampled_from(["object", "list"]), min_size=depth, max_size=depth))
    yaml_flow = draw(st.booleans())
    key = "a: " if yaml_flow else '"a": '
    opening = "".join(("{" + key) if shape == "object" else "[" for shape in shapes)
    closing = "".join("}" if shape == "object" else "]" for shape in reversed(shapes))
    body = opening + draw(st.sampled_from(["1", "null", '"x"', "{}", "[]"])) + closing
    return f"spec: {body}" if yaml_flow else body


@settings(_settings, max_examples=EXAMPLES if "FUZZ_EXAMPLES" in os.environ else 100)  # 4 calls per example
@given(text=_nested())
def test_nested_documents_in_every_rpc(client: service_pb2_grpc.ConverterStub, text: str) -> None:
    data = text.encode()
    _answer(client.Convert, service_pb2.ConvertRequest(vmi_json=data))
    _answer(client.Explain, service_pb2.ExplainRequest(vmi_json=data))
    _answer(client.MigratableXML, service_pb2.MigratableXMLRequest(vmi_json=data, domain_xml="<domain/>"))
    _answer(client.HotplugDisk, service_pb2.HotplugDiskRequest(vmi_json=data, domain_xml="<domain/>"))


# Values a hand-written context gets wrong: quoted booleans and numbers, negatives, huge numbers, nulls.
_wrong = st.one_of(
    _scalars,
    st.sampled_from(["false", "true", "-5", "big", "1e3", "", "0x10"]),
    st.integers(min_value=-(2**65), max_value=2**65),
    st.lists(_scalars, max_size=3),
    st.dictionaries(_text, _scalars, max_size=2),
)
_CONTEXT_KEYS = sorted(
    {f.json_name for f in context_pb2.ConverterContext.DESCRIPTOR.fields}
    | {"architecure", "diskInfo", "memBalloonStatsPeriods"}  # misspelt: unknown keys
)


@st.composite
def _wrong_context(draw: st.DrawFn) -> dict[str, Any]:
    """A reference request whose context has a few keys set to wrong, null or odd values."""
    request = copy.deepcopy(draw(st.sampled_from(REQUESTS)))
    context = request["context"]
    for key in draw(st.lists(st.sampled_from(_CONTEXT_KEYS), min_size=1, max_size=3)):
        context[key] = draw(_wrong)
    if draw(st.booleans()):  # a nested value too: disksInfo sizes, paths, diskFacts
        volume = draw(_text)
        fact = draw(st.sampled_from(["virtual-size", "actual-size", "format", "backing-filename"]))
        context.setdefault("disksInfo", {})
        if isinstance(context["disksInfo"], dict):
            context["disksInfo"][volume] = {fact: draw(_wrong)}
    return dict(request)


def _cli(tmp: Path, command: str, document: Any, as_text: bool = False) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of the CLI on `document`; an exception escaping it fails the test."""
    path = tmp / "request.json"
    path.write_text(document if as_text else json.dumps(document))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([command, str(path)])
    assert code in (0, 1), (code, err.getvalue())
    return code, out.getvalue(), err.getvalue().replace(f"{path}: ", "")


@pytest.fixture(scope="module")
def cli_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-cli")


@_settings
@given(request=st.one_of(_wrong_context(), _mutated("vmi").map(lambda c: {"vmi": c[0], "context": c[1]})))
def test_cli_answers_as_the_server_does(
    client: service_pb2_grpc.ConverterStub, cli_dir: Path, request: dict[str, Any]
) -> None:
    """Same request, same answer: the CLI's domain, message and warnings are the server's.

    The CLI first reads the context as written (it must exit 0 or 1); then the context as the wire
    carries it (Python's json_format lets a few odd values through, e.g. "" for a message), which must
    give exactly the server's answer."""
    _cli(cli_dir, "convert", request)
    context_message = _context_message(request["context"])
    if context_message is None:
        return  # the wire cannot carry this context
    wire_context = message_to_dict(context_message)
    code, out, err = _cli(cli_dir, "convert", {"vmi": request["vmi"], "context": wire_context})
    vmi_json = json.dumps(request["vmi"]).encode()
    status, answer = _answer(client.Convert, service_pb2.ConvertRequest(vmi_json=vmi_json, context=context_message))
    warnings = [line.removeprefix("warning: ") for line in err.split("\n") if line.startswith("warning: ")]
    if status == grpc.StatusCode.OK:
        assert (code, out, warnings) == (0, answer.domain_xml, list(answer.warnings)), err
    else:
        assert (code, out, err) == (1, "", f"{answer}\n")


@_settings
@given(
    text=st.one_of(_nested(), _json.map(json.dumps), st.text(max_size=40)),
    command=st.sampled_from(["convert", "explain", "migratable-xml", "hotplug-disk"]),
)
def test_cli_never_crashes(cli_dir: Path, text: str, command: str) -> None:
    _cli(cli_dir, command, text, as_text=True)


@st.composite
def _flow_request(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A flow request: a mutated reference VMI, a domain, and a few wrong-typed or unknown fields."""
    vmi, context = draw(_mutated("vmi"))
    method = draw(st.sampled_from(["MigratableXML", "HotplugDisk"]))
    document: dict[str, Any] = {"domainXml": draw(st.sampled_from(["<domain/>", "<domain></domain>", "<x/>", ""]))}
    if method == "HotplugDisk":
        document["context"] = context
        document["volumes"] = draw(st.dictionaries(_text, st.dictionaries(st.sampled_from(
            ["isBlock", "ready", "directIOSupported", "preallocated", "cbtOverlayPath", "bogus"]), _wrong,
            max_size=3), max_size=2))
    else:
        document["sourceFacts"] = draw(st.dictionaries(st.sampled_from(["volumes", "targetVmiUid", "x"]), _wrong,
                                                       max_size=2))
        document["targetFacts"] = draw(st.dictionaries(st.sampled_from(
            ["cpuSet", "topology", "namespace", "upgradeOrdinalIfaces", "mdevUuids"]), _wrong, max_size=2))
    return method, {**document, "vmi": vmi}


@_settings
@given(case=_flow_request())
def test_flow_requests(client: service_pb2_grpc.ConverterStub, cli_dir: Path, case: tuple[str, dict[str, Any]]) -> None:
    method, document = case
    _cli(cli_dir, "hotplug-disk" if method == "HotplugDisk" else "migratable-xml", document)
    request_type = getattr(service_pb2, f"{method}Request")
    vmi = document.pop("vmi")
    try:
        request = json_format.ParseDict(document, request_type())
    except (json_format.ParseError, TypeError, ValueError):
        return  # protobuf refuses it on the client
    request.vmi_json = json.dumps(vmi).encode()
    _answer(getattr(client, method), request)


@_settings
@given(document=_json, typed=st.booleans())
def test_decoder_raises_only_conversion_errors(document: Any, typed: bool) -> None:
    """The decoder on any JSON value: a decoded request or a ConversionError naming a field, nothing else."""
    for vmi, context in ((document, None), ({"metadata": {}}, document), (document, document)):
        with contextlib.suppress(ConversionError):
            decode_parts(vmi, context, typed_context=typed)
    for request_type in (service_pb2.MigratableXMLRequest, service_pb2.HotplugDiskRequest):
        with contextlib.suppress(ConversionError):
            decode_flow_document(document, request_type)
