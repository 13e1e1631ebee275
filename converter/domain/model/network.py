"""`<interface>` with its source, target, model, driver and port forwards."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, children, element
from vmi_converter.converter.domain.model.common import Address, Alias, BootOrder


@element("interface")
class Interface(Element):
    type: Value = attr()
    trust_guest_rx_filters: Value = attr("trustGuestRxFilters")
    source: InterfaceSource | None = child()
    target: InterfaceTarget | None = child()
    model: Model | None = child()
    mac: MAC | None = child()
    mtu: MTU | None = child()
    boot: BootOrder | None = child()
    link: LinkState | None = child()
    filterref: FilterRef | None = child()
    alias: Alias | None = child()
    driver: InterfaceDriver | None = child()
    rom: Rom | None = child()
    acpi: ACPI | None = child()
    backend: InterfaceBackend | None = child()
    port_forwards: list[InterfacePortForward] = children("portForward")
    address: Address | None = child()


@element()
class InterfaceSource(Element):
    network: Value = attr()
    dev: Value = attr()
    bridge: Value = attr()
    mode: Value = attr()
    address: Address | None = child("address")


@element()
class InterfaceTarget(Element):
    dev: Value = attr()
    managed: Value = attr()


@element()
class Model(Element):
    type: Value = attr()


@element()
class MAC(Element):
    mac: Value = attr("address")


@element()
class MTU(Element):
    size: Value = attr()


@element()
class LinkState(Element):
    state: Value = attr()


@element()
class FilterRef(Element):
    filter: Value = attr()


@element()
class InterfaceDriver(Element):
    name: Value = attr()
    queues: Value = attr()
    iommu: Value = attr()


@element()
class Rom(Element):
    enabled: Value = attr()


@element()
class ACPI(Element):
    index: Value = attr()


@element()
class InterfaceBackend(Element):
    type: Value = attr()
    log_file: Value = attr("logFile")


@element()
class InterfacePortForward(Element):
    proto: Value = attr()
    address: Value = attr()
    dev: Value = attr()
    ranges: list[InterfacePortForwardRange] = children("range")


@element()
class InterfacePortForwardRange(Element):
    start: Value = attr()
    end: Value = attr()
    to: Value = attr()
    exclude: Value = attr()
