"""Volume sources: what backs each disk (source path, disk type, image format).

Runs after the disk device part of a `<disk>` is built and fills in its
`type`, `<source>`, `<backingStore>` and the driver's image `type`.
"""

from __future__ import annotations

from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, metadata, obj
from vmi_converter.converter.domain.model import (
    BackingStore,
    BackingStoreFormat,
    DataStore,
    DataStoreFormat,
    DataStoreSource,
    Disk,
    DiskDriver,
    DiskSource,
)
from vmi_converter.converter.storage import paths

STOP = "stop"
UNMAP = "unmap"


def _driver(disk: Disk) -> DiskDriver:
    if disk.driver is None:
        disk.driver = DiskDriver(name="qemu")
    return disk.driver


def _source(disk: Disk) -> DiskSource:
    if disk.source is None:
        disk.source = DiskSource()
    return disk.source


def _set_driver(disk: Disk, image_type: str, discard: bool) -> None:
    """Image format and the default error policy; `discard` only ever adds unmap, never clears it."""
    driver = _driver(disk)
    driver.type = image_type
    driver.error_policy = STOP
    if discard:
        driver.discard = UNMAP


def _discard(volume: str, ctx: Context) -> bool:
    """Preallocated/thick volumes are listed in volumesDiscardIgnore: unmap would undo the preallocation."""
    return volume not in ctx.volumes_discard_ignore


# ---------------------------------------------------------------- PVC / DataVolume


def _persistent(disk: Disk, volume: str, is_block: bool, ctx: Context, hotplug: bool) -> None:
    cbt_overlay = ctx.apply_cbt.get(volume) or ""
    if cbt_overlay:
        _persistent_with_cbt(disk, volume, cbt_overlay, is_block, ctx, hotplug)
        return
    _set_driver(disk, "raw", _discard(volume, ctx))
    source = _source(disk)
    if is_block:
        disk.type = "block"
        source.dev = paths.hotplug_block_device(volume) if hotplug else paths.block_device(volume)
    else:
        disk.type = "file"
        source.file = paths.hotplug_filesystem_image(volume) if hotplug else paths.filesystem_image(volume)


def _persistent_with_cbt(disk: Disk, volume: str, overlay: str, is_block: bool, ctx: Context, hotplug: bool) -> None:
    """The guest writes to a qcow2 overlay that tracks dirty blocks; the volume is its data store."""
    _set_driver(disk, "qcow2", _discard(volume, ctx))
    disk.type = "file"
    source = _source(disk)
    source.file = overlay
    if is_block:
        dev = paths.hotplug_block_device(volume) if hotplug else paths.block_device(volume)
        store_type, store_source = "block", DataStoreSource(dev=dev)
    else:
        file = paths.hotplug_filesystem_image(volume) if hotplug else paths.filesystem_image(volume)
        store_type, store_source = "file", DataStoreSource(file=file)
    source.data_store = DataStore(type=store_type, format=DataStoreFormat(type="raw"), source=store_source)


def _host_disk(disk: Disk, volume: str, path: str, ctx: Context) -> None:
    disk.type = "file"
    driver = _driver(disk)
    source = _source(disk)
    image = paths.host_disk_image(volume, path)
    overlay = ctx.apply_cbt.get(volume) or ""
    if overlay:
        driver.type = "qcow2"
        source.file = overlay
        source.data_store = DataStore(
            type="file", format=DataStoreFormat(type="raw"), source=DataStoreSource(file=image)
        )
    else:
        driver.type = "raw"
        source.file = image
    driver.error_policy = STOP


# ---------------------------------------------------------------- generated images


def _reject_lun(disk: Disk, name: str, field: str) -> None:
    """These sources are image files the launcher generates; SCSI passthrough needs a real LUN."""
    if disk.device == "lun":
        raise ConversionError(f"{field}.lun", f"device {name} is of type lun. Not compatible with a file based disk")


def reject_file_lun(disk: Disk, name: str, field: str) -> None:
    """A LUN (and its SCSI reservations) needs a block device: libvirt refuses one on a file
    (filesystem PVC or DataVolume, hostDisk, ephemeral overlay); KubeVirt emits it."""
    if disk.type == "file":
        _reject_lun(disk, name, field)


def _sysprep(disk: Disk, volume: str) -> None:
    _source(disk).file = paths.sysprep_iso(volume)
    disk.type = "file"
    _driver(disk).type = "raw"


def _cloud_init(disk: Disk, no_cloud: bool, vmi: JSON, ctx: Context) -> None:
    iso = paths.NO_CLOUD_ISO if no_cloud else paths.CONFIG_DRIVE_ISO
    meta = metadata(vmi)
    _source(disk).file = paths.cloud_init_iso(
        ctx.paths, str(meta.get("namespace") or ""), str(meta.get("name") or ""), iso
    )
    disk.type = "file"
    _set_driver(disk, "raw", False)


def _empty_disk(disk: Disk, volume: str) -> None:
    disk.type = "file"
    _source(disk).file = paths.empty_disk_image(volume)
    _set_driver(disk, "qcow2", True)


def _container_disk(disk: Disk, volume: str, volume_index: int, ctx: Context) -> None:
    disk.type = "file"
    _set_driver(disk, "qcow2", True)
    _source(disk).file = paths.ephemeral_overlay(ctx.paths, volume)
    info = ctx.disks_info.get(volume)
    if not isinstance(info, dict):
        raise ConversionError(f'context.disksInfo["{volume}"]', f"no disk info provided for volume {volume}")
    disk.backing_store = BackingStore(
        type="file",
        format=BackingStoreFormat(type=_verified_image_format(volume, info)),
        source=DiskSource(file=paths.container_disk_image(ctx.paths, volume_index)),
    )


