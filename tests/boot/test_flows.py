"""HotplugDisk's and MigratableXML's answers applied to a running domain through libvirt.

A converted domain runs under QEMU/TCG (libvirt's embedded driver, as in
test_boot.py). Its VMI then changes the way KubeVirt's hot-plug does: the
test mounts the volumes, probes them like the launcher, asks HotplugDisk and
applies the answer with virDomainAttachDeviceFlags, DetachDeviceFlags and
UpdateDeviceFlags (LIVE|CONFIG, as KubeVirt's syncDisks), then checks the
running domain's disks and that the next sync has nothing left to do. At the
end the hot-plugged domain is migrated: MigratableXML's destination XML is
defined on a second embedded libvirt and started paused (test_boot.py does
the same for every booted case).

Needs root and scripts/setup-boot; skipped with the reason otherwise.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import EXPECTED_DIR

from vmi_converter.converter.pipeline import convert

from . import harness
from .flows import HOTPLUG_DIR, HostPaths, copied_disks_with_slices, hotplug_sync, live_disks, migrate_to_second_host
from .harness import EmbeddedQemu, SecondHost, prepare_host
from .test_boot import emulation_context

JSON = dict[str, Any]

BASE = "vmi-pvc"
PVC_IMAGE = "/var/run/kubevirt-private/vmi-disks/pvcdisk/disk.img"
HOTPLUG_VOLUMES = {
    "hp-file": {"persistentVolumeClaim": {"claimName": "data-file", "hotpluggable": True}},
    "hp-block": {"dataVolume": {"name": "data-block", "hotpluggable": True}},
    "cd": {"dataVolume": {"name": "install-iso", "hotpluggable": True}},
}


def hotplug_vmi(base: JSON, *volumes: str, targets: dict[str, str] | None = None) -> JSON:
    """The base VMI with a SATA CD-ROM `cd` and the given hot-plugged volumes, mounted and ready.

    `targets` are the device names virt-handler reports in the volume status once a
    volume is attached; the converter keeps them, so a detach renames nothing.
    """
    targets = targets or {}
    vmi = copy.deepcopy(base)
    disks = vmi["spec"]["domain"]["devices"]["disks"]
    disks.append({"name": "cd", "cdrom": {"bus": "sata"}})  # the drive stays when its medium leaves
    disks.extend({"name": name, "disk": {"bus": "scsi"}} for name in volumes if name != "cd")
    vmi["spec"]["volumes"].extend({"name": name, **HOTPLUG_VOLUMES[name]} for name in volumes)
    vmi["status"]["volumeStatus"].extend(
        {"name": name, "phase": "Ready", "hotplugVolume": {"attachPodName": "hp-pod", "attachPodUID": "hp-uid"},
         **({"target": targets[name]} if name in targets else {})}
        for name in volumes
    )
    return vmi


def _kubevirt_disks(host: HostPaths, dom: Any) -> list[tuple[str, ...]]:
    return live_disks(host.kubevirt_xml(dom.XMLDesc(0)))


def _targets(disks: list[tuple[str, ...]]) -> dict[str, str]:
    """virt-handler's volume status targets: each attached disk's device name."""
    return {alias.removeprefix("ua-"): dev for alias, _, _, dev, *_ in disks}


def _changes(answer: JSON) -> dict[str, list[tuple[str, str]]]:
    return {kind: [(c["volume"], c["targetDev"]) for c in answer[kind]] for kind in ("detach", "attach", "update")}


NOTHING = {"detach": [], "attach": [], "update": []}
PVC_DISK = ("ua-pvcdisk", "disk", "file", "vda", "virtio", PVC_IMAGE, "", "")


@pytest.mark.boot
def test_hotplug_then_migrate_a_running_domain(
    embedded: EmbeddedQemu, second_host: SecondHost, boot_dir: Path
) -> None:
    if harness.missing_emulator("x86_64"):
        pytest.skip(harness.missing_emulator("x86_64"))
    if shutil.which("losetup") is None or not Path("/dev/loop-control").exists():
        pytest.skip("no loop devices (losetup, /dev/loop-control): the block volume needs one")
    request = json.loads((EXPECTED_DIR / f"{BASE}.json").read_text())
    workdir = boot_dir / "hotplug"
    context = emulation_context(request["context"], workdir, None)
    first = hotplug_vmi(request["vmi"], "cd")
    prepared = prepare_host(convert(first, context).xml, workdir)
    host = HostPaths(workdir, dict(prepared.rewritten), list(prepared.loop_devices))

    def flows(dom: Any) -> None:
        loaded_cd = ("ua-cd", "cdrom", "file", "sda", "sata", f"{HOTPLUG_DIR}/cd.img", "", "")
        assert _kubevirt_disks(host, dom) == [PVC_DISK, loaded_cd]

        # A file volume and a block volume come, the CD-ROM's medium goes.
        host.mount("hp-file", block=False)
        host.mount("hp-block", block=True)
        second = hotplug_vmi(request["vmi"], "hp-file", "hp-block")
        answer = hotplug_sync(dom, second, context, host)
        assert _changes(answer) == {"detach": [], "attach": [("hp-file", "sdb"), ("hp-block", "sdc")],
                                    "update": [("cd", "sda")]}
        assert answer["notReady"] == []
        assert _kubevirt_disks(host, dom) == [
            PVC_DISK,
            ("ua-cd", "cdrom", "block", "sda", "sata", "", "", ""),  # the eject's type, as KubeVirt's
            # the probes found O_DIRECT: cache none, and native IO on the block device
            ("ua-hp-file", "disk", "file", "sdb", "scsi", f"{HOTPLUG_DIR}/hp-file.img", "none", ""),
            ("ua-hp-block", "disk", "block", "sdc", "scsi", f"{HOTPLUG_DIR}/hp-block", "none", "native"),
        ]
        assert _changes(hotplug_sync(dom, second, context, host)) == NOTHING

        # The file volume leaves, the medium comes back.
        third = hotplug_vmi(request["vmi"], "hp-block", "cd", targets=_targets(_kubevirt_disks(host, dom)))
        answer = hotplug_sync(dom, third, context, host)
        assert _changes(answer) == {"detach": [("hp-file", "sdb")], "attach": [], "update": [("cd", "sda")]}
        assert _kubevirt_disks(host, dom) == [
            PVC_DISK,
            loaded_cd,
            ("ua-hp-block", "disk", "block", "sdc", "scsi", f"{HOTPLUG_DIR}/hp-block", "none", "native"),
        ]
        assert _changes(hotplug_sync(dom, third, context, host)) == NOTHING

        migration = migrate_to_second_host(dom, third, host, second_host, boot_dir / "hotplug.t")
        assert "error" not in migration.target, migration.target["error"]
        assert (migration.target["state"], migration.target["qemuStatus"]) == (
            harness.libvirt.VIR_DOMAIN_PAUSED, "prelaunch")
        # the PVC and the hot-plugged DataVolume are copied; the CD-ROM is not
        assert migration.answer["disksToCopy"] == ["vda", "sdc"]
        assert copied_disks_with_slices(migration.target["liveXml"]) == ["vda", "sdc"]

    try:
        result = embedded.boot(prepared.xml, while_running=flows)
    finally:
        host.release()
    harness.BOOT_LOG.append(harness.BootRecord("hotplug+migration [converter]", "x86_64", result.stages, prepared))
    assert result.qemu_status == "running"
