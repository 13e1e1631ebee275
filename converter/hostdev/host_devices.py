"""Host devices (KubeVirt compute/host_device.go): generic, GPU and SR-IOV `<hostdev>`s.

KubeVirt's converter appends the host devices its launcher prepared, in the
order generic, GPU, SR-IOV. A request may carry them ready-made as `<hostdev>`
XML fragments (`context.genericHostDevices`, `gpuHostDevices`, `sriovDevices`)
or as the host facts they are made from (`context.resourceAddresses`,
`networkInfo`, `draDevices`); a non-empty ready-made list wins for its kind.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from vmi_converter.converter.common import safe_xml
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, devices, items, obj
from vmi_converter.converter.domain.model import Domain, HostDevice
from vmi_converter.converter.domain.xmlmodel import from_element
from vmi_converter.converter.hostdev import sriov
from vmi_converter.converter.hostdev.pools import (
    HostDeviceError,
    dra_generic_host_devices,
    dra_gpu_host_devices,
    generic_host_devices_from_env,
    gpu_host_devices_from_env,
)

Build = Callable[[JSON, Context], list[HostDevice]]


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    kinds: list[tuple[list[str], str, Build]] = [
        (ctx.generic_host_devices, "genericHostDevices", _generic_from_facts),
        (ctx.gpu_host_devices, "gpuHostDevices", _gpu_from_facts),
        (ctx.sriov_devices, "sriovDevices", _sriov_from_facts),
    ]
    hostdevs = devices_of(domain).hostdevs
    for ready_made, key, build in kinds:
        if ready_made:
            added = [parse_host_device(xml, f"context.{key}[{i}]") for i, xml in enumerate(ready_made)]
        elif has_host_device_facts(ctx):
            added = build(vmi, ctx)
        else:
            continue
        hostdevs.extend(_without_source_address_type(dev) for dev in added)


def _without_source_address_type(device: HostDevice) -> HostDevice:
    """Drop `type="pci"` from a PCI hostdev's source address.

    KubeVirt writes it; libvirt ignores it there but its schema rejects it.
    """
    source = device.source.address if device.source is not None else None
    if device.type == "pci" and source is not None and source.type == "pci":
        source.type = None
    return device


def has_host_device_facts(ctx: Context) -> bool:
    return ctx.resource_addresses is not None or ctx.network_info is not None or ctx.dra_devices is not None


def parse_host_device(fragment: str, field: str) -> HostDevice:
    """One ready-made `<hostdev>` element; entities and network access stay disabled."""
    if not isinstance(fragment, str):
        raise ConversionError(field, "expected a <hostdev> XML element as a string")
    try:
        node = etree.fromstring(fragment.encode(), safe_xml.parser())
    except etree.XMLSyntaxError as err:
        raise ConversionError(field, f"invalid hostdev XML: {err}") from None
    if node.tag != "hostdev":
        raise ConversionError(field, f"expected a <hostdev> element, got <{node.tag}>")
    return from_element(HostDevice, node)


def _generic_from_facts(vmi: JSON, ctx: Context) -> list[HostDevice]:
    host_devices = [obj(h) for h in items(devices(vmi).get("hostDevices"))]
    try:
        created = generic_host_devices_from_env(host_devices, ctx.resource_addresses or {})
        return created + dra_generic_host_devices(vmi, ctx.dra_devices or {})
    except HostDeviceError as err:
        raise ConversionError("spec.domain.devices.hostDevices", str(err)) from None


def _gpu_from_facts(vmi: JSON, ctx: Context) -> list[HostDevice]:
    gpus = [obj(g) for g in items(devices(vmi).get("gpus"))]
    try:
        created = gpu_host_devices_from_env(gpus, ctx.resource_addresses or {})
        return created + dra_gpu_host_devices(vmi, ctx.dra_devices or {})
    except HostDeviceError as err:
        raise ConversionError("spec.domain.devices.gpus", str(err)) from None


def _sriov_from_facts(vmi: JSON, ctx: Context) -> list[HostDevice]:
    try:
        created = sriov.multus_sriov_host_devices(vmi, ctx.network_info)
        return created + sriov.dra_sriov_host_devices(vmi, ctx.dra_devices)
    except HostDeviceError as err:
        raise ConversionError("spec.domain.devices.interfaces", str(err)) from None
