"""The `<disk>` devices: one per `spec.domain.devices.disks[]`, in that order.

Each disk gets its device part (kind, bus, guest name, driver options) from
the disk spec and its backing (source, format) from the volume of the same
name. Hotplugged volumes appear only once they are mounted into the pod.
IOThread ids are handed out in disk order, as KubeVirt does.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.build import BuildState, DiskDecision
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.guest_resources import requested_vcpus
from vmi_converter.converter.common.pci import PCIAddressError, pci_address_field
from vmi_converter.converter.common.vmi import JSON, devices, items, obj, spec
from vmi_converter.converter.compute import iothreads
from vmi_converter.converter.domain.model import (
    Address,
    BootOrder,
    Devices,
    Disk,
    DiskDriver,
    DiskIOThread,
    DiskIOThreads,
    DiskSource,
    DiskTarget,
    Domain,
    Reservations,
    SourceReservations,
)
from vmi_converter.converter.storage import paths
from vmi_converter.converter.storage.block_io import block_io
from vmi_converter.converter.storage.naming import DeviceNamer, disk_kind, volume_statuses
from vmi_converter.converter.storage.volumes import (
    STOP,
    UNMAP,
    apply_hotplug_volume,
    apply_missing_volume,
    apply_volume,
    reject_file_lun,
)

ERROR_POLICIES = ("stop", "ignore", "report", "enospace")
HOTPLUG_READY_PHASES = ("MountedToPod", "Ready")


@dataclass(slots=True)
class _Settings:
    """What every disk of this VMI shares."""

    namer: DeviceNamer
    virtio_model: str
    block_queues: int | None
    iommu: str | None  # "on" when launch security encrypts guest memory
    hotplug: dict[str, JSON]
    permanent: dict[str, JSON]
    volumes: dict[str, tuple[int, JSON]]


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    disks = [d for d in items(devices(vmi).get("disks")) if isinstance(d, dict)]
    hotplug, permanent = volume_sets(vmi, ctx)
    settings = _Settings(
        namer=DeviceNamer(volume_statuses(vmi), disks),
        virtio_model=ctx.arch.virtio_model(_virtio_transitional(vmi, ctx)),
        block_queues=_block_queues(vmi),
        # Encrypted guest memory: virtio devices must go through the IOMMU.
        iommu="on" if ctx.use_launch_security_sev or ctx.use_launch_security_pv else None,
        hotplug=hotplug,
        permanent=permanent,
        volumes={
            str(v.get("name") or ""): (i, v)
            for i, v in enumerate(items(spec(vmi).get("volumes")))
            if isinstance(v, dict)
        },
    )
    threads = _IOThreadAssigner.for_vmi(vmi)
    if domain.devices is None:
        domain.devices = Devices()
    for index, spec_disk in enumerate(items(devices(vmi).get("disks"))):
        if not isinstance(spec_disk, dict):
            continue
        disk_field = f"spec.domain.devices.disks[{index}]"
        disk, ready = _convert(spec_disk, vmi, ctx, settings, disk_field)
        if ready:
            domain.devices.disks.append(disk)
            state.disks.append(DiskDecision(disk, str(spec_disk.get("name") or ""), disk_field))
        _set_error_policy(spec_disk, disk, disk_field)
        if threads is not None:
            # The counters advance even for a disk that is not emitted yet.
            threads.assign(spec_disk, disk)


def volume_sets(vmi: JSON, ctx: Context) -> tuple[dict[str, JSON], dict[str, JSON]]:
    """(hotplug, permanent) volume statuses: from the context, else split from status.volumeStatus."""
    hotplug: dict[str, JSON] = {}
    permanent: dict[str, JSON] = {}
    for status in volume_statuses(vmi):
        name = str(status.get("name") or "")
        (hotplug if isinstance(status.get("hotplugVolume"), dict) else permanent)[name] = status
    if ctx.hotplug_volumes or "hotplugVolumes" in ctx.raw:
        hotplug = {k: obj(v) for k, v in ctx.hotplug_volumes.items()}
    if ctx.permanent_volumes or "permanentVolumes" in ctx.raw:
        permanent = {k: obj(v) for k, v in ctx.permanent_volumes.items()}
    return hotplug, permanent


def _convert(spec_disk: JSON, vmi: JSON, ctx: Context, settings: _Settings, disk_field: str) -> tuple[Disk, bool]:
    """The `<disk>` for one disk spec, and whether it belongs in the domain now."""
    name = str(spec_disk.get("name") or "")
    disk = _device(spec_disk, name, ctx, settings, disk_field)
    found = settings.volumes.get(name)
    hotplug_status = settings.hotplug.get(name)
    if found is None:
        if not isinstance(spec_disk.get("cdrom"), dict):
            raise ConversionError(f"{disk_field}.name", f"no matching volume with name {name} found")
        apply_missing_volume(disk)
    elif hotplug_status is not None:
        apply_hotplug_volume(disk, found[1], found[0], ctx)
    else:
        apply_volume(disk, found[1], found[0], vmi, ctx, disk_field, settings.virtio_model)
    reject_file_lun(disk, name, disk_field)
    disk.blockio = block_io(spec_disk, disk, ctx, disk_field)
    ready = (
        found is None
        or name in settings.permanent
        or not settings.permanent  # the VMI has not started yet: every disk is in
        or (hotplug_status is not None and hotplug_status.get("phase") in HOTPLUG_READY_PHASES)
    )
    return disk, ready


# ---------------------------------------------------------------- device part


def _device(spec_disk: JSON, name: str, ctx: Context, settings: _Settings, disk_field: str) -> Disk:
    disk = Disk(source=DiskSource())
    cache = str(spec_disk.get("cache") or "")
    kind = disk_kind(spec_disk)
    bus = ""
    if kind is None:
        disk.target = DiskTarget()
    else:
        device, target = kind
        bus = str(target.get("bus") or "")
        disk.device = device
        disk.target = _target(name, device, target, bus, settings.namer, disk)
        if device == "disk":
            cache = _disk_options(spec_disk, name, target, bus, disk, settings.virtio_model, cache, disk_field)
        elif device == "lun":
            disk.readonly = target.get("readonly") is True
            if target.get("reservation") is True:
                assert disk.source is not None
                disk.source.reservations = _pr_helper_reservations()
        else:
            readonly = target.get("readonly")
            disk.readonly = True if readonly is None else readonly is True
    driver = DiskDriver(name="qemu", cache=cache or None, io=str(spec_disk.get("io") or "") or None)
    if device_wants_discard(kind) and name not in ctx.volumes_discard_ignore:
        driver.discard = UNMAP
    if bus == "virtio":
        driver.queues = settings.block_queues
        driver.iommu = settings.iommu
    disk.driver = driver
    disk.alias = user_alias(name)
    if spec_disk.get("bootOrder") is not None:
        disk.boot = BootOrder(order=spec_disk["bootOrder"])
    return disk


def device_wants_discard(kind: tuple[str, JSON] | None) -> bool:
    return kind is not None and kind[0] in ("disk", "lun")


def _target(name: str, device: str, target: JSON, bus: str, namer: DeviceNamer, disk: Disk) -> DiskTarget:
    dev, unit = namer.name(name, bus)
    if device != "cdrom" and bus == "scsi":
        # Unit = the device's index; the virtio-scsi controller is always index 0.
        disk.address = Address(type="drive", controller="0", bus="0", unit=str(unit))
    tray = str(target.get("tray") or "") if device == "cdrom" else ""
    return DiskTarget(bus=bus or None, dev=dev or None, tray=tray or None)


def _disk_options(
    spec_disk: JSON, name: str, target: JSON, bus: str, disk: Disk, virtio_model: str, cache: str, disk_field: str
) -> str:
    """Options only a plain disk has; returns the cache mode (shareable forces none)."""
    pci = str(target.get("pciAddress") or "")
    if pci:
        if bus != "virtio":
            raise ConversionError(
                f"{disk_field}.disk.pciAddress",
                f"setting a pci address is not allowed for non-virtio bus types, for disk {name}",
            )
        disk.address = _pci_address(pci, name, f"{disk_field}.disk.pciAddress")
    if bus == "virtio":
        disk.model = virtio_model
    disk.readonly = target.get("readonly") is True
    serial = spec_disk.get("serial")
    disk.serial = str(serial) if serial else None
    if spec_disk.get("shareable") is True:
        cache = cache or "none"
        if cache != "none":
            raise ConversionError(f"{disk_field}.cache", f"a sharable disk requires cache = none got: {cache}")
        disk.shareable = True
    return cache


def _pci_address(address: str, name: str, field: str) -> Address:
    try:
        return pci_address_field(address)
    except PCIAddressError as err:
        raise ConversionError(field, f"failed to configure disk {name}: {err}") from None


def _pr_helper_reservations() -> Reservations:
    """SCSI persistent reservations go through the node's pr-helper daemon."""
    return Reservations(
        managed="no",
        migration="yes",
        source=SourceReservations(type="unix", path=paths.PR_HELPER_SOCKET, mode="client"),
    )


