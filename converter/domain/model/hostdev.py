"""Host devices passed through, and the IOMMU the guest sees."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, element
from vmi_converter.converter.domain.model.common import Address, Alias, BootOrder


@element("hostdev")
class HostDevice(Element):
    mode: Value = attr()
    type: Value = attr()
    managed: Value = attr()
    model: Value = attr()
    display: Value = attr()
    ramfb: Value = attr()
    source: HostDeviceSource | None = child()
    driver: HostDevDriver | None = child()
    acpi: ACPIHostDev | None = child()
    boot: BootOrder | None = child()
    alias: Alias | None = child()
    address: Address | None = child()


@element()
class HostDeviceSource(Element):
    address: Address | None = child("address")


@element()
class HostDevDriver(Element):
    iommufd: Value = attr()


@element()
class ACPIHostDev(Element):
    nodeset: Value = attr("nodeset")


@element("iommu")
class IOMMUDevice(Element):
    model: Value = attr()
    driver: IOMMUDriver | None = child("driver")


@element()
class IOMMUDriver(Element):
    pci_bus: Value = attr("pciBus")
    accel: Value = attr()
    ats: Value = attr()
    ril: Value = attr()
    ssid_size: Value = attr("ssidSize")
    oas: Value = attr()


@element("iommufd")
class IOMMUFD(Element):
    enabled: Value = attr()
    fd_group: Value = attr("fdgroup")
