"""Guest device names (vda, sdb, ...) the way KubeVirt hands them out.

Names already recorded in `status.volumeStatus[].target` stay with their
volume, so a disk keeps its name across restarts and hotplug; new disks take
the first free name of their bus prefix, in disk order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from converter.vmi import JSON, items, obj

_LETTERS = 26
# Names are searched among the first 26^3 indexes, as KubeVirt does.
_MAX_INDEX = _LETTERS**3

DISK_KINDS = ("disk", "lun", "cdrom")


def bus_prefix(bus: str) -> str:
    """`vd` for virtio, `sd` for sata/scsi/usb, nothing for an unknown or missing bus."""
    if bus == "virtio":
        return "vd"
    if bus in ("sata", "scsi", "usb"):
        return "sd"
    return ""


def device_name(prefix: str, index: int) -> str:
    """The Linux sd.c naming scheme: a..z, aa..az, ba.. after the prefix."""
    letters = ""
    while index >= 0:
        letters = chr(ord("a") + index % _LETTERS) + letters
        index = index // _LETTERS - 1
    return prefix + letters


def disk_kind(disk: JSON) -> tuple[str, JSON] | None:
    """("disk"|"lun"|"cdrom", its target) for the first device kind set on a disk."""
    for kind in DISK_KINDS:
        target = disk.get(kind)
        if isinstance(target, dict):
            return kind, target
    return None


@dataclass(slots=True)
class _PrefixNames:
    by_disk: dict[str, str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)


class DeviceNamer:
    """Assigns target names per bus prefix, honouring targets from the VMI status."""

    def __init__(self, volume_statuses: list[JSON], disks: list[JSON]) -> None:
        targets = {
            status.get("name"): status["target"]
            for status in volume_statuses
            if isinstance(status, dict) and status.get("target")
        }
        self._prefixes: dict[str, _PrefixNames] = {}
        for disk in disks:
            kind = disk_kind(disk)
            if kind is None:
                continue
            names = self._prefixes.setdefault(bus_prefix(str(kind[1].get("bus") or "")), _PrefixNames())
            target = targets.get(disk.get("name"))
            if target:
                names.by_disk[disk["name"]] = target
                names.taken.add(target)

    def name(self, disk_name: str, bus: str) -> tuple[str, int]:
        """(device name, its index within the prefix); the index is the SCSI unit."""
        prefix = bus_prefix(bus)
        names = self._prefixes.setdefault(prefix, _PrefixNames())
        existing = names.by_disk.get(disk_name)
        if existing is not None:
            return existing, _index_of(prefix, existing)
        for index in range(_MAX_INDEX):
            candidate = device_name(prefix, index)
            if candidate not in names.taken:
                names.by_disk[disk_name] = candidate
                names.taken.add(candidate)
                return candidate, index
        return "", 0


def _index_of(prefix: str, name: str) -> int:
    """Index of a recorded target; 0 when it does not follow the prefix's scheme (as in KubeVirt)."""
    letters = name[len(prefix) :]
    if not name.startswith(prefix) or not letters or not all("a" <= c <= "z" for c in letters):
        return 0
    index = 0
    for c in letters:
        index = index * _LETTERS + (ord(c) - ord("a") + 1)
    index -= 1
    return index if index < _MAX_INDEX else 0


def volume_statuses(vmi: JSON) -> list[JSON]:
    return [s for s in items(obj(vmi.get("status")).get("volumeStatus")) if isinstance(s, dict)]
