"""Root-complex placement: every PCI device without an explicit address gets the next free
slot of bus 0 (KubeVirt's placement for VMIs annotated `kubevirt.io/placePCIDevicesOnRootComplex`).

Ported from KubeVirt's converter/pci-placement.go.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from vmi_converter.converter.common.pci import PCI, PCIE_EXPANDER_BUS, PCIE_ROOT, PCIPlacementError
from vmi_converter.converter.domain.model import Address, Domain

Place = Callable[[Address | None], Address | None]


def _pci_slots(domain: Domain) -> Iterator[tuple[Any, str]]:
    """Every device that sits on a PCI bus, as (owner, attribute holding its address)."""
    devices = domain.devices
    if devices is None:
        return
    yield from ((iface, "address") for iface in devices.interfaces)
    yield from ((dev, "address") for dev in devices.hostdevs if dev.type == PCI)
    # Root buses and expander buses have no address of their own.
    yield from (
        (ctrl, "address") for ctrl in devices.controllers
        if ctrl.model not in ("pci-root", PCIE_ROOT, PCIE_EXPANDER_BUS)
    )
    yield from ((disk, "address") for disk in devices.disks if disk.target and disk.target.bus == "virtio")
    yield from ((inp, "address") for inp in devices.inputs if inp.bus == "virtio")
    yield from ((wd, "address") for wd in devices.watchdogs)
    if devices.rng is not None:
        yield devices.rng, "address"
    if devices.memballoon is not None:
        yield devices.memballoon, "address"


def _iterate_pci_addresses(domain: Domain, place: Place) -> None:
    for owner, name in _pci_slots(domain):
        address: Address | None = getattr(owner, name)
        if address is None or not address.type or address.type == PCI:
            setattr(owner, name, place(address))


def count_pci_devices(domain: Domain) -> int:
    count = 0

    def counter(address: Address | None) -> Address | None:
        nonlocal count
        count += 1
        return address

    _iterate_pci_addresses(domain, counter)
    return count


@dataclass(slots=True)
class _RootSlotAssigner:
    slot: int = -1

    def next_slot(self) -> int:
        slot = self.slot + 1
        # Slot 0 is the host bridge, 1 the VGA card; QEMU puts its SATA controller
        # at 0x1f and the first ich9 sound card at 0x1b.
        if slot in (0, 1):
            slot = 2
        elif slot in (0x1B, 0x1F):
            slot += 1
        if slot >= 0x20:
            raise PCIPlacementError("No space left on the root PCI bus.")
        self.slot = slot
        return slot

    def place(self, address: Address | None) -> Address:
        if address is None:
            address = Address()
        if address.domain:  # an explicit request is kept
            return address
        slot = self.next_slot()
        address.type, address.domain, address.bus = PCI, "0x0000", "0x00"
        address.slot, address.function = f"0x{slot:02x}", "0x0"
        return address


def place_pci_devices_on_root_complex(domain: Domain) -> None:
    """Give every PCI device without an explicit address the next free slot of bus 0."""
    _iterate_pci_addresses(domain, _RootSlotAssigner().place)

