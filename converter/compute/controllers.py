"""Controllers (KubeVirt compute/controllers.go): USB, SCSI, PCIe root and virtio-serial."""

from __future__ import annotations

from dataclasses import dataclass

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of, launch_security_iommu
from vmi_converter.converter.common.guest_resources import requested_vcpus
from vmi_converter.converter.common.virtio import virtio_model
from vmi_converter.converter.common.vmi import JSON, devices, items, metadata, obj
from vmi_converter.converter.compute.iothreads import count_and_auto, has_dedicated_io_thread
from vmi_converter.converter.domain.model import Controller, ControllerDriver, Domain, PCIHole64

DISABLE_PCI_HOLE64_ANNOTATION = "kubevirt.io/disablePCIHole64"


@dataclass(frozen=True, slots=True)
class ControllerOptions:
    """What KubeVirt's converter hands the controllers configurator."""

    usb_needed: bool = False
    scsi_model: str = ""
    auto_threads: int = 0
    iommu: str | None = None
    pcihole64_disabling: bool = False
    virtio_serial_model: str = ""


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    model = virtio_model(vmi, ctx)
    options = ControllerOptions(
        usb_needed=is_usb_needed(vmi, ctx),
        scsi_model=ctx.arch.scsi_controller_model(model),
        auto_threads=count_and_auto(vmi)[1],
        iommu=launch_security_iommu(ctx),
        pcihole64_disabling=ctx.arch.pcihole64_disabling,
        virtio_serial_model=model,
    )
    add_controllers(vmi, domain, options)


def add_controllers(vmi: JSON, domain: Domain, options: ControllerOptions) -> None:
    controllers = devices_of(domain).controllers
    # Model "none" keeps libvirt from adding a default USB controller.
    controllers.append(Controller(type="usb", index="0", model="qemu-xhci" if options.usb_needed else "none"))
    if _requires_scsi_controller(vmi):
        controllers.append(
            Controller(type="scsi", index="0", model=options.scsi_model, driver=_scsi_driver(vmi, options))
        )
    if options.pcihole64_disabling and _pcihole64_disabled(vmi):
        controllers.append(
            Controller(type="pci", index="0", model="pcie-root", pcihole64=PCIHole64(value=0, unit="KiB"))
        )
    if devices(vmi).get("autoattachSerialConsole") is not False:
        controllers.append(
            Controller(
                type="virtio-serial",
                index="0",
                model=options.virtio_serial_model,
                driver=_iommu_driver(options),
            )
        )


def is_usb_needed(vmi: JSON, ctx: Context) -> bool:
    """Whether the guest needs a USB controller (KubeVirt's arch IsUSBNeeded)."""
    if ctx.arch.usb_always_needed is not None:
        return ctx.arch.usb_always_needed
    spec_devices = devices(vmi)
    if any((obj(i).get("bus") or "") in ("usb", "") for i in items(spec_devices.get("inputs"))):
        return True
    if any(obj(obj(d).get("disk")).get("bus") == "usb" for d in items(spec_devices.get("disks"))):
        return True
    if isinstance(spec_devices.get("clientPassthrough"), dict):
        return True
    # A host device counts only when the launcher was given USB devices for its resource.
    return any(obj(h).get("deviceName") in ctx.usb_resources for h in items(spec_devices.get("hostDevices")))


def _iommu_driver(options: ControllerOptions) -> ControllerDriver | None:
    return ControllerDriver(iommu=options.iommu) if options.iommu else None


def _requires_scsi_controller(vmi: JSON) -> bool:
    """Disk hotplug needs a SCSI controller up front; so do SCSI disks."""
    if devices(vmi).get("disableHotplug") is not True:
        return True
    return any(_disk_bus(obj(d)) == "scsi" for d in items(devices(vmi).get("disks")))


def _disk_bus(disk: JSON) -> str:
    for kind in ("lun", "disk", "cdrom"):
        target = disk.get(kind)
        if isinstance(target, dict):
            return str(target.get("bus") or "")
    return ""


def _pcihole64_disabled(vmi: JSON) -> bool:
    # vmi.annotations is shadowed for type checkers by `from __future__ import annotations`.
    value = obj(metadata(vmi).get("annotations")).get(DISABLE_PCI_HOLE64_ANNOTATION)
    return isinstance(value, str) and value.lower() == "true"


def _scsi_driver(vmi: JSON, options: ControllerOptions) -> ControllerDriver | None:
    """The SCSI controller gets an IOThread when a SCSI disk asks for a dedicated one."""
    driver = _iommu_driver(options)
    disks = [obj(d) for d in items(devices(vmi).get("disks"))]
    wants_thread = any(_disk_bus(d) == "scsi" and has_dedicated_io_thread(d) for d in disks)
    if options.auto_threads == 0 or not wants_thread:
        return driver
    if driver is None:
        driver = ControllerDriver()
    driver.iothread = _scsi_controller_thread(options.auto_threads, disks)
    driver.queues = requested_vcpus(vmi) or 1
    return driver


def _scsi_controller_thread(auto_threads: int, disks: list[JSON]) -> int:
    """The shared thread after the virtio disks took theirs, round-robin from 1."""
    thread = 1
    for disk in disks:
        if _disk_bus(disk) == "virtio" and not has_dedicated_io_thread(disk):
            thread = thread % auto_threads + 1
    return thread
