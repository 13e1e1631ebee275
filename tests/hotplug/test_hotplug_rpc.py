"""HotplugDisk over a real server: the same answer as the pure function, errors as statuses."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from server_harness import running_server, stub
from test_request import request

from vmi_converter.api import service_pb2
from vmi_converter.converter.hotplug import hotplug_disk_from_request
from vmi_converter.server.cli import main


def _message(document: dict) -> service_pb2.HotplugDiskRequest:  # type: ignore[type-arg]
    return json_format.Parse(json.dumps(document), service_pb2.HotplugDiskRequest())


def test_hotplug_disk_rpc_matches_the_library() -> None:
    document = request()
    expected = hotplug_disk_from_request(request())
    with running_server() as target, stub(target) as client:
        reply = client.HotplugDisk(_message({**document, "id": "sync-1"}))
    assert reply.id == "sync-1"
    for kind in ("detach", "attach", "update"):
        got = [(c.volume, c.target_dev, c.device_xml) for c in getattr(reply, kind)]
        assert got == [(c["volume"], c["targetDev"], c["deviceXml"]) for c in expected[kind]]
    assert [(s.volume, s.reason) for s in reply.skipped_not_ready] == [
        ("hpvolume2", 'volumes["hpvolume2"].ready is not true: retry when it is')
    ]


def test_hostile_domain_xml_is_invalid_argument() -> None:
    document = request()
    document["domainXml"] = '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><domain>&x;</domain>'
    with running_server() as target, stub(target) as client, pytest.raises(grpc.RpcError) as raised:
        client.HotplugDisk(_message(document))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details().startswith("domainXml: ")


def test_cli_hotplug_disk_prints_the_response(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "hotplug.json"
    path.write_text(json.dumps(request()))
    assert main(["hotplug-disk", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == hotplug_disk_from_request(request())


def test_probe_error_is_failed_precondition_naming_the_volume() -> None:
    # KubeVirt's syncDisks fails on a readiness check error other than "not found"
    document = request()
    error = "stat /var/run/kubevirt/hotplug-disks/hpvolume1: permission denied"
    document["volumes"]["hpvolume1"]["probeError"] = {"message": error}
    with running_server() as target, stub(target) as client, pytest.raises(grpc.RpcError) as raised:
        client.HotplugDisk(_message(document))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert raised.value.details() == f'volumes["hpvolume1"].probeError: {error}'
    status = rpc_status.from_call(raised.value)
    assert status is not None
    failure = error_details_pb2.PreconditionFailure()
    assert status.details[0].Unpack(failure)
    assert [(v.type, v.subject, v.description) for v in failure.violations] == [("HOST_PROBE", "hpvolume1", error)]


def test_cli_reports_a_probe_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = request()
    document["volumes"]["hpvolume1"]["probeError"] = {"message": "stat x: permission denied"}
    path = tmp_path / "hotplug.json"
    path.write_text(json.dumps(document))
    assert main(["hotplug-disk", str(path)]) == 1
    assert capsys.readouterr().err == f'{path}: volumes["hpvolume1"].probeError: stat x: permission denied\n'


def test_backend_not_found_is_skipped_with_the_probe_message() -> None:
    document = request()
    missing = "stat /var/run/kubevirt/hotplug-disks/hpvolume2.img: no such file or directory"
    document["volumes"]["hpvolume2"] = {"probeError": {"message": missing, "notFound": True}}
    with running_server() as target, stub(target) as client:
        reply = client.HotplugDisk(_message(document))
    assert [(s.volume, s.reason) for s in reply.skipped_not_ready] == [
        ("hpvolume2", f'volumes["hpvolume2"].probeError: {missing}: retry when the backend exists')
    ]
    assert [c.volume for c in reply.attach] == ["hpvolume1"]
