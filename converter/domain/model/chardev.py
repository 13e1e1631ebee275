"""Character devices: serial ports, consoles and channels."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, element
from vmi_converter.converter.domain.model.common import Alias


@element()
class Serial(Element):
    type: Value = attr()
    target: SerialTarget | None = child()
    source: SerialSource | None = child()
    alias: Alias | None = child()
    log: SerialLog | None = child()


@element()
class SerialTarget(Element):
    port: Value = attr()


@element()
class SerialSource(Element):
    mode: Value = attr()
    path: Value = attr()


@element()
class SerialLog(Element):
    file: Value = attr()
    append: Value = attr()


@element()
class Console(Element):
    type: Value = attr()
    target: ConsoleTarget | None = child()
    source: ConsoleSource | None = child()
    alias: Alias | None = child()


@element()
class ConsoleTarget(Element):
    type: Value = attr()
    port: Value = attr()


@element()
class ConsoleSource(Element):
    mode: Value = attr()
    path: Value = attr()


@element()
class Channel(Element):
    type: Value = attr()
    source: ChannelSource | None = child("source")
    target: ChannelTarget | None = child("target")


@element()
class ChannelSource(Element):
    mode: Value = attr()
    path: Value = attr()


@element()
class ChannelTarget(Element):
    name: Value = attr()
    type: Value = attr()
    address: Value = attr()
    port: Value = attr()
    state: Value = attr()
