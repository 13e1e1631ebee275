"""What the stages of one conversion hand each other: warnings for the caller, and decisions a later
stage reads instead of working them out again from the VMI or the XML."""

from __future__ import annotations

from dataclasses import dataclass, field

from vmi_converter.converter.domain.model import Disk


@dataclass(frozen=True, slots=True)
class DiskDecision:
    """A `<disk>` storage.disks put in the domain, with the VMI disk it came from."""

    disk: Disk
    volume: str  # the VMI disk's name, which is its volume's name
    field: str  # the VMI disk's path, e.g. spec.domain.devices.disks[2]


@dataclass(slots=True)
class BuildState:
    warnings: list[str] = field(default_factory=list)
    # Every disk storage.disks emitted, in domain order (storage.host_io settles their cache and IO).
    disks: list[DiskDecision] = field(default_factory=list)
