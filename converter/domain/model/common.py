"""Parts many devices share: user alias, device address, boot order."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, element


@element()
class Alias(Element):
    name: Value = attr()


@element()
class Address(Element):
    type: Value = attr()
    domain: Value = attr()
    bus: Value = attr()
    slot: Value = attr()
    function: Value = attr()
    controller: Value = attr()
    target: Value = attr()
    unit: Value = attr()
    uuid: Value = attr()
    device: Value = attr()
    cssid: Value = attr()
    ssid: Value = attr()
    dev_no: Value = attr("devno")


@element()
class BootOrder(Element):
    order: Value = attr()
