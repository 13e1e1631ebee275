"""libvirt domain XML, declared once: every element, attribute and child order.

Names follow libvirt's domain schema; child order follows KubeVirt's
`virtwrap/api` schema so our output reads like KubeVirt's. Declaration order is
dependency order (a class is declared before the classes that contain it).
"""

from __future__ import annotations

from vmi_converter.converter.domain.xmlmodel import (
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

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
KUBEVIRT_NS = "http://kubevirt.io"


@element()
class Alias(Element):
    name: Value = attr()


@element()
class CPUFeature(Element):
    name: Value = attr()
    policy: Value = attr()


@element()
class CPUTopology(Element):
    sockets: Value = attr()
    cores: Value = attr()
    threads: Value = attr()


@element()
class NUMACellSibling(Element):
    id: Value = attr()
    value: Value = attr()


@element()
class NUMACellDistances(Element):
    siblings: list[NUMACellSibling] = children(NUMACellSibling, "sibling")


@element()
class NUMACell(Element):
    id: Value = attr()
    cpus: Value = attr("cpus")
    memory: Value = attr()
    unit: Value = attr()
    memory_access: Value = attr("memAccess")
    distances: NUMACellDistances | None = child(NUMACellDistances, "distances")


@element()
class NUMA(Element):
    cells: list[NUMACell] = children(NUMACell, "cell")


@element()
class CPU(Element):
    mode: Value = attr()
    model: Value = text_child("model")
    features: list[CPUFeature] = children(CPUFeature, "feature")
    topology: CPUTopology | None = child(CPUTopology, "topology")
    numa: NUMA | None = child(NUMA, "numa")


@element()
class CPUEmulatorPin(Element):
    cpuset: Value = attr("cpuset")


@element()
class CPUTuneIOThreadPin(Element):
    iothread: Value = attr("iothread")
    cpuset: Value = attr("cpuset")


@element()
class CPUTuneVCPUPin(Element):
    vcpu: Value = attr()
    cpuset: Value = attr("cpuset")


@element()
class Timer(Element):
    name: Value = attr()
    tick_policy: Value = attr("tickpolicy")
    present: Value = attr()
    track: Value = attr()
    frequency: Value = attr()


@element()
class Clock(Element):
    offset: Value = attr()
    timezone: Value = attr()
    adjustment: Value = attr()
    timers: list[Timer] = children(Timer, "timer")


@element()
class Arg(Element):
    value: Value = attr()


@element()
class Env(Element):
    name: Value = attr()
    value: Value = attr()


@element()
class Commandline(Element):
    qemu_env: list[Env] = children(Env, "qemu:env")
    qemu_arg: list[Arg] = children(Arg, "qemu:arg")


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


@element()
class Channel(Element):
    type: Value = attr()
    source: ChannelSource | None = child(ChannelSource, "source")
    target: ChannelTarget | None = child(ChannelTarget, "target")


@element()
class ConsoleSource(Element):
    mode: Value = attr()
    path: Value = attr()


@element()
class ConsoleTarget(Element):
    type: Value = attr()
    port: Value = attr()


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
class BackingStoreFormat(Element):
    type: Value = attr()


@element()
class BlockIO(Element):
    logical_block_size: Value = attr()
    physical_block_size: Value = attr()
    discard_granularity: Value = attr()


@element()
class BootOrder(Element):
    order: Value = attr()


@element()
class DiskSecret(Element):
    type: Value = attr()
    usage: Value = attr()
    uuid: Value = attr()


@element()
class DiskAuth(Element):
    username: Value = attr()
    secret: DiskSecret | None = child(DiskSecret, "secret")


@element()
class DiskIOThread(Element):
    id: Value = attr()


@element()
class DiskIOThreads(Element):
    iothread: list[DiskIOThread] = children(DiskIOThread, "iothread")


@element()
class DiskDriver(Element):
    cache: Value = attr()
    error_policy: Value = attr()
    io: Value = attr()
    name: Value = attr()
    type: Value = attr()
    iothread: Value = attr("iothread")
    iothreads: DiskIOThreads | None = child(DiskIOThreads, "iothreads")
    queues: Value = attr()
    discard: Value = attr()
    iommu: Value = attr()


@element()
class DiskTarget(Element):
    bus: Value = attr()
    dev: Value = attr()
    tray: Value = attr()


@element()
class FilesystemBinaryCache(Element):
    mode: Value = attr()


@element()
class FilesystemBinaryLock(Element):
    posix: Value = attr()
    flock: Value = attr()


@element()
class FilesystemBinary(Element):
    path: Value = attr()
    xattr: Value = attr()
    cache: FilesystemBinaryCache | None = child(FilesystemBinaryCache, "cache")
    lock: FilesystemBinaryLock | None = child(FilesystemBinaryLock, "lock")


@element()
class FilesystemDriver(Element):
    type: Value = attr()
    queue: Value = attr()


@element()
class FilesystemSource(Element):
    dir: Value = attr()
    socket: Value = attr()


@element()
class FilesystemTarget(Element):
    dir: Value = attr()


@element()
class FilesystemDevice(Element):
    type: Value = attr()
    access_mode: Value = attr("accessMode")
    source: FilesystemSource | None = child(FilesystemSource, "source")
    target: FilesystemTarget | None = child(FilesystemTarget, "target")
    driver: FilesystemDriver | None = child(FilesystemDriver, "driver")
    binary: FilesystemBinary | None = child(FilesystemBinary, "binary")


@element()
class GraphicsListen(Element):
    type: Value = attr()
    address: Value = attr()
    network: Value = attr("network")
    socket: Value = attr()


@element()
class Graphics(Element):
    auto_port: Value = attr("autoport")
    default_mode: Value = attr("defaultMode")
    listen: GraphicsListen | None = child(GraphicsListen, "listen")
    passwd_valid_to: Value = attr("passwdValidTo")
    port: Value = attr()
    tls_port: Value = attr("tlsPort")
    type: Value = attr()


@element()
class ACPIHostDev(Element):
    nodeset: Value = attr("nodeset")


@element()
class HostDevDriver(Element):
    iommufd: Value = attr()


@element()
class HostDeviceSource(Element):
    address: Address | None = child(Address, "address")


@element()
class IOMMUDriver(Element):
    pci_bus: Value = attr("pciBus")
    accel: Value = attr()
    ats: Value = attr()
    ril: Value = attr()
    ssid_size: Value = attr("ssidSize")
    oas: Value = attr()


@element("iommu")
class IOMMUDevice(Element):
    model: Value = attr()
    driver: IOMMUDriver | None = child(IOMMUDriver, "driver")


@element()
class ACPI(Element):
    index: Value = attr()


@element()
class FilterRef(Element):
    filter: Value = attr()


@element()
class InterfaceBackend(Element):
    type: Value = attr()
    log_file: Value = attr("logFile")


@element()
class InterfaceDriver(Element):
    name: Value = attr()
    queues: Value = attr()
    iommu: Value = attr()


@element()
class InterfacePortForwardRange(Element):
    start: Value = attr()
    end: Value = attr()
    to: Value = attr()
    exclude: Value = attr()


@element()
class InterfacePortForward(Element):
    proto: Value = attr()
    address: Value = attr()
    dev: Value = attr()
    ranges: list[InterfacePortForwardRange] = children(InterfacePortForwardRange, "range")


@element()
class InterfaceSource(Element):
    network: Value = attr()
    dev: Value = attr()
    bridge: Value = attr()
    mode: Value = attr()
    address: Address | None = child(Address, "address")


@element()
class InterfaceTarget(Element):
    dev: Value = attr()
    managed: Value = attr()


@element()
class LinkState(Element):
    state: Value = attr()


@element()
class MAC(Element):
    mac: Value = attr("address")


@element()
class MTU(Element):
    size: Value = attr()


@element()
class Model(Element):
    type: Value = attr()


@element()
class Rom(Element):
    enabled: Value = attr()


@element()
class MemBalloonDriver(Element):
    iommu: Value = attr()


@element()
class Stats(Element):
    period: Value = attr()


@element()
class Memory(Element):
    value: Value = text()
    unit: Value = attr()


@element()
class MemoryAddress(Element):
    base: Value = attr()


@element()
class MemoryTarget(Element):
    size: Memory | None = child(Memory, "size")
    requested: Memory | None = child(Memory, "requested")
    current: Memory | None = child(Memory, "current")
    node: Value = text_child("node")
    block: Memory | None = child(Memory, "block")
    address: MemoryAddress | None = child(MemoryAddress, "address")


@element()
class PanicDevice(Element):
    model: Value = attr()


@element()
class RedirectedDeviceSource(Element):
    mode: Value = attr()
    path: Value = attr()


@element()
class RedirectedDevice(Element):
    type: Value = attr()
    bus: Value = attr()
    source: RedirectedDeviceSource | None = child(RedirectedDeviceSource, "source")


@element()
class RngBackend(Element):
    model: Value = attr()
    source: Value = text()


@element()
class RngDriver(Element):
    iommu: Value = attr()


@element()
class SerialLog(Element):
    file: Value = attr()
    append: Value = attr()


@element()
class SerialSource(Element):
    mode: Value = attr()
    path: Value = attr()


@element()
class SerialTarget(Element):
    port: Value = attr()


@element()
class TPMBackend(Element):
    type: Value = attr()
    version: Value = attr()
    persistent_state: Value = attr()


@element()
class TPM(Element):
    model: Value = attr()
    backend: TPMBackend | None = child(TPMBackend, "backend")


@element()
class CID(Element):
    auto: Value = attr()
    address: Value = attr()


@element()
class VSOCK(Element):
    model: Value = attr()
    cid: CID | None = child(CID, "cid")


@element()
class VideoModel(Element):
    type: Value = attr()
    heads: Value = attr()
    ram: Value = attr()
    vram: Value = attr()
    vgamem: Value = attr()


@element()
class Video(Element):
    model: VideoModel | None = child(VideoModel, "model")


@element()
class FeatureSpinlocks(Element):
    state: Value = attr()
    retries: Value = attr()


@element()
class FeatureState(Element):
    state: Value = attr()


@element()
class FeatureVendorID(Element):
    state: Value = attr()
    value: Value = attr()


@element()
class SyNICTimer(Element):
    direct: FeatureState | None = child(FeatureState, "direct")
    state: Value = attr()


@element()
class TLBFlush(Element):
    direct: FeatureState | None = child(FeatureState, "direct")
    extended: FeatureState | None = child(FeatureState, "extended")
    state: Value = attr()


@element()
class FeatureHyperv(Element):
    mode: Value = attr()
    relaxed: FeatureState | None = child(FeatureState, "relaxed")
    vapic: FeatureState | None = child(FeatureState, "vapic")
    spinlocks: FeatureSpinlocks | None = child(FeatureSpinlocks, "spinlocks")
    vpindex: FeatureState | None = child(FeatureState, "vpindex")
    runtime: FeatureState | None = child(FeatureState, "runtime")
    synic: FeatureState | None = child(FeatureState, "synic")
    synic_timer: SyNICTimer | None = child(SyNICTimer, "stimer")
    reset: FeatureState | None = child(FeatureState, "reset")
    vendor_id: FeatureVendorID | None = child(FeatureVendorID, "vendor_id")
    frequencies: FeatureState | None = child(FeatureState, "frequencies")
    reenlightenment: FeatureState | None = child(FeatureState, "reenlightenment")
    tlbflush: TLBFlush | None = child(TLBFlush, "tlbflush")
    ipi: FeatureState | None = child(FeatureState, "ipi")
    evmcs: FeatureState | None = child(FeatureState, "evmcs")


@element()
class FeatureKVM(Element):
    hidden: FeatureState | None = child(FeatureState, "hidden")
    hint_dedicated: FeatureState | None = child(FeatureState, "hint-dedicated")


@element()
class FeaturePVSpinlock(Element):
    state: Value = attr()


@element("iommufd")
class IOMMUFD(Element):
    enabled: Value = attr()
    fd_group: Value = attr("fdgroup")


@element()
class IOThreads(Element):
    iothreads: Value = text()


@element()
class QGS(Element):
    path: Value = attr()


@element()
class LaunchSecurity(Element):
    type: Value = attr()
    dh_cert: Value = text_child("dhCert")
    session: Value = text_child("session")
    cbitpos: Value = text_child("cbitpos")
    reduced_phys_bits: Value = text_child("reducedPhysBits")
    policy: Value = text_child("policy")
    quote_generation_service: QGS | None = child(QGS, "quoteGenerationService")


@element()
class MaxMemory(Element):
    value: Value = text()
    unit: Value = attr()
    slots: Value = attr()


@element()
class HugePage(Element):
    size: Value = attr()
    unit: Value = attr()
    nodeset: Value = attr("nodeset")


@element()
class HugePages(Element):
    huge_page: list[HugePage] = children(HugePage, "page")


@element()
class MemoryAllocation(Element):
    mode: Value = attr()


@element()
class MemoryBackingAccess(Element):
    mode: Value = attr()


@element()
class MemoryBackingSource(Element):
    type: Value = attr()


@element()
class MemoryBacking(Element):
    huge_pages: HugePages | None = child(HugePages, "hugepages")
    source: MemoryBackingSource | None = child(MemoryBackingSource, "source")
    access: MemoryBackingAccess | None = child(MemoryBackingAccess, "access")
    allocation: MemoryAllocation | None = child(MemoryAllocation, "allocation")
    no_share_pages: bool = flag("nosharepages")


@element()
class MemNode(Element):
    cellid: Value = attr("cellid")
    mode: Value = attr()
    nodeset: Value = attr("nodeset")


@element()
class NumaTuneMemory(Element):
    mode: Value = attr()
    nodeset: Value = attr("nodeset")


@element()
class BIOS(Element):
    use_serial: Value = attr("useserial")


@element()
class Boot(Element):
    dev: Value = attr()


@element()
class BootMenu(Element):
    enable: Value = attr()
    timeout: Value = attr()


@element()
class FirmwareFeature(Element):
    enabled: Value = attr()
    name: Value = attr()


@element()
class FirmwareInfo(Element):
    features: list[FirmwareFeature] = children(FirmwareFeature, "feature")


@element()
class Loader(Element):
    read_only: Value = attr("readonly")
    secure: Value = attr()
    type: Value = attr()
    path: Value = text()


@element()
class NVRam(Element):
    template: Value = attr()
    format: Value = attr()
    nv_ram: Value = text()


@element()
class ACPITable(Element):
    path: Value = text()
    type: Value = attr()


@element()
class OSACPI(Element):
    table: list[ACPITable] = children(ACPITable, "table")


@element()
class OSType(Element):
    os: Value = text()
    arch: Value = attr()
    machine: Value = attr()


@element()
class SMBios(Element):
    mode: Value = attr()


@element()
class Resource(Element):
    partition: Value = text_child("partition")


@element()
class VCPU(Element):
    placement: Value = attr()
    cpus: Value = text()


@element()
class VCPUsVCPU(Element):
    id: Value = attr()
    enabled: Value = attr()
    hotpluggable: Value = attr()
    order: Value = attr()


@element()
class VCPUs(Element):
    vcpu: list[VCPUsVCPU] = children(VCPUsVCPU, "vcpu")


@element()
class SliceType(Element):
    type: Value = attr()
    offset: Value = attr()
    size: Value = attr()


@element()
class Slices(Element):
    slices: list[SliceType] = children(SliceType, "slice")


@element()
class DiskSourceHost(Element):
    name: Value = attr()
    port: Value = attr()


@element()
class SourceReservations(Element):
    type: Value = attr()
    path: Value = attr()
    mode: Value = attr()


@element()
class Reservations(Element):
    managed: Value = attr()
    migration: Value = attr()
    source: SourceReservations | None = child(SourceReservations)


@element()
class DataStoreFormat(Element):
    type: Value = attr()


@element()
class DataStoreSource(Element):
    dev: Value = attr()
    file: Value = attr()


@element()
class DataStore(Element):
    type: Value = attr()
    format: DataStoreFormat | None = child(DataStoreFormat)
    source: DataStoreSource | None = child(DataStoreSource)


@element()
class DiskSource(Element):
    dev: Value = attr()
    file: Value = attr()
    startup_policy: Value = attr("startupPolicy")
    protocol: Value = attr()
    name: Value = attr()
    host: DiskSourceHost | None = child(DiskSourceHost)
    reservations: Reservations | None = child(Reservations)
    slices: Slices | None = child(Slices)
    data_store: DataStore | None = child(DataStore, "dataStore")


@element()
class BackingStore(Element):
    type: Value = attr()
    format: BackingStoreFormat | None = child(BackingStoreFormat)
    source: DiskSource | None = child(DiskSource)


@element("disk")
class Disk(Element):
    device: Value = attr()
    snapshot: Value = attr()
    type: Value = attr()
    model: Value = attr()
    source: DiskSource | None = child(DiskSource)
    target: DiskTarget | None = child(DiskTarget)
    serial: Value = text_child()
    driver: DiskDriver | None = child(DiskDriver)
    readonly: bool = flag()
    auth: DiskAuth | None = child(DiskAuth)
    alias: Alias | None = child(Alias)
    backing_store: BackingStore | None = child(BackingStore, "backingStore")
    boot: BootOrder | None = child(BootOrder)
    address: Address | None = child(Address)
    blockio: BlockIO | None = child(BlockIO)
    # Not libvirt elements: KubeVirt carries PVC facts here; we never emit them.
    shareable: bool = flag()


@element("interface")
class Interface(Element):
    type: Value = attr()
    trust_guest_rx_filters: Value = attr("trustGuestRxFilters")
    source: InterfaceSource | None = child(InterfaceSource)
    target: InterfaceTarget | None = child(InterfaceTarget)
    model: Model | None = child(Model)
    mac: MAC | None = child(MAC)
    mtu: MTU | None = child(MTU)
    boot: BootOrder | None = child(BootOrder)
    link: LinkState | None = child(LinkState)
    filterref: FilterRef | None = child(FilterRef)
    alias: Alias | None = child(Alias)
    driver: InterfaceDriver | None = child(InterfaceDriver)
    rom: Rom | None = child(Rom)
    acpi: ACPI | None = child(ACPI)
    backend: InterfaceBackend | None = child(InterfaceBackend)
    port_forwards: list[InterfacePortForward] = children(InterfacePortForward, "portForward")
    address: Address | None = child(Address)


@element("hostdev")
class HostDevice(Element):
    mode: Value = attr()
    type: Value = attr()
    managed: Value = attr()
    model: Value = attr()
    display: Value = attr()
    ramfb: Value = attr()
    source: HostDeviceSource | None = child(HostDeviceSource)
    driver: HostDevDriver | None = child(HostDevDriver)
    acpi: ACPIHostDev | None = child(ACPIHostDev)
    boot: BootOrder | None = child(BootOrder)
    alias: Alias | None = child(Alias)
    address: Address | None = child(Address)


@element()
class Input(Element):
    type: Value = attr()
    bus: Value = attr()
    model: Value = attr()
    alias: Alias | None = child(Alias)
    address: Address | None = child(Address)


@element()
class Controller(Element):
    type: Value = attr()
    index: Value = attr()
    model: Value = attr()
    driver: ControllerDriver | None = child(ControllerDriver)
    alias: Alias | None = child(Alias)
    address: Address | None = child(Address)
    pcihole64: PCIHole64 | None = child(PCIHole64)
    target: ControllerTarget | None = child(ControllerTarget)


@element()
class Watchdog(Element):
    model: Value = attr()
    action: Value = attr()
    alias: Alias | None = child(Alias)
    address: Address | None = child(Address)


@element()
class SoundCard(Element):
    model: Value = attr()
    alias: Alias | None = child(Alias)


@element()
class Console(Element):
    type: Value = attr()
    target: ConsoleTarget | None = child(ConsoleTarget)
    source: ConsoleSource | None = child(ConsoleSource)
    alias: Alias | None = child(Alias)


@element()
class Serial(Element):
    type: Value = attr()
    target: SerialTarget | None = child(SerialTarget)
    source: SerialSource | None = child(SerialSource)
    alias: Alias | None = child(Alias)
    log: SerialLog | None = child(SerialLog)


@element()
class MemoryDevice(Element):
    model: Value = attr()
    target: MemoryTarget | None = child(MemoryTarget)
    alias: Alias | None = child(Alias)
    address: Address | None = child(Address)


@element()
class MemBalloon(Element):
    model: Value = attr()
    free_page_reporting: Value = attr("freePageReporting")
    stats: Stats | None = child(Stats)
    address: Address | None = child(Address)
    driver: MemBalloonDriver | None = child(MemBalloonDriver)


@element()
class Rng(Element):
    model: Value = attr()
    backend: RngBackend | None = child(RngBackend)
    address: Address | None = child(Address)
    driver: RngDriver | None = child(RngDriver)


@element()
class Devices(Element):
    emulator: Value = text_child()
    interfaces: list[Interface] = children(Interface, "interface")
    channels: list[Channel] = children(Channel, "channel")
    hostdevs: list[HostDevice] = children(HostDevice, "hostdev")
    panics: list[PanicDevice] = children(PanicDevice, "panic")
    controllers: list[Controller] = children(Controller, "controller")
    videos: list[Video] = children(Video, "video")
    graphics: list[Graphics] = children(Graphics, "graphics")
    memballoon: MemBalloon | None = child(MemBalloon)
    disks: list[Disk] = children(Disk, "disk")
    inputs: list[Input] = children(Input, "input")
    serials: list[Serial] = children(Serial, "serial")
    consoles: list[Console] = children(Console, "console")
    watchdogs: list[Watchdog] = children(Watchdog, "watchdog")
    rng: Rng | None = child(Rng)
    filesystems: list[FilesystemDevice] = children(FilesystemDevice, "filesystem")
    redirdevs: list[RedirectedDevice] = children(RedirectedDevice, "redirdev")
    sounds: list[SoundCard] = children(SoundCard, "sound")
    tpms: list[TPM] = children(TPM, "tpm")
    vsock: VSOCK | None = child(VSOCK)
    memory: MemoryDevice | None = child(MemoryDevice)
    iommus: list[IOMMUDevice] = children(IOMMUDevice, "iommu")


@element()
class Features(Element):
    acpi: bool = flag()
    apic: bool = flag()
    hyperv: FeatureHyperv | None = child(FeatureHyperv)
    smm: bool = flag()
    kvm: FeatureKVM | None = child(FeatureKVM)
    pvspinlock: FeaturePVSpinlock | None = child(FeaturePVSpinlock)
    pmu: FeatureState | None = child(FeatureState)
    vmport: FeatureState | None = child(FeatureState)


@element()
class CPUTune(Element):
    vcpupins: list[CPUTuneVCPUPin] = children(CPUTuneVCPUPin, "vcpupin")
    iothreadpins: list[CPUTuneIOThreadPin] = children(CPUTuneIOThreadPin, "iothreadpin")
    emulatorpin: CPUEmulatorPin | None = child(CPUEmulatorPin)


@element()
class NUMATune(Element):
    memory: NumaTuneMemory | None = child(NumaTuneMemory)
    memnodes: list[MemNode] = children(MemNode, "memnode")


@element()
class OS(Element):
    firmware: Value = attr()
    firmware_info: FirmwareInfo | None = child(FirmwareInfo, "firmware")
    type: OSType | None = child(OSType)
    acpi: OSACPI | None = child(OSACPI)
    smbios: SMBios | None = child(SMBios)
    boots: list[Boot] = children(Boot, "boot")
    bootmenu: BootMenu | None = child(BootMenu)
    bios: BIOS | None = child(BIOS)
    loader: Loader | None = child(Loader)
    nvram: NVRam | None = child(NVRam)
    kernel: Value = text_child()
    initrd: Value = text_child()
    cmdline: Value = text_child()


@element()
class Entry(Element):
    name: Value = attr()
    value: Value = text()


@element()
class SysInfoEntries(Element):
    entries: list[Entry] = children(Entry, "entry")


@element()
class SysInfo(Element):
    type: Value = attr()
    system: SysInfoEntries | None = child(SysInfoEntries)
    bios: SysInfoEntries | None = child(SysInfoEntries)
    base_board: SysInfoEntries | None = child(SysInfoEntries, "baseBoard")
    chassis: SysInfoEntries | None = child(SysInfoEntries)


@element("kubevirt", ns=KUBEVIRT_NS)
class KubeVirtMetadata(Element):
    uid: Value = text_child()


@element()
class Metadata(Element):
    kubevirt: KubeVirtMetadata | None = child(KubeVirtMetadata)


@element("domain")
class Domain(Element):
    type: Value = attr()
    xmlns_qemu: Value = attr("xmlns:qemu")
    name: Value = text_child()
    uuid: Value = text_child()
    memory: Memory | None = child(Memory)
    current_memory: Memory | None = child(Memory, "currentMemory")
    max_memory: MaxMemory | None = child(MaxMemory, "maxMemory")
    memory_backing: MemoryBacking | None = child(MemoryBacking, "memoryBacking")
    os: OS | None = child(OS)
    sysinfo: SysInfo | None = child(SysInfo)
    devices: Devices | None = child(Devices)
    clock: Clock | None = child(Clock)
    resource: Resource | None = child(Resource)
    qemu_commandline: Commandline | None = child(Commandline, "qemu:commandline")
    metadata: Metadata | None = child(Metadata)
    features: Features | None = child(Features)
    cpu: CPU | None = child(CPU)
    vcpu: VCPU | None = child(VCPU)
    vcpus: VCPUs | None = child(VCPUs)
    cputune: CPUTune | None = child(CPUTune)
    numatune: NUMATune | None = child(NUMATune)
    iothreads: IOThreads | None = child(IOThreads)
    launch_security: LaunchSecurity | None = child(LaunchSecurity, "launchSecurity")
    on_reboot: Value = text_child()
    iommufd: IOMMUFD | None = child(IOMMUFD)
