"""PCI vocabulary shared by every area: guest PCI addresses (`dddd:bb:ss.f` and libvirt's
`<address type="pci">`), the PCI controller models placement works with, and its error.

Ported from KubeVirt's device/pciaddress.go and the constants of converter/pci-placement.go.
"""

from __future__ import annotations

import re
from typing import Any

from vmi_converter.converter.domain.model import Address

PCI = "pci"
PCIE_ROOT = "pcie-root"
PCIE_ROOT_PORT = "pcie-root-port"
PCIE_EXPANDER_BUS = "pcie-expander-bus"

_PCI_ADDRESS = re.compile(r"^([\da-fA-F]{4}):([\da-fA-F]{2}):([\da-fA-F]{2})\.([0-7])$")


class PCIAddressError(ValueError):
    """A PCI address string is not `dddd:bb:ss.f`."""


class PCIPlacementError(Exception):
    """PCI placement failed; the message is KubeVirt's error text."""



def pci_address_field(address: Any) -> Address:
    """`0000:81:01.0` as a libvirt `<address type="pci" domain bus slot function>`."""
    match = _PCI_ADDRESS.match(address) if isinstance(address, str) else None
    if match is None:
        raise PCIAddressError(f"failed to parse pci address {address}")
    domain, bus, slot, function = match.groups()
    return Address(type=PCI, domain="0x" + domain, bus="0x" + bus, slot="0x" + slot, function="0x" + function)


def new_pci_address(bus: str, slot: str) -> Address:
    return Address(type=PCI, domain="0x0000", bus=bus, slot=slot, function="0x0")


def pci_address_to_string(address: Address | None) -> str:
    """A libvirt address back to `dddd:bb:ss.f` (how sysfs names the device)."""
    if address is None:
        return ""
    parts = [_strip_hex_prefix(v) for v in (address.domain, address.bus, address.slot, address.function)]
    return f"{parts[0]}:{parts[1]}:{parts[2]}.{parts[3]}"


def _strip_hex_prefix(value: Any) -> str:
    text = "" if value is None else str(value)
    return text[2:] if text.startswith("0x") else text

