"""An unexpected exception inside the converter: INTERNAL with a generic message, the traceback in the log.

A stage that crashes is a bug of ours, not of the caller: the caller gets `INTERNAL` and a message that
leaks nothing (no exception text, no traceback), the server log gets the traceback, and the server keeps
serving (a stream goes on with its next item). The CLI exits non-zero with the traceback on stderr.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from conftest import EXPECTED_DIR, REPO, load_request
from ops_harness import child_env
from server_harness import convert_request, running_server, stub

from vmi_converter.api import service_pb2, service_pb2_grpc
from vmi_converter.converter import pipeline
from vmi_converter.server import flows

GENERIC = "internal error while converting; see server log"
SECRET = "planted failure /var/run/secret-token"  # must never reach a caller


class PlantedBug(RuntimeError):
    pass


def _crash(*_: Any) -> None:
    raise PlantedBug(SECRET)


def _crashing_stage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replace one converter stage (the clock) by one that raises, as a refactoring slip would."""
    steps = tuple((rule, _crash if rule == "compute.clock" else stage) for rule, stage in pipeline.STEPS)
    assert steps != pipeline.STEPS
    monkeypatch.setattr(pipeline, "STEPS", steps)


@pytest.fixture(scope="module")
def client() -> Iterator[service_pb2_grpc.ConverterStub]:
    with running_server() as target, stub(target) as converter:
        yield converter


def _assert_internal(code: Any, details: str) -> None:
    assert (code, details) == (grpc.StatusCode.INTERNAL, GENERIC)


def _assert_traceback_logged(caplog: pytest.LogCaptureFixture, request_id: str) -> None:
    records = [r for r in caplog.records if r.name == "vmi_converter.service"]
    assert [(r.levelno, r.getMessage()) for r in records] == [
        (logging.ERROR, f"conversion of {request_id!r} failed unexpectedly")
    ]
    assert records[0].exc_info is not None
    assert isinstance(records[0].exc_info[1], PlantedBug)


def test_convert_crash_is_internal(
    client: service_pb2_grpc.ConverterStub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _crashing_stage(monkeypatch)
    with pytest.raises(grpc.RpcError) as raised:
        client.Convert(convert_request(load_request("golden-amd64"), "crash-1"), timeout=30)
    _assert_internal(raised.value.code(), raised.value.details())
    _assert_traceback_logged(caplog, "crash-1")


def test_stream_crash_is_an_internal_item_and_the_stream_goes_on(
    client: service_pb2_grpc.ConverterStub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    good = load_request("golden-amd64")
    crash_only_second = iter([False, True, False])
    clock_stage = dict(pipeline.STEPS)["compute.clock"]

    def sometimes_crash(vmi: Any, domain: Any, ctx: Any, state: Any) -> None:
        if next(crash_only_second):
            _crash()
        clock_stage(vmi, domain, ctx, state)

    steps = tuple((r, sometimes_crash if r == "compute.clock" else s) for r, s in pipeline.STEPS)
    monkeypatch.setattr(pipeline, "STEPS", steps)
    requests = [convert_request(good, f"item-{i}", service_pb2.ConvertStreamRequest) for i in range(3)]
    answers = list(client.ConvertStream(iter(requests), timeout=60))
    assert [a.id for a in answers] == ["item-0", "item-1", "item-2"]
    assert [a.WhichOneof("result") for a in answers] == ["domain_xml", "error", "domain_xml"]
    assert (answers[1].error.code, answers[1].error.message, list(answers[1].error.details)) == (
        grpc.StatusCode.INTERNAL.value[0], GENERIC, []
    )
    assert answers[0].domain_xml == answers[2].domain_xml != ""
    _assert_traceback_logged(caplog, "item-1")


def test_explain_crash_is_internal(
    client: service_pb2_grpc.ConverterStub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _crashing_stage(monkeypatch)
    request = convert_request(load_request("golden-amd64"), "explain-1", service_pb2.ExplainRequest)
    with pytest.raises(grpc.RpcError) as raised:
        client.Explain(request, timeout=30)
    _assert_internal(raised.value.code(), raised.value.details())
    _assert_traceback_logged(caplog, "explain-1")


@pytest.mark.parametrize(
    ("rpc", "flow", "message"),
    [
        ("MigratableXML", "migratable_xml_from_request", service_pb2.MigratableXMLRequest),
        ("HotplugDisk", "hotplug_disk_from_request", service_pb2.HotplugDiskRequest),
    ],
)
def test_flow_crash_is_internal(
    client: service_pb2_grpc.ConverterStub,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    rpc: str,
    flow: str,
    message: type[Any],
) -> None:
    monkeypatch.setattr(flows, flow, _crash)
    request = message(id="flow-1", vmi_json=json.dumps(load_request("golden-amd64")["vmi"]).encode())
    with pytest.raises(grpc.RpcError) as raised:
        getattr(client, rpc)(request, timeout=30)
    _assert_internal(raised.value.code(), raised.value.details())
    _assert_traceback_logged(caplog, "flow-1")


# The CLI runs in a child process so its real exit code and stderr are seen; the child plants the crash.
_CLI_WITH_A_CRASHING_STAGE = """
import sys
from vmi_converter.converter import pipeline
def crash(*_):
    raise RuntimeError("planted failure")
pipeline.STEPS = tuple((r, crash if r == "compute.clock" else s) for r, s in pipeline.STEPS)
from vmi_converter.server.cli import main
sys.exit(main(["convert", sys.argv[1]]))
"""


def test_cli_crash_exits_3_with_the_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CLI_WITH_A_CRASHING_STAGE, str(EXPECTED_DIR / "golden-amd64.json")],
        cwd=REPO, env=child_env(), capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 3  # not 1: that is a refused input
    assert done.stdout == ""
    assert done.stderr.startswith("Traceback (most recent call last):")
    assert done.stderr.endswith(
        "RuntimeError: planted failure\n"
        "vmi-converter: internal error (a bug, not a problem with the input); "
        "please report it with the traceback above\n"
    )
