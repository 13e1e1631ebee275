"""Guest memory: sizes, backing, NUMA tuning, memory devices and the balloon."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import (
    Element,
    Value,
    attr,
    child,
    children,
    element,
    flag,
    text,
    text_child,
)
from vmi_converter.converter.domain.model.common import Address, Alias


@element()
class Memory(Element):
    value: Value = text()
    unit: Value = attr()


@element()
class MaxMemory(Element):
    value: Value = text()
    unit: Value = attr()
    slots: Value = attr()


@element()
class MemoryBacking(Element):
    huge_pages: HugePages | None = child("hugepages")
    source: MemoryBackingSource | None = child("source")
    access: MemoryBackingAccess | None = child("access")
    allocation: MemoryAllocation | None = child("allocation")
    no_share_pages: bool = flag("nosharepages")


@element()
class HugePages(Element):
    huge_page: list[HugePage] = children("page")


@element()
class HugePage(Element):
    size: Value = attr()
    unit: Value = attr()
    nodeset: Value = attr("nodeset")


@element()
class MemoryBackingSource(Element):
    type: Value = attr()


@element()
class MemoryBackingAccess(Element):
    mode: Value = attr()


@element()
class MemoryAllocation(Element):
    mode: Value = attr()


@element()
class NUMATune(Element):
    memory: NumaTuneMemory | None = child()
    memnodes: list[MemNode] = children("memnode")


@element()
class NumaTuneMemory(Element):
    mode: Value = attr()
    nodeset: Value = attr("nodeset")


@element()
class MemNode(Element):
    cellid: Value = attr("cellid")
    mode: Value = attr()
    nodeset: Value = attr("nodeset")


@element()
class MemoryDevice(Element):
    model: Value = attr()
    target: MemoryTarget | None = child()
    alias: Alias | None = child()
    address: Address | None = child()


@element()
class MemoryTarget(Element):
    size: Memory | None = child("size")
    requested: Memory | None = child("requested")
    current: Memory | None = child("current")
    node: Value = text_child("node")
    block: Memory | None = child("block")
    address: MemoryAddress | None = child("address")


@element()
class MemoryAddress(Element):
    base: Value = attr()


@element()
class MemBalloon(Element):
    model: Value = attr()
    free_page_reporting: Value = attr("freePageReporting")
    stats: Stats | None = child()
    address: Address | None = child()
    driver: MemBalloonDriver | None = child()


@element()
class Stats(Element):
    period: Value = attr()


@element()
class MemBalloonDriver(Element):
    iommu: Value = attr()
