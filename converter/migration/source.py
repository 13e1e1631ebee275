"""The source launcher's part of a live migration (KubeVirt's live-migration-source.go).

`configure_local_disks` is configureLocalDiskToMigrate: every disk backed by a
volume that is copied to new storage gets a `<slices>` of its virtual size, and
flips between file and block when the source and destination PVC modes differ.
`disks_to_copy` is getDiskTargetsForMigration, `dest_name` is
generateDomainName and `replace_uid` is the UID swap of generateMigrationParams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from vmi_converter.converter.common.aliases import device_name
from vmi_converter.converter.common.errors import ConversionError, HostProbeError
from vmi_converter.converter.common.vmi import JSON, dig, items, metadata, obj, spec, status
from vmi_converter.converter.migration.facts import SourceFacts, VolumeFacts
from vmi_converter.converter.migration.xml_edit import insert_ordered, set_attributes_first
from vmi_converter.converter.storage import paths

FILESYSTEM = "Filesystem"
BLOCK = "Block"

_GENERATED_SOURCES = ("configMap", "secret", "downwardAPI", "serviceAccount", "cloudInitNoCloud",
                      "cloudInitConfigDrive", "containerDisk")
# libvirtxml's child order inside a disk <source>: slices come after these, before the rest.
_SOURCE_ORDER = ("seclabel", "encryption", "reservations", "slices", "ssl", "cookies", "readahead", "timeout",
                 "dataStore")


@dataclass(slots=True)
class VolumeClasses:
    """KubeVirt's migrationDisks: which volumes stay put, are regenerated, or are copied."""

    shared: set[str] = field(default_factory=set)
    generated: set[str] = field(default_factory=set)
    local_to_migrate: set[str] = field(default_factory=set)


def migrated_volume_names(vmi: JSON, facts: SourceFacts) -> set[str]:
    names = {str(obj(v).get("volumeName")) for v in items(status(vmi).get("migratedVolumes"))}
    for name, volume in facts.volumes.items():
        if volume.migrated is True:
            names.add(name)
        elif volume.migrated is False:
            names.discard(name)
    return names


def classify_volumes(vmi: JSON, facts: SourceFacts | None = None) -> VolumeClasses:
    migrated = migrated_volume_names(vmi, facts or SourceFacts())
    classes = VolumeClasses()
    for volume in items(spec(vmi).get("volumes")):
        volume = obj(volume)
        name = str(volume.get("name"))
        if "persistentVolumeClaim" in volume or "dataVolume" in volume:
            (classes.local_to_migrate if name in migrated else classes.shared).add(name)
        elif "hostDisk" in volume:
            if name in migrated:
                classes.local_to_migrate.add(name)
            elif obj(volume.get("hostDisk")).get("shared") is True:
                classes.shared.add(name)
        elif any(source in volume for source in _GENERATED_SOURCES):
            classes.generated.add(name)
    return classes


def is_hotplug_volume(volume: JSON) -> bool:
    """storagetypes.IsHotplugVolume: the spec flags, not the volume status."""
    return any(obj(volume.get(kind)).get("hotpluggable") is True
               for kind in ("persistentVolumeClaim", "dataVolume", "memoryDump"))


def _volume_modes(vmi: JSON) -> dict[str, tuple[str, str]]:
    """(source, destination) PVC volume modes of the migrated volumes that declare both."""
    modes = {}
    for volume in items(status(vmi).get("migratedVolumes")):
        volume = obj(volume)
        source = dig(volume, "sourcePVCInfo", "volumeMode")
        destination = dig(volume, "destinationPVCInfo", "volumeMode")
        if source is not None and destination is not None:
            modes[str(volume.get("volumeName"))] = (str(source), str(destination))
    return modes


def _mode_swap(name: str, vmi_modes: dict[str, tuple[str, str]], volume: VolumeFacts) -> str | None:
    """"to-block", "to-file" or None; facts override the PVC modes of the VMI status."""
    source, destination = vmi_modes.get(name, (None, None))
    if volume.source_is_block is not None:
        source = BLOCK if volume.source_is_block else FILESYSTEM
    if volume.target_is_block is not None:
        destination = BLOCK if volume.target_is_block else FILESYSTEM
    if source == FILESYSTEM and destination == BLOCK:
        return "to-block"
    if source == BLOCK and destination == FILESYSTEM:
        return "to-file"
    return None


def disk_name(alias: str) -> str:
    """The volume name of a disk: its alias without KubeVirt's user prefix."""
    return device_name(alias)


def backend_source(disk: etree._Element) -> tuple[etree._Element, str]:
    """The `<source>` holding the disk's data (the dataStore's under a CBT overlay) and its type."""
    source = disk.find("source")
    if source is None:
        raise ValueError("empty source for the disk")
    data_store = source.find("dataStore")
    if data_store is None:
        return source, disk.get("type", "file")
    store_source = data_store.find("source")
    if store_source is None:
        raise ValueError("disk has initialized datastore with no source")
    return store_source, data_store.get("type", "file")


def backend_path(disk: etree._Element) -> str:
    """getDiskPathFromSource: the file or device behind the disk (libvirt's type attribute decides which)."""
    source, kind = backend_source(disk)
    attribute = {"file": "file", "block": "dev"}.get(kind)
    path = source.get(attribute) if attribute else None
    if not path:
        raise ValueError("no path set")
    return path


