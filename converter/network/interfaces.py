"""Network interfaces (KubeVirt network/configurator.go and builder.go).

Interfaces whose pod network is attached through a tap device (masquerade,
bridge, tap binding plugins) become `type="ethernet"`; core passt becomes a
`vhostuser` interface with a passt backend. SR-IOV interfaces and binding
plugins with another domain attachment are left to other parts (hostdev, the
plugin's sidecar). The MAC, MTU and tap target of ethernet interfaces are
completed by the launcher from the pod network namespace, not here.
"""

from __future__ import annotations

import re
from typing import Any

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of, launch_security_iommu
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.pci import PCIAddressError, pci_address_field
from vmi_converter.converter.common.virtio import virtio_model
from vmi_converter.converter.common.vmi import JSON, devices, items, obj, spec
from vmi_converter.converter.domain.model import (
    ACPI,
    MAC,
    BootOrder,
    Domain,
    Interface,
    InterfaceDriver,
    InterfaceSource,
    LinkState,
    Model,
    Rom,
)
from vmi_converter.converter.network import passt
from vmi_converter.converter.network.queues import network_queues_capacity

TAP = "tap"
VIRTIO = "virtio"
ABSENT, LINK_DOWN = "absent", "down"
_IFACES = "spec.domain.devices.interfaces"
# QEMU's acpi-index range is 1..16383 (libvirt checks it at start; its schema only bounds it to 32 bits).
_MAX_ACPI_INDEX = 16383


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    present = [
        (index, iface)
        for index, iface in enumerate(items(devices(vmi).get("interfaces")))
        if isinstance(iface, dict) and iface.get("state") != ABSENT
    ]
    network_names = {obj(net).get("name") for net in items(spec(vmi).get("networks"))}
    built: list[Interface] = []
    for index, iface in present:
        name = iface.get("name")
        if name not in network_names:
            raise ConversionError(f"{_IFACES}[{index}]", f"failed to find network {_str(name)}")
        if _handled_elsewhere(iface, ctx):
            continue
        built.append(_interface(vmi, index, iface, ctx))
    devices_of(domain).interfaces = built


def _handled_elsewhere(iface: JSON, ctx: Context) -> bool:
    """SR-IOV becomes a hostdev; a binding plugin without tap attachment is its sidecar's business."""
    if iface.get("sriov") is not None:
        return True
    return iface.get("binding") is not None and _attachment(iface, ctx) != TAP


_CORE_TAP_BINDINGS = ("masquerade", "bridge")


def _attachment(iface: JSON, ctx: Context) -> str | None:
    # Read through the fact's own get (compiled code would skip a dict subclass's: the typical host answers there).
    attachment = ctx.domain_attachment_by_interface_name.get(str(iface.get("name")))
    if attachment is None and any(iface.get(b) is not None for b in _CORE_TAP_BINDINGS):
        # KubeVirt's launcher always maps masquerade and bridge to "tap"; a request
        # that leaves the map out still gets the interface libvirt can start.
        return TAP
    return None if attachment is None else str(attachment)


def _interface(vmi: JSON, index: int, iface: JSON, ctx: Context) -> Interface:
    name = _str(iface.get("name"))
    launch_security = launch_security_iommu(ctx) is not None
    model = iface.get("model") or VIRTIO
    result = Interface(
        alias=user_alias(name),
        model=Model(type=virtio_model(vmi, ctx) if model == VIRTIO else model),
        source=InterfaceSource(),
    )
    if model == VIRTIO:
        result.driver = _virtio_driver(vmi, launch_security)
    if iface.get("pciAddress"):
        result.address = _guest_pci_address(index, iface)
    acpi_index = iface.get("acpiIndex")
    if isinstance(acpi_index, int) and acpi_index > 0:
        if acpi_index > _MAX_ACPI_INDEX:
            raise ConversionError(f"{_IFACES}[{index}].acpiIndex",
                                  f"acpiIndex {acpi_index} is above {_MAX_ACPI_INDEX}, the highest QEMU takes")
        result.acpi = ACPI(index=acpi_index)
    if iface.get("macAddress"):
        result.mac = MAC(mac=colon_mac(iface["macAddress"], f"{_IFACES}[{index}].macAddress"))
    if _attachment(iface, ctx) == TAP:
        _apply_tap_binding(result, iface, ctx, launch_security)
    elif iface.get("passtBinding") is not None:
        passt.apply_passt_binding(result, vmi, iface)
    else:
        raise ConversionError(
            f"{_IFACES}[{index}]",
            f"interface {name} has no domain attachment: set context.domainAttachmentByInterfaceName[{name!r}]",
        )
    return result


# Go's net.ParseMAC (KubeVirt's admission): 6, 8 or 20 octets, as hex pairs separated by colons or by
# dashes, or as dot-separated groups of four hex digits; admission then refuses more than 6 octets.
_SEPARATED_MAC = re.compile(r"[0-9A-Fa-f]{2}(?P<sep>[:-])[0-9A-Fa-f]{2}(?:(?P=sep)[0-9A-Fa-f]{2})*")
_DOTTED_MAC = re.compile(r"[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4})+")
_GO_MAC_OCTETS = (6, 8, 20)


def _mac_octets(text: str) -> list[str] | None:
    """The octets of a MAC Go's net.ParseMAC reads, letter case kept; None when it would refuse it."""
    if _SEPARATED_MAC.fullmatch(text):
        octets = re.split("[:-]", text)
    elif _DOTTED_MAC.fullmatch(text):
        digits = text.replace(".", "")
        octets = [digits[i:i + 2] for i in range(0, len(digits), 2)]
    else:
        return None
    return octets if len(octets) in _GO_MAC_OCTETS else None


def colon_mac(address: Any, field: str) -> str:
    """The MAC as libvirt reads it (colon-separated); KubeVirt copies other spellings as-is."""
    octets = _mac_octets(address) if isinstance(address, str) else None
    if octets is None:
        raise ConversionError(field, f"malformed MAC address ({address})")
    if len(octets) > 6:
        raise ConversionError(field, f"too long MAC address ({address})")
    return ":".join(octets)


def _virtio_driver(vmi: JSON, requires_iommu: bool) -> InterfaceDriver | None:
    queues = network_queues_capacity(vmi)
    if queues == 0 and not requires_iommu:
        return None
    return InterfaceDriver(
        name="vhost",
        queues=queues if queues > 0 else None,
        iommu="on" if requires_iommu else None,
    )


def _guest_pci_address(index: int, iface: JSON) -> Any:
    try:
        return pci_address_field(iface["pciAddress"])
    except PCIAddressError as err:
        raise ConversionError(
            f"{_IFACES}[{index}].pciAddress",
            f"failed to configure interface {_str(iface.get('name'))}: {err}",
        ) from None


def _apply_tap_binding(result: Interface, iface: JSON, ctx: Context, launch_security: bool) -> None:
    # The launcher prepares the tap device in the pod; libvirt just opens it.
    result.type = "ethernet"
    boot_order = iface.get("bootOrder")
    if boot_order is not None:
        result.boot = BootOrder(order=boot_order)
    # Without a boot order the iPXE ROM is useless; with launch security it cannot run.
    if ctx.arch.rom_tuning and (boot_order is None or launch_security):
        result.rom = Rom(enabled="no")
    if iface.get("state") == LINK_DOWN:
        result.link = LinkState(state="down")


def _str(value: Any) -> str:
    return "" if value is None else str(value)
