"""MigratableXML over a real server: the same answer as the pure function, errors as statuses."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import json_format
from server_harness import running_server, stub
from test_migration_request import _request

from vmi_converter.api import service_pb2
from vmi_converter.converter.migration import migratable_xml_from_request
from vmi_converter.server.cli import main


def _message(document: dict) -> service_pb2.MigratableXMLRequest:  # type: ignore[type-arg]
    # The contract's Topology keeps KubeVirt's Go JSON name `numa_cells` (the library takes both).
    text = json.dumps(document).replace('"numaCells"', '"numa_cells"')
    return json_format.Parse(text, service_pb2.MigratableXMLRequest())


def test_migratable_xml_rpc_matches_the_library() -> None:
    document = _request()
    expected = migratable_xml_from_request(_request())
    with running_server() as target, stub(target) as client:
        reply = client.MigratableXML(_message({**document, "id": "mig-1"}))
    assert reply.id == "mig-1"
    assert (reply.domain_xml, reply.dest_name, list(reply.disks_to_copy)) == (
        expected["domainXml"], expected["destName"], expected["disksToCopy"],
    )


def test_vmi_as_json_bytes() -> None:
    document = _request()
    vmi = document.pop("vmi")
    message = _message(document)
    message.vmi_json = json.dumps(vmi).encode()
    with running_server() as target, stub(target) as client:
        reply = client.MigratableXML(message)
    assert reply.domain_xml == migratable_xml_from_request(_request())["domainXml"]


def test_missing_vmi_is_invalid_argument() -> None:
    with running_server() as target, stub(target) as client, pytest.raises(grpc.RpcError) as raised:
        client.MigratableXML(service_pb2.MigratableXMLRequest(domain_xml="<domain/>"))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert raised.value.details() == "vmi: a VirtualMachineInstance is required (set vmi or vmiJson)"


def test_cli_migratable_xml_prints_the_response(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "migration.yaml"
    # The CLI reads the request as the RPC does: in the contract's JSON names (`numa_cells`).
    path.write_text(yaml.safe_dump(json.loads(json.dumps(_request()).replace('"numaCells"', '"numa_cells"'))))
    assert main(["migratable-xml", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == migratable_xml_from_request(_request())


def test_migration_parameters_over_rpc() -> None:
    document = _request()
    document.update(migrationOptions={"bandwidth": "64Mi", "parallelMigrationThreads": 4, "compression": "zstd"},
                    domainPaused=True, shareDir="/run/share")
    expected = migratable_xml_from_request(json.loads(json.dumps(document)))
    with running_server() as target, stub(target) as client:
        reply = client.MigratableXML(_message(document))
    # protojson writes 64-bit integers as strings and leaves out empty lists
    assert expected.pop("warnings") == []
    assert json_format.MessageToDict(reply) == {**expected, "flagsMask": str(expected["flagsMask"]),
                                                "bandwidthMib": str(expected["bandwidthMib"])}
    assert reply.flags_mask == 1 | 2 | 8 | 32 | 128 | 2048 | 131072
    assert reply.HasField("parallel_connections") and reply.parallel_connections == 4


def test_size_probe_error_is_failed_precondition() -> None:
    document = _request()
    probe = "failed to invoke qemu-img: exit status 1: qemu-img: Could not open 'disk.img': Permission denied"
    document["sourceFacts"]["volumes"]["data"]["virtualSizeError"] = probe
    with running_server() as target, stub(target) as client, pytest.raises(grpc.RpcError) as raised:
        client.MigratableXML(_message(document))
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert raised.value.details() == (
        'sourceFacts.volumes["data"].virtualSizeError: '
        f"error encountered while generating migration parameters: {probe}"
    )


def test_cli_reports_a_size_probe_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _request()
    document["sourceFacts"]["volumes"]["data"]["virtualSizeError"] = "failed to invoke qemu-img: exit status 1"
    path = tmp_path / "migration.yaml"
    path.write_text(yaml.safe_dump(document))
    assert main(["migratable-xml", str(path)]) == 1
    assert capsys.readouterr().err == (
        f'{path}: sourceFacts.volumes["data"].virtualSizeError: '
        "error encountered while generating migration parameters: failed to invoke qemu-img: exit status 1\n"
    )
