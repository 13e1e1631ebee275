"""Hotplug and permanent volumes split from status.volumeStatus when the context omits them.

KubeVirt's launcher (manager.go generateConverterContext) builds the two maps
from the VMI status before converting; a request may instead pass them in
the context, which then wins.
"""

from __future__ import annotations

from storage_helpers import disk_xmls, pvc, vmi, with_status

from vmi_converter.converter.common.context import context_from_dict

HOTPLUG = "/var/run/kubevirt/hotplug-disks"


def sources(spec: dict, context: dict) -> list[str]:
    return [x.split('source file="')[1].split('"')[0] for x in disk_xmls(spec, context_from_dict(context))]


def status_vmi(phase: str) -> dict:
    return with_status(
        vmi(pvc("root"), pvc("hp")),
        {"name": "root", "target": "vda"},
        {"name": "hp", "target": "", "hotplugVolume": {"attachPodName": "hp-pod"}, "phase": phase},
    )


def test_mounted_hotplug_volume_from_status() -> None:
    assert sources(status_vmi("MountedToPod"), {}) == [
        "/var/run/kubevirt-private/vmi-disks/root/disk.img",
        f"{HOTPLUG}/hp.img",
    ]


def test_unmounted_hotplug_volume_from_status_is_left_out() -> None:
    assert sources(status_vmi("AttachedToNode"), {}) == ["/var/run/kubevirt-private/vmi-disks/root/disk.img"]


def test_context_maps_win_over_status() -> None:
    """A migration target gets no hotplug volumes: the volume is then converted like any other."""
    context = {"hotplugVolumes": {}, "permanentVolumes": {"root": {}, "hp": {}}}
    assert sources(status_vmi("AttachedToNode"), context) == [
        "/var/run/kubevirt-private/vmi-disks/root/disk.img",
        "/var/run/kubevirt-private/vmi-disks/hp/disk.img",
    ]


def test_no_status_means_every_disk_is_in() -> None:
    assert len(sources(vmi(pvc("a"), pvc("b")), {})) == 2
