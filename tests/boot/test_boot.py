"""Converted domains start under QEMU/TCG with libvirt in the loop.

Each case is one of KubeVirt's reference requests, simplified where the VMI
asks for something TCG cannot give, converted with an emulation context
(`allowEmulation`, no /dev/kvm, path roots in a temporary directory), then
defined and started with libvirt's embedded QEMU driver, checked running
(libvirt's state and QEMU's own QMP status), destroyed and undefined.

The "kubevirt" variant boots KubeVirt's own expected domain for the same
request as a control: when it boots and ours does not, the converter is at
fault; when neither boots, the host or the harness is.

Needs root and scripts/setup-boot; skipped with the reason otherwise.
"""

from __future__ import annotations

import copy
import json
import platform
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import EXPECTED_DIR
from lxml import etree

from vmi_converter.converter.common.context import DEFAULT_PATHS
from vmi_converter.converter.pipeline import convert

from . import harness
from .flows import HostPaths, copied_disks_with_slices, migrate_to_second_host
from .harness import (
    CONTEXT_ROOTS,
    FIRMWARE,
    EmbeddedQemu,
    Prepared,
    SecondHost,
    kubevirt_reference_for_tcg,
    missing_emulator,
    prepare_host,
    release_host,
    unknown_hardcoded,
)

REFERENCE = EXPECTED_DIR  # KubeVirt's requests and domains

HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "s390x": "s390x"}.get(platform.machine(), platform.machine())
LIBVIRT_ARCH = {"amd64": "x86_64", "arm64": "aarch64", "s390x": "s390x"}


JSON = dict[str, Any]


def _x86_timers_only(vmi: JSON) -> None:
    """kvmclock and hypervclock are x86 timers; libvirt refuses them for other guests."""
    timers = vmi["spec"]["domain"]["clock"]["timer"]
    timers.pop("kvm", None)
    timers.pop("hyperv", None)


def _without_vpindex(vmi: JSON) -> None:
    """QEMU 7.2 under TCG refuses hv-vpindex ("kernel doesn't allow setting HyperV VP_INDEX")."""
    vmi["spec"]["domain"]["features"]["hyperv"]["vpindex"] = {"enabled": False}


def _one_cloud_init_volume(vmi: JSON) -> None:
    """The golden VMI has two cloudInitNoCloud volumes: both disks get the one noCloud.iso, the
    cdrom writable, and QEMU refuses the second write lock. Back the cdrom with a hostDisk."""
    for volume in vmi["spec"]["volumes"]:
        if volume["name"] == "cdrom_tray_unspecified":
            volume.pop("cloudInitNoCloud")
            volume["hostDisk"] = {
                "path": "/var/run/kubevirt-private/vmi-disks/volume2/disk.img",
                "type": "DiskOrCreate",
                "capacity": "1Gi",
            }


def _tcg_golden_amd64(vmi: JSON) -> None:
    _without_vpindex(vmi)
    _one_cloud_init_volume(vmi)


def _x86_features_only(vmi: JSON) -> None:
    """libvirt refuses hyperv (s390x) and pvspinlock (aarch64) outside x86; QEMU refuses smm and
    kvm hidden (-cpu ...,kvm=off: "Property 'max-arm-cpu.kvm' not found")."""
    features = vmi["spec"]["domain"]["features"]
    for name in ("hyperv", "pvspinlock", "smm", "kvm"):
        features.pop(name, None)


def _scsi_cdroms(vmi: JSON) -> None:
    """KubeVirt's arm64/s390x defaults put cdroms on virtio, which libvirt refuses ("disk type
    of 'vdc' does not support ejectable media"); a user would pick scsi."""
    for disk in vmi["spec"]["domain"]["devices"]["disks"]:
        if "cdrom" in disk:
            disk["cdrom"]["bus"] = "scsi"


def _tcg_golden_other(vmi: JSON) -> None:
    _tcg_golden_amd64(vmi)
    _x86_timers_only(vmi)
    _x86_features_only(vmi)
    _scsi_cdroms(vmi)


def _without_memory_hotplug(vmi: JSON) -> None:
    vmi["spec"]["domain"]["memory"].pop("maxGuest")


# The same simplifications on KubeVirt's expected domain (the "kubevirt" control).


def _xml_one_cloud_init_volume(root: etree._Element) -> None:
    for source in root.xpath("/domain/devices/disk[alias/@name='ua-cdrom_tray_unspecified']/source"):
        source.set("file", "/var/run/kubevirt-private/vmi-disks/cdrom_tray_unspecified/disk.img")


def _xml_golden_other(root: etree._Element) -> None:
    _xml_one_cloud_init_volume(root)
    for node in root.xpath("/domain/features/*[self::hyperv or self::pvspinlock or self::smm or self::kvm]"):
        node.getparent().remove(node)
    for index, disk in enumerate(root.xpath("/domain/devices/disk[@device='cdrom'][target/@bus='virtio']")):
        target = disk.find("target")
        target.set("bus", "scsi")
        target.set("dev", f"sd{chr(ord('a') + index)}")
        disk.find("driver").attrib.pop("iothread", None)


