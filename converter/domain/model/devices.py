"""`<devices>` and the devices without a family of their own."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, children, element, text, text_child
from vmi_converter.converter.domain.model.chardev import Channel, Console, Serial
from vmi_converter.converter.domain.model.common import Address, Alias
from vmi_converter.converter.domain.model.disk import Disk
from vmi_converter.converter.domain.model.filesystem import FilesystemDevice
from vmi_converter.converter.domain.model.hostdev import HostDevice, IOMMUDevice
from vmi_converter.converter.domain.model.memory import MemBalloon, MemoryDevice
from vmi_converter.converter.domain.model.network import Interface


@element()
class Devices(Element):
    emulator: Value = text_child()
    interfaces: list[Interface] = children("interface")
    channels: list[Channel] = children("channel")
    hostdevs: list[HostDevice] = children("hostdev")
    panics: list[PanicDevice] = children("panic")
    controllers: list[Controller] = children("controller")
    videos: list[Video] = children("video")
    graphics: list[Graphics] = children("graphics")
    memballoon: MemBalloon | None = child()
    disks: list[Disk] = children("disk")
    inputs: list[Input] = children("input")
    serials: list[Serial] = children("serial")
    consoles: list[Console] = children("console")
    watchdogs: list[Watchdog] = children("watchdog")
    rng: Rng | None = child()
    filesystems: list[FilesystemDevice] = children("filesystem")
    redirdevs: list[RedirectedDevice] = children("redirdev")
    sounds: list[SoundCard] = children("sound")
    tpms: list[TPM] = children("tpm")
    vsock: VSOCK | None = child()
    memory: MemoryDevice | None = child()
    iommus: list[IOMMUDevice] = children("iommu")


@element()
class Controller(Element):
    type: Value = attr()
    index: Value = attr()
    model: Value = attr()
    driver: ControllerDriver | None = child()
    alias: Alias | None = child()
    address: Address | None = child()
    pcihole64: PCIHole64 | None = child()
    target: ControllerTarget | None = child()


@element()
class ControllerDriver(Element):
    iothread: Value = attr("iothread")
    queues: Value = attr()
    iommu: Value = attr()


@element()
class ControllerTarget(Element):
    hotplug: Value = attr()
    bus_nr: Value = attr("busNr")
    numa_node: Value = text_child("node")


@element()
class PCIHole64(Element):
    value: Value = text()
    unit: Value = attr()


@element()
class Video(Element):
    model: VideoModel | None = child("model")


@element()
class VideoModel(Element):
    type: Value = attr()
    heads: Value = attr()
    ram: Value = attr()
    vram: Value = attr()
    vgamem: Value = attr()


@element()
class Graphics(Element):
    auto_port: Value = attr("autoport")
    default_mode: Value = attr("defaultMode")
    listen: GraphicsListen | None = child("listen")
    passwd_valid_to: Value = attr("passwdValidTo")
    port: Value = attr()
    tls_port: Value = attr("tlsPort")
    type: Value = attr()


@element()
class GraphicsListen(Element):
    type: Value = attr()
    address: Value = attr()
    network: Value = attr("network")
    socket: Value = attr()


@element()
class Input(Element):
    type: Value = attr()
    bus: Value = attr()
    model: Value = attr()
    alias: Alias | None = child()
    address: Address | None = child()


@element()
class Watchdog(Element):
    model: Value = attr()
    action: Value = attr()
    alias: Alias | None = child()
    address: Address | None = child()


@element()
class SoundCard(Element):
    model: Value = attr()
    alias: Alias | None = child()


@element()
class PanicDevice(Element):
    model: Value = attr()


@element()
class RedirectedDevice(Element):
    type: Value = attr()
    bus: Value = attr()
    source: RedirectedDeviceSource | None = child("source")


@element()
class RedirectedDeviceSource(Element):
    mode: Value = attr()
    path: Value = attr()


@element()
class Rng(Element):
    model: Value = attr()
    backend: RngBackend | None = child()
    address: Address | None = child()
    driver: RngDriver | None = child()


@element()
class RngBackend(Element):
    model: Value = attr()
    source: Value = text()


@element()
class RngDriver(Element):
    iommu: Value = attr()


@element()
class TPM(Element):
    model: Value = attr()
    backend: TPMBackend | None = child("backend")


@element()
class TPMBackend(Element):
    type: Value = attr()
    version: Value = attr()
    persistent_state: Value = attr()


@element()
class VSOCK(Element):
    model: Value = attr()
    cid: CID | None = child("cid")


@element()
class CID(Element):
    auto: Value = attr()
    address: Value = attr()