def _set_error_policy(spec_disk: JSON, disk: Disk, disk_field: str) -> None:
    assert disk.driver is not None
    policy = spec_disk.get("errorPolicy")
    if policy is None:
        disk.driver.error_policy = STOP
    elif policy in ERROR_POLICIES:
        disk.driver.error_policy = policy
    else:
        raise ConversionError(f"{disk_field}.errorPolicy", f"error policy {policy} not recognized")


# ---------------------------------------------------------------- VMI-wide settings


def _virtio_transitional(vmi: JSON, ctx: Context) -> bool:
    return ctx.use_virtio_transitional or devices(vmi).get("useVirtioTransitional") is True


def _block_queues(vmi: JSON) -> int | None:
    """One virtio-blk queue per vCPU when blockMultiQueue is on."""
    if devices(vmi).get("blockMultiQueue") is not True:
        return None
    return requested_vcpus(vmi) or 1




@dataclass(slots=True)
class _IOThreadAssigner:
    """Round-robin over the shared pool, one id each for dedicated disks, or the whole supplemental pool."""

    auto_threads: int
    next_auto: int
    next_dedicated: int
    pool: list[int] | None

    @classmethod
    def for_vmi(cls, vmi: JSON) -> _IOThreadAssigner | None:
        if not iothreads.has_io_threads(vmi):
            return None
        pool = iothreads.supplemental_pool(vmi)
        _, auto = iothreads.count_and_auto(vmi)
        return cls(auto_threads=auto, next_auto=1, next_dedicated=auto + 1, pool=pool)

    def assign(self, spec_disk: JSON, disk: Disk) -> None:
        if disk.target is None or disk.target.bus != "virtio":
            return
        assert disk.driver is not None
        if self.pool is not None:
            if self.pool:
                disk.driver.iothreads = DiskIOThreads(iothread=[DiskIOThread(id=i) for i in self.pool])
        elif iothreads.has_dedicated_io_thread(spec_disk):
            disk.driver.iothread = self.next_dedicated
            self.next_dedicated += 1
        elif self.auto_threads > 0:
            disk.driver.iothread = self.next_auto
            self.next_auto = self.next_auto % self.auto_threads + 1
