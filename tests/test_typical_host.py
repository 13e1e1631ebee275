"""`convert --typical-host` and `vmi-converter context`: a typical KVM node's facts, each one named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES_DIR
from google.protobuf import json_format

from vmi_converter.api import service_pb2
from vmi_converter.converter.common.context import FACT_NAMES
from vmi_converter.server.cli import main
from vmi_converter.server.typical import FACTS, convert_on_typical_host

# The examples a typical node cannot convert, and the context path each error names.
NEEDS_THE_NODE = {
    "vmi-dra-pgpu": 'context.draDevices["pgpu-resource-claim"]: no typical value: a DRA device is allocated on the '
    'node; set context.draDevices["pgpu-resource-claim"] to convert this VMI',
    "vmi-fedora-isolated": "context.topology: dedicated CPU placement requires the node topology",
    "vmi-gpu": 'context.resourceAddresses["PCI_RESOURCE_NVIDIA_COM_GP102GL_TESLA_P40"]: no typical value: a host '
    "device's address is the device plugin's choice on the node; set "
    'context.resourceAddresses["PCI_RESOURCE_NVIDIA_COM_GP102GL_TESLA_P40"] to convert this VMI',
    "vmi-sriov": "context.networkInfo: no typical value: the SR-IOV VF of spec.domain.devices.interfaces[1] "
    "(sriov-net) is allocated on the node; set context.networkInfo to convert this VMI",
    "vmi-usb": 'context.resourceAddresses["PCI_RESOURCE_KUBEVIRT_IO_STORAGE"]: no typical value: a host device\'s '
    "address is the device plugin's choice on the node; set "
    'context.resourceAddresses["PCI_RESOURCE_KUBEVIRT_IO_STORAGE"] to convert this VMI',
}
CARRYING_VMIS = sorted(p.stem for p in EXAMPLES_DIR.glob("*.yaml") if p.stem != "vmi-preset-small")


def test_thirty_of_the_thirty_six_examples_convert() -> None:
    assert len(CARRYING_VMIS) == 36
    assert len(CARRYING_VMIS) - len(NEEDS_THE_NODE) >= 30


@pytest.mark.parametrize("name", [n for n in CARRYING_VMIS if n not in NEEDS_THE_NODE])
def test_example_converts_on_a_typical_host(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES_DIR / f"{name}.yaml"
    assert main(["convert", "--typical-host", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith('<domain type="kvm"')  # checked by libvirt after the test (conftest)
    # vmi-arm names no spec.architecture either: amd64 (examples/context-arm64.json is for it)
    assert f'{path}: warning: context.architecture: assumed "amd64" (typical host)\n' in captured.err
    assert f"{path}: warning: context.hypervisorDeviceAvailable: assumed true (typical host)\n" in captured.err


@pytest.mark.parametrize("name", sorted(NEEDS_THE_NODE))
def test_example_needing_the_node_names_the_context_path(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES_DIR / f"{name}.yaml"
    assert main(["convert", "--typical-host", str(path)]) == 1
    assert capsys.readouterr().err == f"{path}: {NEEDS_THE_NODE[name]}\n"


def test_given_facts_are_not_assumed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    context = tmp_path / "ctx.json"
    context.write_text(
        json.dumps(
            {
                "hypervisorDeviceAvailable": False,
                "allowEmulation": True,
                "disksInfo": {"containerdisk": {"format": "raw"}},
            }
        )
    )
    path = EXAMPLES_DIR / "vmi-ephemeral.yaml"
    assert main(["convert", "--typical-host", "--context", str(context), str(path)]) == 0
    captured = capsys.readouterr()
    assert '<domain type="qemu"' in captured.out
    assert '<format type="raw"/>' in captured.out
    warned = [line.split(": ")[2] for line in captured.err.splitlines()]
    assert warned == [
        "context.architecture",
        'context.domainAttachmentByInterfaceName["default"]',
        "context.memBalloonStatsPeriod",
        "context.freePageReporting",
        "context.bochsForEFIGuests",
        "context.serialConsoleLog",
        "context.smbios",
        'context.diskFacts["containerdisk"]',
    ]


def test_without_typical_host_nothing_is_assumed(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES_DIR / "vmi-ephemeral.yaml"
    assert main(["convert", str(path)]) == 1
    assert capsys.readouterr().err == (
        f'{path}: context.disksInfo["containerdisk"]: no disk info provided for volume containerdisk\n'
    )


@pytest.mark.parametrize("name", ["vmi-fedora", "vmi-ephemeral", "vm-cirros"])
def test_context_then_convert(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES_DIR / f"{name}.yaml"
    assert main(["context", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"context", "descriptions"}
    assert printed["context"]["disksInfo"] == {"containerdisk": {"format": "qcow2"}}
    assert printed["context"]["hypervisorDeviceAvailable"] is True
    assert printed["descriptions"]['context.disksInfo["containerdisk"]'] == FACTS["disksInfo"].description
    context = tmp_path / "ctx.json"
    context.write_text(json.dumps(printed))
    assert main(["convert", "--context", str(context), str(path)]) == 0
    with_context = capsys.readouterr()
    assert with_context.err == ""
    assert main(["convert", "--typical-host", str(path)]) == 0
    assert capsys.readouterr().out == with_context.out  # the same facts, given rather than assumed


def test_context_is_a_valid_converter_context_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["context", str(EXAMPLES_DIR / "vmi-fedora.yaml")]) == 0
    context = json.loads(capsys.readouterr().out)["context"]
    message = json_format.ParseDict({"context": context}, service_pb2.ConvertRequest())
    assert message.context.hypervisor_device_available is True


def test_context_of_a_vmi_needing_host_devices(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES_DIR / "vmi-gpu.yaml"
    assert main(["context", str(path)]) == 1
    assert capsys.readouterr().err == f"{path}: {NEEDS_THE_NODE['vmi-gpu']}\n"


def test_every_context_fact_has_one_entry_in_the_table() -> None:
    assert sorted(FACTS) == sorted(path.removeprefix("context.") for path in FACT_NAMES.values())


def test_every_fact_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "context.md").read_text()
    missing = [key for key in FACTS if f"`{key}`" not in doc]
    assert missing == []


def test_architecture_follows_the_vmi(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vmi = yaml.safe_load((EXAMPLES_DIR / "vmi-arm.yaml").read_text())
    vmi["spec"]["architecture"] = "arm64"
    path = tmp_path / "arm.yaml"
    path.write_text(yaml.safe_dump(vmi))
    assert main(["convert", "--typical-host", str(path)]) == 0
    captured = capsys.readouterr()
    assert '<type arch="aarch64" machine="virt">hvm</type>' in captured.out
    assert f'{path}: warning: context.architecture: assumed "arm64" (typical host)\n' in captured.err


def test_typical_values_are_answered_while_the_pipeline_reads_them() -> None:
    """Only what the conversion read is assumed: a VMI without volumes reads no per-volume fact."""
    vmi = {"metadata": {"name": "tiny"}, "spec": {"domain": {"devices": {}, "memory": {"guest": "64Mi"}}}}
    conversion, assumptions = convert_on_typical_host(vmi, {})
    assert conversion.xml.startswith('<domain type="kvm"')
    # KubeVirt's defaults give it the pod interface "default"; it has no volume, so no volume fact.
    per_name = [path for path in assumptions.values if "[" in path]
    assert per_name == ['context.domainAttachmentByInterfaceName["default"]']
    assert assumptions.values["context.hypervisorDeviceAvailable"] is True


@pytest.mark.parametrize(
    ("security", "arch", "facts"),
    [
        ({"sev": {}}, "amd64", (True, False, False)),
        ({"snp": {}}, "amd64", (True, False, False)),
        ({"tdx": {}}, "amd64", (False, True, False)),
        ({}, "s390x", (False, False, True)),
        (None, "amd64", (False, False, False)),
    ],
)
def test_launch_security_facts_come_from_the_vmi(security: object, arch: str, facts: tuple[bool, ...]) -> None:
    """As the launcher computes them (IsSEVVMI, IsTDXVMI, IsSecureExecutionVMI): filled, not warned."""
    vmi = {"spec": {"architecture": arch, "domain": {} if security is None else {"launchSecurity": security}}}
    keys = ("useLaunchSecuritySEV", "useLaunchSecurityTDX", "useLaunchSecurityPV")
    assert tuple(FACTS[k].typical(vmi, {}, None) for k in keys) == facts  # type: ignore[misc]
    assert all(FACTS[k].from_vmi for k in keys)
