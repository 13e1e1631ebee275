"""HotplugDisk over a real server: the same answer as the pure function, errors as statuses."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from server_harness import running_server, stub
from test_request import request

from vmi_converter.api import service_pb2
from vmi_converter.converter.hotplug import hotplug_disk_from_request


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
    from vmi_converter.server.cli import main

    path = tmp_path / "hotplug.json"
    path.write_text(json.dumps(request()))
    assert main(["hotplug-disk", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == hotplug_disk_from_request(request())