def _xml_without_memory_hotplug(root: etree._Element) -> None:
    for node in root.xpath("/domain/maxMemory"):
        root.remove(node)


@dataclass(frozen=True)
class Case:
    name: str  # reference request in tests/data/kubevirt/expected/
    covers: str
    simplify: Callable[[JSON], None] | None = None
    firmware: str | None = None  # key of harness.FIRMWARE
    reference_edit: Callable[[etree._Element], None] | None = None  # `simplify` for the KubeVirt domain
    label: str = ""  # test id when one request is booted twice
    # while libvirt/QEMU refuses what the converter emits (a converter bug to fix): why, and a
    # pattern the refusal must match; the case is then an expected failure, and fails once it boots
    refused: str | None = None
    refusal: str = ""
    # QEMU states that count as booted besides "running", with why
    also_booted: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # host programs besides QEMU

    @property
    def id(self) -> str:
        return self.label or self.name


MEMORY_HOTPLUG_REFUSED = (
    "libvirt 9.0 refuses <maxMemory> without a guest NUMA cell ('At least one numa node has to be "
    "configured when enabling memory hotplug'; KubeVirt's own slots=\"0\" fails earlier)"
)

CASES = [
    Case("vmi-ephemeral", "containerDisk with qcow2 ephemeral overlay, hotpluggable vCPUs, VNC, serial log"),
    Case("vmi-nocloud", "cloud-init NoCloud ISO, emptyDisk"),
    Case("vmi-pvc", "PVC file disk"),
    Case(
        "golden-amd64",
        "hostDisks, block PVC/DV, ISOs, cdroms, iothreads, hyperv, SMM",
        _tcg_golden_amd64,
        reference_edit=_xml_one_cloud_init_volume,
    ),
    Case(
        "golden-amd64-root",
        "the golden VMI with its devices placed on the PCIe root complex",
        _tcg_golden_amd64,
        reference_edit=_xml_one_cloud_init_volume,
    ),
    Case(
        "vmi-alpine-efi",
        "EFI (OVMF) with NVRAM from a template",
        _without_memory_hotplug,
        firmware="x86_64",
        reference_edit=_xml_without_memory_hotplug,
    ),
    Case(
        "vmi-alpine-efi",
        "memory hotplug (maxGuest)",
        firmware="x86_64",
        label="vmi-alpine-efi-hotplug",
        refused=MEMORY_HOTPLUG_REFUSED,
        refusal="numa node has to be configured when enabling memory hotplug|memory slot count must be specified",
    ),
    Case(
        "vmi-secureboot",
        "EFI secure boot with SMM",
        _without_memory_hotplug,
        firmware="x86_64-secure",
        reference_edit=_xml_without_memory_hotplug,
    ),
    Case(
        "vmi-windows",
        "Windows: TPM 2.0 (swtpm), secure boot, hyperv",
        _without_memory_hotplug,
        firmware="x86_64-secure",
        reference_edit=_xml_without_memory_hotplug,
        needs=("swtpm", "swtpm_setup"),
    ),
    Case(
        "vmi-kernel-boot",
        "kernel boot from a container (stub kernel), kernel args",
        _without_memory_hotplug,
        reference_edit=_xml_without_memory_hotplug,
    ),
    Case("vmi-arm", "aarch64 example: virt machine, AAVMF, cross-arch CPU", firmware="aarch64"),
    Case(
        "golden-arm64",
        "aarch64 golden: 13 volumes on virtio/scsi",
        _tcg_golden_other,
        firmware="aarch64",
        reference_edit=_xml_golden_other,
    ),
    # Blank disks: the s390-ccw BIOS finds no IPL record and stops in disabled wait, which
    # QEMU reports as a guest panic once the machine has run.
    Case(
        "golden-s390x",
        "s390-ccw-virtio machine, cross-arch CPU",
        _tcg_golden_other,
        reference_edit=_xml_golden_other,
        also_booted=("guest-panicked",),
    ),
]


def load_case(case: Case) -> tuple[JSON, JSON]:
    request = json.loads((REFERENCE / f"{case.name}.json").read_text())
    vmi = copy.deepcopy(request["vmi"])
    if case.simplify:
        case.simplify(vmi)
    return vmi, request["context"]


def emulation_context(context: JSON, workdir: Path, firmware: tuple[str, str] | None) -> JSON:
    ctx = dict(context)
    ctx.update(allowEmulation=True, hypervisorDeviceAvailable=False, paths=harness.context_paths(workdir))
    arch = ctx.get("architecture", "amd64")
    if arch != HOST_ARCH:
        ctx.update(allowCrossArchEmulation=True, hostArchitecture=HOST_ARCH)
    if firmware:
        efi = dict(ctx.get("efiConfiguration") or {})
        efi.update(efiCode=firmware[0], efiVars=firmware[1])
        ctx["efiConfiguration"] = efi
    return ctx


