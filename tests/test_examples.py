"""examples/: the contexts convert real KubeVirt examples; the flow requests run through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES_DIR
from google.protobuf import json_format

from vmi_converter.api import service_pb2
from vmi_converter.converter.hotplug import hotplug_disk_from_request
from vmi_converter.converter.migration import migratable_xml_from_request
from vmi_converter.server.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

# context file, KubeVirt example it converts, domain type, guest architecture
CONTEXTS = [
    ("context-amd64-kvm.json", "vmi-fedora", "kvm", "x86_64"),
    ("context-amd64-emulation.json", "vmi-ephemeral", "qemu", "x86_64"),
    ("context-arm64.json", "vmi-arm", "kvm", "aarch64"),
    ("context-s390x.json", "vmi-fedora", "kvm", "s390x"),
]


@pytest.mark.parametrize(("context", "example", "domain_type", "arch"), CONTEXTS)
def test_example_context_converts_an_example(
    context: str, example: str, domain_type: str, arch: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", "--context", str(EXAMPLES / context), str(EXAMPLES_DIR / f"{example}.yaml")]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith(f'<domain type="{domain_type}"')
    assert f'<type arch="{arch}"' in captured.out


@pytest.mark.parametrize("context", [c[0] for c in CONTEXTS])
def test_example_context_is_a_converter_context_message(context: str) -> None:
    data = json.loads((EXAMPLES / context).read_text())
    message = json_format.ParseDict({"context": data}, service_pb2.ConvertRequest())
    assert message.context.architecture == data["architecture"]


def test_hotplug_disk_example(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "hotplug-disk.yaml"
    assert main(["hotplug-disk", str(path)]) == 0
    response = json.loads(capsys.readouterr().out)
    assert response == hotplug_disk_from_request(yaml.safe_load(path.read_text()))
    assert [(c["volume"], c["targetDev"]) for c in response["detach"]] == [("gone", "sdc")]
    assert [(c["volume"], c["targetDev"]) for c in response["attach"]] == [("hpvolume1", "sda")]
    assert (response["update"], response["notReady"]) == ([], ["hpvolume2"])


def test_migratable_xml_example(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "migratable-xml.yaml"
    assert main(["migratable-xml", str(path)]) == 0
    response = json.loads(capsys.readouterr().out)
    assert response == migratable_xml_from_request(yaml.safe_load(path.read_text()))
    assert (response["destName"], response["disksToCopy"]) == ("dst-ns_vm", ["vda", "vdb"])
    assert response["flags"] == ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER", "VIR_MIGRATE_PERSIST_DEST",
                                 "VIR_MIGRATE_NON_SHARED_INC", "VIR_MIGRATE_AUTO_CONVERGE", "VIR_MIGRATE_PARALLEL"]
    assert (response["bandwidthMib"], response["parallelConnections"]) == (64, 4)