def _verified_image_format(volume: str, info: JSON) -> str:
    """KubeVirt's launcher verifies the image when it probes it (VerifyImage); the probe result
    arrives here, so the check runs here: raw, or qcow2 without a backing file of its own."""
    image_format = info.get("format")
    field = f'context.disksInfo["{volume}"]'
    if image_format == "qcow2" and info.get("backing-filename"):
        raise ConversionError(
            f"{field}.backing-filename",
            f"invalid image in containerDisk {volume}: expected no backing file, "
            f"but found {info['backing-filename']}",
        )
    if image_format not in ("raw", "qcow2"):
        message = f"invalid image in containerDisk {volume}: unsupported image format: {image_format or ''}"
        raise ConversionError(f"{field}.format", message)
    return str(image_format)


def _ephemeral(disk: Disk, volume: str, ctx: Context) -> None:
    """A throw-away qcow2 overlay over the (read-only) PVC."""
    disk.type = "file"
    _set_driver(disk, "qcow2", True)
    _source(disk).file = paths.ephemeral_overlay(ctx.paths, volume)
    if ctx.is_block_pvc.get(volume):
        backing = BackingStore(type="block", source=DiskSource(dev=paths.block_device(volume)))
    else:
        backing = BackingStore(type="file", source=DiskSource(file=paths.filesystem_image(volume)))
    backing.format = BackingStoreFormat(type="raw")
    disk.backing_store = backing


def _config_iso(disk: Disk, iso: str) -> None:
    disk.type = "file"
    _set_driver(disk, "raw", False)
    _source(disk).file = iso


def _downward_metrics(disk: Disk, virtio_model: str) -> None:
    """The metrics disk is always virtio and gets a fresh driver (earlier driver settings are dropped)."""
    disk.type = "file"
    disk.readonly = True
    disk.driver = DiskDriver(name="qemu", type="raw")
    disk.model = virtio_model
    disk.source = DiskSource(file=paths.DOWNWARD_METRICS_DISK)


# ---------------------------------------------------------------- dispatch


def apply_volume(
    disk: Disk, volume: JSON, volume_index: int, vmi: JSON, ctx: Context, disk_field: str, virtio_model: str
) -> None:
    """Back `disk` with a (non-hotplug) volume, in KubeVirt's order of source kinds."""
    name = str(volume.get("name") or "")
    if isinstance(volume.get("containerDisk"), dict):
        _reject_lun(disk, name, disk_field)
        _container_disk(disk, name, volume_index, ctx)
    elif isinstance(volume.get("cloudInitNoCloud"), dict) or isinstance(volume.get("cloudInitConfigDrive"), dict):
        _reject_lun(disk, name, disk_field)
        _cloud_init(disk, isinstance(volume.get("cloudInitNoCloud"), dict), vmi, ctx)
    elif isinstance(volume.get("sysprep"), dict):
        _reject_lun(disk, name, disk_field)
        _sysprep(disk, name)
    elif isinstance(volume.get("hostDisk"), dict):
        _host_disk(disk, name, str(obj(volume["hostDisk"]).get("path") or ""), ctx)
    elif isinstance(volume.get("persistentVolumeClaim"), dict):
        _persistent(disk, name, ctx.is_block_pvc.get(name) is True, ctx, hotplug=False)
    elif isinstance(volume.get("dataVolume"), dict):
        _persistent(disk, name, ctx.is_block_dv.get(name) is True, ctx, hotplug=False)
    elif isinstance(volume.get("ephemeral"), dict):
        _ephemeral(disk, name, ctx)
    elif isinstance(volume.get("emptyDisk"), dict):
        _reject_lun(disk, name, disk_field)
        _empty_disk(disk, name)
    else:
        _apply_generated(disk, volume, name, virtio_model, volume_index)


def _apply_generated(disk: Disk, volume: JSON, name: str, virtio_model: str, volume_index: int) -> None:
    if isinstance(volume.get("configMap"), dict):
        _config_iso(disk, paths.config_map_iso(name))
    elif isinstance(volume.get("secret"), dict):
        _config_iso(disk, paths.secret_iso(name))
    elif isinstance(volume.get("downwardAPI"), dict):
        _config_iso(disk, paths.downward_api_iso(name))
    elif isinstance(volume.get("serviceAccount"), dict):
        _config_iso(disk, paths.SERVICE_ACCOUNT_DISK)
    elif isinstance(volume.get("downwardMetrics"), dict):
        _downward_metrics(disk, virtio_model)
    else:
        raise ConversionError(f"spec.volumes[{volume_index}]", f"disk {name} references an unsupported source")


def apply_hotplug_volume(disk: Disk, volume: JSON, volume_index: int, ctx: Context) -> None:
    """Hotplugged volumes live in the hotplug directory; a hostDisk there is a PVC virt-handler rewrote."""
    name = str(volume.get("name") or "")
    if isinstance(volume.get("hostDisk"), dict) or isinstance(volume.get("persistentVolumeClaim"), dict):
        _persistent(disk, name, ctx.is_block_pvc.get(name) is True, ctx, hotplug=True)
    elif isinstance(volume.get("dataVolume"), dict):
        _persistent(disk, name, ctx.is_block_dv.get(name) is True, ctx, hotplug=True)
    else:
        raise ConversionError(f"spec.volumes[{volume_index}]", f"hotplug disk {name} references an unsupported source")


def apply_missing_volume(disk: Disk) -> None:
    """A CD-ROM drive with no medium."""
    disk.type = "block"
    driver = _driver(disk)
    driver.type = "raw"
    driver.discard = UNMAP