def case_firmware(case: Case) -> tuple[str, str] | None:
    if case.firmware is None:
        return None
    code, variables = FIRMWARE[case.firmware]
    for path in (code, variables):
        if not Path(path).exists():
            package = "ovmf" if case.firmware.startswith("x86_64") else "qemu-efi-aarch64"
            pytest.skip(f"{path} missing ({package}): run scripts/setup-boot")
    return code, variables


def _converter_domain(case: Case, workdir: Path, firmware: tuple[str, str] | None) -> Prepared:
    vmi, context = load_case(case)
    xml = convert(vmi, emulation_context(context, workdir, firmware)).xml
    return prepare_host(xml, workdir)


def _kubevirt_domain(case: Case, workdir: Path, firmware: tuple[str, str] | None) -> Prepared:
    arch = json.loads((REFERENCE / f"{case.name}.json").read_text())["context"].get("architecture", "amd64")
    xml = (REFERENCE / f"{case.name}.xml").read_text()
    tcg = kubevirt_reference_for_tcg(xml, firmware, arch != HOST_ARCH, case.reference_edit)
    path_map = {DEFAULT_PATHS[key]: str(workdir / name) for key, name in CONTEXT_ROOTS.items()}
    prepared = prepare_host(tcg.xml, workdir, path_map=path_map)
    prepared.edits[:0] = tcg.edits
    return prepared


def _migrates(case: Case, host: HostPaths, second_host: SecondHost, target_dir: Path) -> Callable[[Any], None]:
    """While the converted domain runs: MigratableXML's destination starts paused on the second libvirt."""
    vmi, _ = load_case(case)

    def check(dom: Any) -> None:
        migration = migrate_to_second_host(dom, vmi, host, second_host, target_dir)
        target = migration.target
        assert "error" not in target, f"the migration target refused {case.id}: {target['error']}"
        assert (target["state"], target["qemuStatus"]) == (harness.libvirt.VIR_DOMAIN_PAUSED, "prelaunch")
        live = etree.fromstring(str(target["liveXml"]).encode())
        assert live.findtext("name") == migration.answer["destName"]
        # every copied volume got its storage slice, on a disk libvirt copies
        sliced = copied_disks_with_slices(str(target["liveXml"]))
        assert len(sliced) == len(migration.request["vmi"]["status"]["migratedVolumes"])
        assert set(sliced) <= set(migration.answer["disksToCopy"])

    return check


@pytest.mark.boot
@pytest.mark.parametrize("source", ["converter", "kubevirt"])
@pytest.mark.parametrize(
    "case",
    CASES,
    ids=[c.id for c in CASES],
)
def test_domain_boots_under_tcg(
    case: Case, source: str, embedded: EmbeddedQemu, second_host: SecondHost, boot_dir: Path
) -> None:
    """Each domain boots; each of ours, while running, also migrates to a paused target."""
    _, context = load_case(case)
    arch = LIBVIRT_ARCH[context.get("architecture", "amd64")]
    reason = missing_emulator(arch)
    if reason:
        pytest.skip(reason)
    for program in case.needs:
        if shutil.which(program) is None:
            pytest.skip(f"{program} not installed: run scripts/setup-boot")
    firmware = case_firmware(case)
    workdir = boot_dir / f"{case.id}.{source[0]}"
    make = _converter_domain if source == "converter" else _kubevirt_domain
    prepared = make(case, workdir, firmware)
    flows = None
    if source == "converter" and not case.refused:
        host = HostPaths(workdir, dict(prepared.rewritten))
        flows = _migrates(case, host, second_host, boot_dir / f"{case.id}.t")
    try:
        result = embedded.boot(prepared.xml, while_running=flows)
    except (harness.libvirt.libvirtError, harness.BootFailure) as err:
        if case.refused and re.search(case.refusal, str(err)):
            pytest.xfail(case.refused)
        pytest.fail(f"libvirt/QEMU refused the {source} domain for {case.name}: {err}\n{prepared.xml}")
    finally:
        release_host(prepared)
    assert not case.refused, f"{case.id} boots now: drop its `refused` ({case.refused})"
    harness.BOOT_LOG.append(harness.BootRecord(f"{case.id} [{source}]", arch, result.stages, prepared))
    booted = ("running", *case.also_booted)
    assert result.qemu_status in booted, f"QEMU reports {result.qemu_status!r}, not one of {booted}"
    if result.qemu_status == "running":
        assert harness.running(result.state), f"libvirt domain state {result.state}, not running"
    assert not unknown_hardcoded(list(prepared.rewritten)), (
        "the domain uses host paths outside the context roots that harness.HARDCODED_PATHS does not list: "
        f"{unknown_hardcoded(list(prepared.rewritten))}"
    )
