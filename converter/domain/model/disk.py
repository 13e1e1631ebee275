"""`<disk>` with its source, driver, target and the rest of its parts."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, children, element, flag, text_child
from vmi_converter.converter.domain.model.common import Address, Alias, BootOrder


@element("disk")
class Disk(Element):
    device: Value = attr()
    snapshot: Value = attr()
    type: Value = attr()
    model: Value = attr()
    source: DiskSource | None = child()
    target: DiskTarget | None = child()
    serial: Value = text_child()
    driver: DiskDriver | None = child()
    readonly: bool = flag()
    auth: DiskAuth | None = child()
    alias: Alias | None = child()
    backing_store: BackingStore | None = child("backingStore")
    boot: BootOrder | None = child()
    address: Address | None = child()
    blockio: BlockIO | None = child()
    # `<shareable/>`, emitted last as KubeVirt's schema orders it: the disk may be used by several
    # domains at once (spec `shareable: true`, which also forces cache=none).
    shareable: bool = flag()


@element()
class DiskSource(Element):
    dev: Value = attr()
    file: Value = attr()
    startup_policy: Value = attr("startupPolicy")
    protocol: Value = attr()
    name: Value = attr()
    host: DiskSourceHost | None = child()
    reservations: Reservations | None = child()
    slices: Slices | None = child()
    data_store: DataStore | None = child("dataStore")


@element()
class DiskSourceHost(Element):
    name: Value = attr()
    port: Value = attr()


@element()
class Reservations(Element):
    managed: Value = attr()
    migration: Value = attr()
    source: SourceReservations | None = child()


@element()
class SourceReservations(Element):
    type: Value = attr()
    path: Value = attr()
    mode: Value = attr()


@element()
class Slices(Element):
    slices: list[SliceType] = children("slice")


@element()
class SliceType(Element):
    type: Value = attr()
    offset: Value = attr()
    size: Value = attr()


@element()
class DataStore(Element):
    type: Value = attr()
    format: DataStoreFormat | None = child()
    source: DataStoreSource | None = child()


@element()
class DataStoreFormat(Element):
    type: Value = attr()


@element()
class DataStoreSource(Element):
    dev: Value = attr()
    file: Value = attr()


@element()
class DiskTarget(Element):
    bus: Value = attr()
    dev: Value = attr()
    tray: Value = attr()


@element()
class DiskDriver(Element):
    cache: Value = attr()
    error_policy: Value = attr()
    io: Value = attr()
    name: Value = attr()
    type: Value = attr()
    iothread: Value = attr("iothread")
    iothreads: DiskIOThreads | None = child("iothreads")
    queues: Value = attr()
    discard: Value = attr()
    iommu: Value = attr()


@element()
class DiskIOThreads(Element):
    iothread: list[DiskIOThread] = children("iothread")


@element()
class DiskIOThread(Element):
    id: Value = attr()


@element()
class DiskAuth(Element):
    username: Value = attr()
    secret: DiskSecret | None = child("secret")


@element()
class DiskSecret(Element):
    type: Value = attr()
    usage: Value = attr()
    uuid: Value = attr()


@element()
class BackingStore(Element):
    type: Value = attr()
    format: BackingStoreFormat | None = child()
    source: DiskSource | None = child()


@element()
class BackingStoreFormat(Element):
    type: Value = attr()


@element()
class BlockIO(Element):
    logical_block_size: Value = attr()
    physical_block_size: Value = attr()
    discard_granularity: Value = attr()