def configure_local_disks(root: etree._Element, vmi: JSON, facts: SourceFacts, field_name: str = "domainXml") -> None:
    """Slices and file/block swaps for the disks whose volumes move to new storage."""
    if root.find("devices") is None:
        return
    disks = root.findall("devices/disk")
    classes = classify_volumes(vmi, facts)
    vmi_modes = _volume_modes(vmi)
    hotplug = {str(v.get("name")) for v in map(obj, items(spec(vmi).get("volumes"))) if is_hotplug_volume(v)}
    for index, disk in enumerate(disks):
        location = f"{field_name}.devices.disk[{index}]"
        alias = disk.find("alias")
        if alias is None:
            raise ConversionError(location, "empty alias")
        name = disk_name(alias.get("name", ""))
        if name not in classes.local_to_migrate:
            continue
        volume = facts.volumes.get(name, VolumeFacts())
        try:
            backend_path(disk)
            source, _ = backend_source(disk)
        except ValueError as err:
            raise ConversionError(location, str(err)) from err
        _check_size_probe(name, volume)
        if source.find("slices") is None:
            _add_slice(source, _virtual_size(name, volume))
        swap = _mode_swap(name, vmi_modes, volume)
        if swap is not None:
            _swap_backend(disk, source, name, swap == "to-block", name in hotplug)


def _check_size_probe(name: str, volume: VolumeFacts) -> None:
    """KubeVirt sizes every copied disk, slices or not, and a failed probe ends the migration."""
    if volume.virtual_size_error is not None:
        raise HostProbeError(
            f'sourceFacts.volumes["{name}"].virtualSizeError',
            f"error encountered while generating migration parameters: {volume.virtual_size_error}",
            name,
        )


def _virtual_size(name: str, volume: VolumeFacts) -> int:
    if volume.virtual_size is None:
        raise ConversionError(f'sourceFacts.volumes["{name}"].virtualSize',
                              f"the virtual size of migrated volume {name} is needed for its <slices>")
    return volume.virtual_size


def _add_slice(source: etree._Element, size: int) -> None:
    # The slice lets the destination volume be larger than the source image.
    slices = insert_ordered(source, "slices", _SOURCE_ORDER)
    etree.SubElement(slices, "slice", {"type": "storage", "offset": "0", "size": str(size)})


def _swap_backend(disk: etree._Element, source: etree._Element, name: str, to_block: bool, hotplug: bool) -> None:
    """Point the source at where the destination launcher will find the volume in its new mode."""
    if to_block:
        path = paths.hotplug_block_device(name) if hotplug else paths.block_device(name)
        set_attributes_first(source, {"dev": path}, drop=("file", "fdgroup"))
    else:
        path = paths.hotplug_filesystem_image(name) if hotplug else paths.filesystem_image(name)
        set_attributes_first(source, {"file": path}, drop=("dev",))
    for label in source.findall("seclabel"):
        source.remove(label)  # libvirtxml drops the old variant's labels with it
    # The type attribute names the source variant: on the disk, or on the dataStore of a CBT overlay.
    owner = source.getparent()
    (disk if owner is None else owner).set("type", "block" if to_block else "file")


def disks_to_copy(root: etree._Element, vmi: JSON, facts: SourceFacts, field_name: str = "domainXml") -> list[str]:
    """Target devs of the disks libvirt must copy: not cdroms, not shared, not read-only unless generated."""
    classes = classify_volumes(vmi, facts)
    targets = []
    for index, disk in enumerate(root.findall("devices/disk")):
        alias = disk.find("alias")
        if alias is None:
            raise ConversionError(f"{field_name}.devices.disk[{index}]", "empty alias")
        name = disk_name(alias.get("name", ""))
        if disk.get("device") == "cdrom":
            continue
        if disk.find("readonly") is not None and name not in classes.generated:
            continue
        if disk.get("type") not in ("file", "block") or name in classes.shared:
            continue
        target = disk.find("target")
        if target is None or not target.get("dev"):
            raise ConversionError(f"{field_name}.devices.disk[{index}]", "disk has no target device")
        targets.append(str(target.get("dev")))
    return targets


def dest_name(vmi: JSON) -> str:
    """`<namespace>_<name>` of the target domain; the target state's names win when both are set."""
    target = obj(dig(status(vmi), "migrationState", "targetState"))
    namespace, name = target.get("domainNamespace"), target.get("domainName")
    if not (namespace and name):
        namespace, name = metadata(vmi).get("namespace") or "", metadata(vmi).get("name") or ""
    return f"{namespace}_{name}"


def target_uid(vmi: JSON, facts: SourceFacts) -> str | None:
    if facts.target_uid is not None:
        return facts.target_uid
    uid = dig(status(vmi), "migrationState", "targetState", "virtualMachineInstanceUID")
    return None if uid is None else str(uid)


def replace_uid(root: etree._Element, old: str, new: str) -> None:
    """Every occurrence of the source VMI UID, in text and attribute values, becomes the target's."""
    if not old or not new or old == new:
        return  # an empty UID would match between every character
    for node in root.iter():
        if isinstance(node.tag, str):
            for key, value in node.attrib.items():
                text = str(value)
                if old in text:
                    node.set(key, text.replace(old, new))
        if node.text and old in node.text:
            node.text = node.text.replace(old, new)
        if node is not root and node.tail and old in node.tail:
            node.tail = node.tail.replace(old, new)
