"""Guest device names (vda, sdb, ...) the way KubeVirt hands them out.

Names already recorded in `status.volumeStatus[].target` stay with their
volume, so a disk keeps its name across restarts and hotplug; new disks take
the first free name of their bus prefix, in disk order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vmi_converter.converter.common.vmi import JSON, items, obj

_LETTERS = 26
# Names are searched among the first 26^3 indexes, as KubeVirt does.
_MAX_INDEX = _LETTERS**3

DISK_KINDS = ("disk", "lun", "cdrom")


_BUS_PREFIXES = {"virtio": "vd", "sata": "sd", "scsi": "sd", "usb": "sd"}


def bus_prefix(bus: str) -> str:
    """`vd` for virtio, `sd` for sata/scsi/usb, nothing for an unknown or missing bus."""
    return _BUS_PREFIXES.get(bus, "")


def device_name(prefix: str, index: int) -> str:
    """The Linux sd.c naming scheme: a..z, aa..az, ba.. after the prefix."""
    if 0 <= index < len(_FIRST_SUFFIXES):
        return prefix + _FIRST_SUFFIXES[index]
    return prefix + _suffix(index)


def _suffix(index: int) -> str:
    letters = ""
    while index >= 0:
        letters = chr(ord("a") + index % _LETTERS) + letters
        index = index // _LETTERS - 1
    return letters


# a..zz: every name a VMI with fewer than 702 disks on a bus uses, spelled once.
_FIRST_SUFFIXES = tuple(_suffix(index) for index in range(_LETTERS + _LETTERS**2))


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
    # Names are only ever added, so the first free index never moves back: the
    # search resumes here instead of from "a" (linear, not quadratic, in disks).
    first_free: int = 0


class DeviceNamer:
    """Assigns target names per bus prefix, honouring targets from the VMI status."""

    def __init__(self, volume_statuses: list[JSON], disks: list[JSON]) -> None:
        targets = {
            status.get("name"): status["target"]
            for status in volume_statuses
            if isinstance(status, dict) and status.get("target")
        }
        self._prefixes: dict[str, _PrefixNames] = {}
        for disk in disks if targets else ():
            target = targets.get(disk.get("name"))
            kind = disk_kind(disk)
            if target and kind is not None:
                names = self._names(bus_prefix(str(kind[1].get("bus") or "")))
                names.by_disk[disk["name"]] = target
                names.taken.add(target)

    def name(self, disk_name: str, bus: str) -> tuple[str, int]:
        """(device name, its index within the prefix); the index is the SCSI unit."""
        prefix = _BUS_PREFIXES.get(bus, "")
        names = self._prefixes.get(prefix) or self._names(prefix)
        existing = names.by_disk.get(disk_name)
        if existing is not None:
            return existing, _index_of(prefix, existing)
        for index in range(names.first_free, _MAX_INDEX):
            candidate = device_name(prefix, index)
            if candidate not in names.taken:
                names.by_disk[disk_name] = candidate
                names.taken.add(candidate)
                names.first_free = index + 1
                return candidate, index
        names.first_free = _MAX_INDEX
        return "", 0

    def _names(self, prefix: str) -> _PrefixNames:
        names = self._prefixes.get(prefix)
        if names is None:
            names = self._prefixes[prefix] = _PrefixNames()
        return names


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
