"""Which disks to detach, attach or update (KubeVirt's getDetachedDisks/getAttachedDisks/getUpdatedDisks).

The running domain's disks are compared with the disks converted from the
updated VMI, matched by guest device name (`target@dev`) only. Detach and
attach consider only disks backed by the hot-plug directory on a bus that
can hot-plug (virtio, scsi, or none given); update only swaps the medium of
CD-ROMs whose medium is hot-plugged or absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from vmi_converter.converter.common.aliases import device_name
from vmi_converter.converter.domain.model import Disk, DiskSource
from vmi_converter.converter.domain.xmlmodel import from_element, to_xml
from vmi_converter.converter.storage.disk_source import resolve

HOTPLUG_BUSES = ("", "virtio", "scsi")


@dataclass(frozen=True, slots=True)
class LiveDisk:
    """A `<disk>` of the running domain: the element as libvirt wrote it, and its parsed model."""

    element: etree._Element
    model: Disk


@dataclass(frozen=True, slots=True)
class MediumChange:
    """A CD-ROM of the running domain that gets `source` (an empty source ejects)."""

    live: LiveDisk
    source: DiskSource
    new_volume: str  # the volume behind `source`, "" for an eject

    @property
    def inserts_medium(self) -> bool:
        return bool(resolve(Disk(source=self.source)).backend_path)


def live_disks(domain: etree._Element) -> list[LiveDisk]:
    devices = domain.find("devices")
    if devices is None:
        return []
    return [LiveDisk(element=node, model=from_element(Disk, node)) for node in devices.findall("disk")]


def target_dev(disk: Disk) -> str:
    return str(disk.target.dev or "") if disk.target is not None else ""


def volume_name(disk: Disk) -> str:
    """The disk's name: its user alias without the `ua-` prefix."""
    return device_name(disk.alias.name if disk.alias is not None else None)


def _can_hotplug(disk: Disk) -> bool:
    bus = str(disk.target.bus or "") if disk.target is not None else ""
    return resolve(disk).is_hotplug_disk and bus in HOTPLUG_BUSES


def detached(old: Sequence[LiveDisk], new: Sequence[Disk]) -> list[LiveDisk]:
    """Hot-plugged disks of the running domain whose device name the new disks no longer use."""
    kept = {target_dev(disk) for disk in new}
    return [disk for disk in old if _can_hotplug(disk.model) and target_dev(disk.model) not in kept]


def attached(old: Sequence[LiveDisk], new: Sequence[Disk]) -> list[Disk]:
    """New hot-plug disks on a device name the running domain does not use yet."""
    present = {target_dev(disk.model) for disk in old}
    return [disk for disk in new if _can_hotplug(disk) and target_dev(disk) not in present]


def updated(old: Sequence[LiveDisk], new: Sequence[Disk]) -> list[MediumChange]:
    """CD-ROMs whose hot-plugged medium was inserted, swapped or ejected."""
    by_dev = {target_dev(disk): disk for disk in new}
    changes = []
    for live in old:
        current = live.model
        wanted = by_dev.get(target_dev(current))
        if current.device != "cdrom" or (wanted is not None and wanted.device != "cdrom"):
            continue
        if not resolve(current).is_hotplug_or_empty:
            continue
        if wanted is not None and not resolve(wanted).is_hotplug_or_empty:
            continue
        # A CD-ROM that disappeared from the VMI keeps its drive and loses its medium.
        source = _source(wanted) if wanted is not None else DiskSource()
        if _same_source(_source(current), source):
            continue
        if wanted is None or not resolve(wanted).backend_path:
            changes.append(MediumChange(live=live, source=DiskSource(), new_volume=""))
        else:
            changes.append(MediumChange(live=live, source=source, new_volume=volume_name(wanted)))
    return changes


def _source(disk: Disk) -> DiskSource:
    return disk.source if disk.source is not None else DiskSource()


def _same_source(a: DiskSource, b: DiskSource) -> bool:
    # Rendered, so "0" parsed from the live XML equals 0 set by the converter.
    return to_xml(a, "source") == to_xml(b, "source")
