"""The disk configurator, case by case.

Ported from KubeVirt's converter/storage/configurator_test.go ("DiskConfigurator").
Each test builds the VMI its Go counterpart builds with libvmi and compares
the emitted `<disk>` XML.
"""

from __future__ import annotations

import pytest
from storage_helpers import (
    configure,
    ctx,
    data_volume,
    disk,
    disk_xmls,
    ephemeral,
    host_disk,
    lun_pvc,
    pvc,
    single_disk_xml,
    vmi,
    with_status,
)

from vmi_converter.converter.common.errors import ConversionError

MODEL = "virtio-non-transitional"


def virtio_file_disk(name: str, file: str, driver: str, dev: str = "vda", model: str = MODEL, extra: str = "") -> str:
    return (
        f'<disk device="disk" type="file" model="{model}">\n'
        f'  <source file="{file}"/>\n'
        f'  <target bus="virtio" dev="{dev}"/>\n'
        f"  <driver {driver}/>\n"
        f'  <alias name="ua-{name}"/>\n'
        f"{extra}"
        "</disk>\n"
    )


def raw_driver(extra: str = "", discard: bool = True, policy: str = "stop") -> str:
    unmap = ' discard="unmap"' if discard else ""
    return f'error_policy="{policy}" name="qemu" type="raw"{extra}{unmap}'


def pvc_image(name: str) -> str:
    return f"/var/run/kubevirt-private/vmi-disks/{name}/disk.img"


# KubeVirt: storage/configurator_test.go "should produce no disks when the VMI has no volumes"
def test_no_volumes_no_disks() -> None:
    assert configure(vmi(), ctx()).devices.disks == []


# ---------------------------------------------------------------- volume sources


# KubeVirt: "should convert a PVC volume in filesystem mode"
def test_pvc_filesystem() -> None:
    got = single_disk_xml(vmi(pvc("mypvc")), ctx(permanent=("mypvc",)))
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), raw_driver())


# KubeVirt: "should convert a PVC volume in block mode"
def test_pvc_block() -> None:
    got = single_disk_xml(vmi(pvc("mypvc")), ctx(permanent=("mypvc",), isBlockPVC={"mypvc": True}))
    assert got == (
        f'<disk device="disk" type="block" model="{MODEL}">\n'
        '  <source dev="/dev/mypvc"/>\n'
        '  <target bus="virtio" dev="vda"/>\n'
        f"  <driver {raw_driver()}/>\n"
        '  <alias name="ua-mypvc"/>\n'
        "</disk>\n"
    )


HOTPLUG_IMG = "/var/run/kubevirt/hotplug-disks/{}.img"


# KubeVirt: "should convert a hotplug PVC volume in filesystem mode"
def test_hotplug_pvc_filesystem() -> None:
    got = single_disk_xml(vmi(pvc("hotplug-pvc")), ctx(hotplug={"hotplug-pvc": "MountedToPod"}))
    assert got == virtio_file_disk("hotplug-pvc", HOTPLUG_IMG.format("hotplug-pvc"), raw_driver())


def hotplug_block(name: str) -> str:
    return (
        f'<disk device="disk" type="block" model="{MODEL}">\n'
        f'  <source dev="/var/run/kubevirt/hotplug-disks/{name}"/>\n'
        '  <target bus="virtio" dev="vda"/>\n'
        f"  <driver {raw_driver()}/>\n"
        f'  <alias name="ua-{name}"/>\n'
        "</disk>\n"
    )


# KubeVirt: "should convert a hotplug PVC volume in block mode"
def test_hotplug_pvc_block() -> None:
    context = ctx(hotplug={"hotplug-pvc": "MountedToPod"}, isBlockPVC={"hotplug-pvc": True})
    assert single_disk_xml(vmi(pvc("hotplug-pvc")), context) == hotplug_block("hotplug-pvc")


# KubeVirt: "should convert a hotplug DataVolume in filesystem mode"
def test_hotplug_dv_filesystem() -> None:
    got = single_disk_xml(vmi(data_volume("hotplug-dv")), ctx(hotplug={"hotplug-dv": "MountedToPod"}))
    assert got == virtio_file_disk("hotplug-dv", HOTPLUG_IMG.format("hotplug-dv"), raw_driver())


# KubeVirt: "should convert a hotplug DataVolume in block mode"
def test_hotplug_dv_block() -> None:
    context = ctx(hotplug={"hotplug-dv": "MountedToPod"}, isBlockDV={"hotplug-dv": True})
    assert single_disk_xml(vmi(data_volume("hotplug-dv")), context) == hotplug_block("hotplug-dv")


# KubeVirt: "should exclude hotplug volumes that are not ready"
def test_hotplug_not_ready_is_left_out() -> None:
    context = ctx(permanent=("perm-disk",), hotplug={"hotplug-pvc": "Bound"})
    got = disk_xmls(vmi(pvc("perm-disk"), pvc("hotplug-pvc")), context)
    assert got == [virtio_file_disk("perm-disk", pvc_image("perm-disk"), raw_driver())]


# KubeVirt: "should include hotplug volumes with VolumeReady phase"
def test_hotplug_ready_phase_is_included() -> None:
    got = single_disk_xml(vmi(pvc("hotplug-pvc")), ctx(hotplug={"hotplug-pvc": "Ready"}))
    assert got == virtio_file_disk("hotplug-pvc", HOTPLUG_IMG.format("hotplug-pvc"), raw_driver())


# KubeVirt: "should omit discard for volumes in the discard-ignore list"
def test_discard_ignore() -> None:
    context = ctx(permanent=("mypvc",), volumesDiscardIgnore=["mypvc"])
    got = single_disk_xml(vmi(pvc("mypvc")), context)
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), raw_driver(discard=False))


# KubeVirt: "should omit discard for hotplug volumes in the discard-ignore list"
#           "should omit discard for hotplug DataVolumes in the discard-ignore list"
@pytest.mark.parametrize("pair", [pvc("hotplug-vol"), data_volume("hotplug-vol")], ids=["pvc", "dv"])
def test_discard_ignore_hotplug(pair: tuple) -> None:
    context = ctx(hotplug={"hotplug-vol": "MountedToPod"}, volumesDiscardIgnore=["hotplug-vol"])
    got = single_disk_xml(vmi(pair), context)
    assert got == virtio_file_disk("hotplug-vol", HOTPLUG_IMG.format("hotplug-vol"), raw_driver(discard=False))


# KubeVirt: "should convert a non-hotplug DataVolume in filesystem mode"
def test_dv_filesystem() -> None:
    got = single_disk_xml(vmi(data_volume("mydv")), ctx(permanent=("mydv",)))
    assert got == virtio_file_disk("mydv", pvc_image("mydv"), raw_driver())


# KubeVirt: "should convert a non-hotplug DataVolume in block mode"
def test_dv_block() -> None:
    got = single_disk_xml(vmi(data_volume("mydv")), ctx(permanent=("mydv",), isBlockDV={"mydv": True}))
    assert got == (
        f'<disk device="disk" type="block" model="{MODEL}">\n'
        '  <source dev="/dev/mydv"/>\n'
        '  <target bus="virtio" dev="vda"/>\n'
        f"  <driver {raw_driver()}/>\n"
        '  <alias name="ua-mydv"/>\n'
        "</disk>\n"
    )


def cbt_disk(name: str, overlay: str, store_type: str, store_attr: str) -> str:
    return (
        f'<disk device="disk" type="file" model="{MODEL}">\n'
        f'  <source file="{overlay}">\n'
        f'    <dataStore type="{store_type}">\n'
        '      <format type="raw"/>\n'
        f"      <source {store_attr}/>\n"
        "    </dataStore>\n"
        "  </source>\n"
        '  <target bus="virtio" dev="vda"/>\n'
        '  <driver error_policy="stop" name="qemu" type="qcow2" discard="unmap"/>\n'
        f'  <alias name="ua-{name}"/>\n'
        "</disk>\n"
    )


# KubeVirt: "should convert a PVC volume with CBT in filesystem mode"
def test_pvc_cbt_filesystem() -> None:
    context = ctx(permanent=("mypvc",), applyCBT={"mypvc": "/cbt/mypvc.qcow2"})
    got = single_disk_xml(vmi(pvc("mypvc")), context)
    assert got == cbt_disk("mypvc", "/cbt/mypvc.qcow2", "file", f'file="{pvc_image("mypvc")}"')


# KubeVirt: "should convert a PVC volume with CBT in block mode" (KubeVirt also puts name="mypvc"
# on the overlay's file source; libvirt has no such attribute there, see docs/differences.md)
def test_pvc_cbt_block() -> None:
    context = ctx(permanent=("mypvc",), isBlockPVC={"mypvc": True}, applyCBT={"mypvc": "/cbt/mypvc.qcow2"})
    got = single_disk_xml(vmi(pvc("mypvc")), context)
    assert got == cbt_disk("mypvc", "/cbt/mypvc.qcow2", "block", 'dev="/dev/mypvc"')


# KubeVirt: "should convert a hotplug PVC with CBT in filesystem mode"
def test_hotplug_pvc_cbt_filesystem() -> None:
    context = ctx(hotplug={"hotplug-pvc": "MountedToPod"}, applyCBT={"hotplug-pvc": "/cbt/hotplug-pvc.qcow2"})
    got = single_disk_xml(vmi(pvc("hotplug-pvc")), context)
    image = HOTPLUG_IMG.format("hotplug-pvc")
    assert got == cbt_disk("hotplug-pvc", "/cbt/hotplug-pvc.qcow2", "file", f'file="{image}"')


# KubeVirt: "should convert a hotplug PVC with CBT in block mode"
def test_hotplug_pvc_cbt_block() -> None:
    context = ctx(
        hotplug={"hotplug-pvc": "MountedToPod"},
        isBlockPVC={"hotplug-pvc": True},
        applyCBT={"hotplug-pvc": "/cbt/hotplug-pvc.qcow2"},
    )
    got = single_disk_xml(vmi(pvc("hotplug-pvc")), context)
    device = 'dev="/var/run/kubevirt/hotplug-disks/hotplug-pvc"'
    assert got == cbt_disk("hotplug-pvc", "/cbt/hotplug-pvc.qcow2", "block", device)


# KubeVirt: "should convert a HostDisk volume"
def test_host_disk() -> None:
    got = single_disk_xml(vmi(host_disk("myhostdisk")), ctx(permanent=("myhostdisk",)))
    image = "/var/run/kubevirt-private/vmi-disks/myhostdisk/disk.img"
    assert got == virtio_file_disk("myhostdisk", image, raw_driver())


# KubeVirt: "should convert a HostDisk volume with CBT"
def test_host_disk_cbt() -> None:
    context = ctx(permanent=("myhostdisk",), applyCBT={"myhostdisk": "/cbt/myhostdisk.qcow2"})
    got = single_disk_xml(vmi(host_disk("myhostdisk")), context)
    image = "/var/run/kubevirt-private/vmi-disks/myhostdisk/disk.img"
    assert got == cbt_disk("myhostdisk", "/cbt/myhostdisk.qcow2", "file", f'file="{image}"')


# KubeVirt: "should convert a Sysprep volume"
def test_sysprep() -> None:
    pair = (disk("mysysprep", "sata"), {"name": "mysysprep", "sysprep": {"configMap": {"name": "my-config"}}})
    got = single_disk_xml(vmi(pair), ctx(permanent=("mysysprep",)))
    assert got == (
        '<disk device="disk" type="file">\n'
        '  <source file="/var/run/kubevirt-private/sysprep-disks/mysysprep.iso"/>\n'
        '  <target bus="sata" dev="sda"/>\n'
        f"  <driver {raw_driver()}/>\n"
        '  <alias name="ua-mysysprep"/>\n'
        "</disk>\n"
    )


# KubeVirt: "should convert a CloudInitNoCloud volume" / "should convert a CloudInitConfigDrive volume"
@pytest.mark.parametrize(
    ("source", "iso"), [("cloudInitNoCloud", "noCloud.iso"), ("cloudInitConfigDrive", "configdrive.iso")]
)
def test_cloud_init(source: str, iso: str) -> None:
    pair = (disk("cloudinitdisk"), {"name": "cloudinitdisk", source: {"userData": "#cloud-config"}})
    got = single_disk_xml(vmi(pair, name="testvmi", namespace="default"), ctx(permanent=("cloudinitdisk",)))
    path = f"/var/run/libvirt/cloud-init-dir/default/testvmi/{iso}"
    assert got == virtio_file_disk("cloudinitdisk", path, raw_driver())


# KubeVirt: "should convert an EmptyDisk volume"
def test_empty_disk() -> None:
    pair = (disk("myemptydisk"), {"name": "myemptydisk", "emptyDisk": {"capacity": "1Gi"}})
    got = single_disk_xml(vmi(pair), ctx(permanent=("myemptydisk",)))
    driver = 'error_policy="stop" name="qemu" type="qcow2" discard="unmap"'
    assert got == virtio_file_disk("myemptydisk", "/var/run/libvirt/empty-disks/myemptydisk.qcow2", driver)


# KubeVirt: "should convert a ContainerDisk volume"
def test_container_disk() -> None:
    pair = (disk("mycontainerdisk"), {"name": "mycontainerdisk", "containerDisk": {"image": "my-image:latest"}})
    context = ctx(permanent=("mycontainerdisk",), disksInfo={"mycontainerdisk": {"format": "qcow2"}})
    got = single_disk_xml(vmi(pair), context)
    backing = (
        '  <backingStore type="file">\n'
        '    <format type="qcow2"/>\n'
        '    <source file="/var/run/kubevirt/container-disks/disk_0.img"/>\n'
        "  </backingStore>\n"
    )
    overlay = "/var/run/libvirt/kubevirt-ephemeral-disk/mycontainerdisk/disk.qcow2"
    driver = 'error_policy="stop" name="qemu" type="qcow2" discard="unmap"'
    assert got == virtio_file_disk("mycontainerdisk", overlay, driver, extra=backing)


def ephemeral_disk(backing_type: str, backing_source: str) -> str:
    return (
        '<disk device="disk" type="file">\n'
        '  <source file="/var/run/libvirt/kubevirt-ephemeral-disk/myephemeral/disk.qcow2"/>\n'
        '  <target bus="sata" dev="sda"/>\n'
        '  <driver error_policy="stop" name="qemu" type="qcow2" discard="unmap"/>\n'
        '  <alias name="ua-myephemeral"/>\n'
        f'  <backingStore type="{backing_type}">\n'
        '    <format type="raw"/>\n'
        f"    <source {backing_source}/>\n"
        "  </backingStore>\n"
        "</disk>\n"
    )


# KubeVirt: "should convert an EphemeralVolume in filesystem mode"
def test_ephemeral_filesystem() -> None:
    got = single_disk_xml(vmi(ephemeral("myephemeral")), ctx(permanent=("myephemeral",)))
    assert got == ephemeral_disk("file", f'file="{pvc_image("myephemeral")}"')


# KubeVirt: "should convert an EphemeralVolume in block mode"
def test_ephemeral_block() -> None:
    context = ctx(permanent=("myephemeral",), isBlockPVC={"myephemeral": True})
    got = single_disk_xml(vmi(ephemeral("myephemeral")), context)
    assert got == ephemeral_disk("block", 'dev="/dev/myephemeral"')


def device_less_disk(name: str, file: str) -> str:
    """A disk spec with neither disk, lun nor cdrom (libvmi's config disks, before defaulting)."""
    return (
        '<disk type="file">\n'
        f'  <source file="{file}"/>\n'
        "  <target/>\n"
        '  <driver error_policy="stop" name="qemu" type="raw"/>\n'
        f'  <alias name="ua-{name}"/>\n'
        "</disk>\n"
    )


# KubeVirt: "should convert a ConfigMap volume", "... a Secret volume", "... a DownwardAPI volume",
#           "... a ServiceAccount volume"
@pytest.mark.parametrize(
    ("name", "source", "path"),
    [
        ("myconfigmap", "configMap", "/var/run/kubevirt-private/config-map-disks/myconfigmap.iso"),
        ("mysecret", "secret", "/var/run/kubevirt-private/secret-disks/mysecret.iso"),
        ("mydownwardapi", "downwardAPI", "/var/run/kubevirt-private/downwardapi-disks/mydownwardapi.iso"),
        ("mysa-disk", "serviceAccount", "/var/run/kubevirt-private/service-account-disk/service-account.iso"),
    ],
)
def test_config_volumes(name: str, source: str, path: str) -> None:
    pair = ({"name": name}, {"name": name, source: {}})
    assert single_disk_xml(vmi(pair), ctx(permanent=(name,))) == device_less_disk(name, path)


# KubeVirt: "should convert a DownwardMetrics volume"
def test_downward_metrics() -> None:
    pair = (disk("mymetrics"), {"name": "mymetrics", "downwardMetrics": {}})
    got = single_disk_xml(vmi(pair), ctx(permanent=("mymetrics",)))
    assert got == (
        f'<disk device="disk" type="file" model="{MODEL}">\n'
        '  <source file="/var/run/kubevirt-private/downwardapi-disks/vhostmd0"/>\n'
        '  <target bus="virtio" dev="vda"/>\n'
        '  <driver error_policy="stop" name="qemu" type="raw"/>\n'
        "  <readonly/>\n"
        '  <alias name="ua-mymetrics"/>\n'
        "</disk>\n"
    )


# KubeVirt: "should convert a hotplug HostDisk via the hotplug PVC path"
def test_hotplug_host_disk_uses_the_pvc_path() -> None:
    got = single_disk_xml(vmi(host_disk("hotplug-hd")), ctx(hotplug={"hotplug-hd": "MountedToPod"}))
    assert got == virtio_file_disk("hotplug-hd", HOTPLUG_IMG.format("hotplug-hd"), raw_driver())


EMPTY_CDROM = (
    '<disk device="cdrom" type="block">\n'
    "  <source/>\n"
    '  <target bus="sata" dev="sda"/>\n'
    '  <driver error_policy="stop" name="qemu" type="raw" discard="unmap"/>\n'
    "  <readonly/>\n"
    '  <alias name="ua-mycdrom"/>\n'
    "</disk>\n"
)


# KubeVirt: "should convert an empty CDRom with no matching volume"
def test_empty_cdrom() -> None:
    pair = (disk("mycdrom", "sata", kind="cdrom"), None)
    assert single_disk_xml(vmi(pair), ctx()) == EMPTY_CDROM


# ---------------------------------------------------------------- disk-level conversion


# KubeVirt: "should set disk capacity as the minimum of request and capacity" (both entries).
# KubeVirt writes <capacity> (and <filesystemOverhead>) into <disk>; libvirt has no such elements,
# so they are left out (docs/differences.md): the disk is otherwise unchanged.
@pytest.mark.parametrize(("requests", "capacity"), [(9999, 1111), (1111, 9999)])
def test_pvc_capacity_is_not_emitted(requests: int, capacity: int) -> None:
    status = {
        "name": "mypvc",
        "target": "",
        "persistentVolumeClaimInfo": {
            "capacity": {"storage": str(capacity)},
            "requests": {"storage": str(requests)},
            "filesystemOverhead": "0.055",
        },
    }
    got = single_disk_xml(with_status(vmi(pvc("mypvc")), status), ctx(permanent=("mypvc",)))
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), raw_driver())


SCSI_DISK = (
    '<disk device="{device}" type="{type}">\n'
    '  <source {source}/>\n'
    '  <target bus="scsi" dev="sda"/>\n'
    '  <driver error_policy="stop" name="qemu" type="raw" discard="unmap"/>\n'
    '  <alias name="ua-myvol"/>\n'
    '  <address type="drive" bus="0" controller="0" unit="0"/>\n'
    "</disk>\n"
)


# KubeVirt: "should assign SCSI controller address" (LUN-type disk, Disk-type disk). The LUN is on a
# block PVC: a LUN on a filesystem PVC is refused (docs/differences.md).
@pytest.mark.parametrize(
    ("pair", "device", "block"), [(lun_pvc("myvol"), "lun", True), (pvc("myvol", "scsi"), "disk", False)]
)
def test_scsi_address(pair: tuple, device: str, block: bool) -> None:
    got = single_disk_xml(vmi(pair), ctx(permanent=("myvol",), isBlockPVC={"myvol": block}))
    source = 'dev="/dev/myvol"' if block else 'file="/var/run/kubevirt-private/vmi-disks/myvol/disk.img"'
    assert got == SCSI_DISK.format(device=device, type="block" if block else "file", source=source)


# KubeVirt: "should set the virtio model per architecture"
@pytest.mark.parametrize(("arch", "model"), [("amd64", MODEL), ("arm64", MODEL), ("s390x", "virtio")])
def test_virtio_model_per_arch(arch: str, model: str) -> None:
    got = single_disk_xml(vmi(pvc("mypvc")), ctx(arch, permanent=("mypvc",)))
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), raw_driver(), model=model)


# KubeVirt: "should assign queues when block multi-queue is enabled"
def test_block_multi_queue() -> None:
    spec = vmi(pvc("mypvc"), devices={"blockMultiQueue": True}, cpu={"sockets": 2, "cores": 1, "threads": 1})
    got = single_disk_xml(spec, ctx(permanent=("mypvc",)))
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), raw_driver(' queues="2"'))


# KubeVirt: "should set disk IO mode when requested"
def test_io_mode() -> None:
    got = single_disk_xml(vmi(pvc("mypvc", io="native")), ctx(permanent=("mypvc",)))
    driver = 'error_policy="stop" io="native" name="qemu" type="raw" discard="unmap"'
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), driver)


def custom_block_size(logical: int, physical: int) -> dict:
    return {"custom": {"logical": logical, "physical": physical, "discardGranularity": physical}}


# KubeVirt: "should set custom block size" (on amd64, 1024/2048/4096 on s390x)
@pytest.mark.parametrize(
    ("arch", "model", "size"),
    [("amd64", MODEL, 1234), ("s390x", "virtio", 1024), ("s390x", "virtio", 2048), ("s390x", "virtio", 4096)],
)
def test_custom_block_size(arch: str, model: str, size: int) -> None:
    spec = vmi(pvc("mypvc", blockSize=custom_block_size(size, size)))
    got = single_disk_xml(spec, ctx(arch, permanent=("mypvc",)))
    blockio = f'  <blockio logical_block_size="{size}" physical_block_size="{size}" discard_granularity="{size}"/>\n'
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), raw_driver(), model=model, extra=blockio)


# KubeVirt: "should reject custom block size exceeding s390x maximum" (8192, 65536, 1 MiB)
@pytest.mark.parametrize("size", [8192, 65536, 1048576])
def test_custom_block_size_s390x_limit(size: int) -> None:
    spec = vmi(pvc("mypvc", blockSize=custom_block_size(size, size)))
    with pytest.raises(ConversionError, match="exceeds the maximum supported size") as err:
        configure(spec, ctx("s390x", permanent=("mypvc",)))
    assert err.value.message == (
        f"custom block size (logical={size}, physical={size}) exceeds the maximum supported size "
        "of 4096 for architecture s390x"
    )
    assert err.value.field == "spec.domain.devices.disks[0].blockSize.custom"


# KubeVirt: "should detect block size via the injected detector for MatchVolume". The detector is
# replaced by the probe result in context.blockIO; a device probe without a discard granularity
# reads as 0, like KubeVirt's own detector when sysfs has none.
def test_match_volume_uses_probe_result() -> None:
    spec = vmi(pvc("mypvc", blockSize={"matchVolume": {"enabled": True}}))
    probe = {"mypvc": {"logical": 512, "physical": 4096}}
    context = ctx(permanent=("mypvc",), isBlockPVC={"mypvc": True}, blockIO=probe)
    got = single_disk_xml(spec, context)
    assert got == (
        f'<disk device="disk" type="block" model="{MODEL}">\n'
        '  <source dev="/dev/mypvc"/>\n'
        '  <target bus="virtio" dev="vda"/>\n'
        f"  <driver {raw_driver()}/>\n"
        '  <alias name="ua-mypvc"/>\n'
        '  <blockio logical_block_size="512" physical_block_size="4096" discard_granularity="0"/>\n'
        "</disk>\n"
    )


# KubeVirt: "should set shareable and cache=none"
def test_shareable_forces_cache_none() -> None:
    got = single_disk_xml(vmi(pvc("mypvc", shareable=True)), ctx(permanent=("mypvc",)))
    driver = 'cache="none" error_policy="stop" name="qemu" type="raw" discard="unmap"'
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), driver, extra="  <shareable/>\n")


def test_shareable_rejects_other_cache() -> None:
    with pytest.raises(ConversionError) as err:
        configure(vmi(pvc("mypvc", shareable=True, cache="writethrough")), ctx(permanent=("mypvc",)))
    assert err.value.message == "a sharable disk requires cache = none got: writethrough"
    assert err.value.field == "spec.domain.devices.disks[0].cache"


# KubeVirt: "should set IOMMU driver when SEV is active on virtio disk"
def test_sev_iommu() -> None:
    got = single_disk_xml(vmi(pvc("mypvc")), ctx(permanent=("mypvc",), useLaunchSecuritySEV=True))
    driver = 'error_policy="stop" name="qemu" type="raw" discard="unmap" iommu="on"'
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), driver)


# KubeVirt: "should set boot order when provided"
def test_boot_order() -> None:
    got = single_disk_xml(vmi(pvc("mypvc", bootOrder=1)), ctx(permanent=("mypvc",)))
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), raw_driver(), extra='  <boot order="1"/>\n')


# KubeVirt: "should set LUN reservation source"
def test_lun_reservation() -> None:
    context = ctx(permanent=("mylun",), isBlockPVC={"mylun": True})
    got = single_disk_xml(vmi(lun_pvc("mylun", reservation=True)), context)
    assert got == (
        '<disk device="lun" type="block">\n'
        '  <source dev="/dev/mylun">\n'
        '    <reservations managed="no" migration="yes">\n'
        '      <source type="unix" path="/var/run/kubevirt/daemons/pr/pr-helper.sock" mode="client"/>\n'
        "    </reservations>\n"
        "  </source>\n"
        '  <target bus="scsi" dev="sda"/>\n'
        '  <driver error_policy="stop" name="qemu" type="raw" discard="unmap"/>\n'
        '  <alias name="ua-mylun"/>\n'
        '  <address type="drive" bus="0" controller="0" unit="0"/>\n'
        "</disk>\n"
    )


# ---------------------------------------------------------------- error policy


# KubeVirt: "should set non-default error policy" (report, ignore, enospace)
@pytest.mark.parametrize("policy", ["report", "ignore", "enospace"])
def test_error_policy(policy: str) -> None:
    got = single_disk_xml(vmi(pvc("mypvc", errorPolicy=policy)), ctx(permanent=("mypvc",)))
    assert got == virtio_file_disk("mypvc", pvc_image("mypvc"), raw_driver(policy=policy))


def test_unknown_error_policy() -> None:
    with pytest.raises(ConversionError) as err:
        configure(vmi(pvc("mypvc", errorPolicy="retry")), ctx(permanent=("mypvc",)))
    assert err.value.message == "error policy retry not recognized"
    assert err.value.field == "spec.domain.devices.disks[0].errorPolicy"


# ---------------------------------------------------------------- IOThreads


# KubeVirt: "should assign auto IOThreads to virtio disks"
def test_auto_iothreads() -> None:
    spec = vmi(pvc("disk1"), pvc("disk2"), ioThreadsPolicy="auto")
    got = disk_xmls(spec, ctx(permanent=("disk1", "disk2")))
    assert got == [
        virtio_file_disk("disk1", pvc_image("disk1"), raw_driver(' iothread="1"')),
        virtio_file_disk("disk2", pvc_image("disk2"), raw_driver(' iothread="2"'), dev="vdb"),
    ]


# KubeVirt: "should assign dedicated IOThreads separately from auto threads"
def test_dedicated_iothreads_after_auto_pool() -> None:
    spec = vmi(pvc("auto-disk"), pvc("dedicated-disk", dedicatedIOThread=True), ioThreadsPolicy="auto")
    got = disk_xmls(spec, ctx(permanent=("auto-disk", "dedicated-disk")))
    assert got == [
        virtio_file_disk("auto-disk", pvc_image("auto-disk"), raw_driver(' iothread="1"')),
        virtio_file_disk("dedicated-disk", pvc_image("dedicated-disk"), raw_driver(' iothread="2"'), dev="vdb"),
    ]


# KubeVirt: "should not assign IOThreads to non-virtio disks"
def test_no_iothreads_on_scsi() -> None:
    spec = vmi(lun_pvc("scsi-disk"), ioThreadsPolicy="auto")
    got = single_disk_xml(spec, ctx(permanent=("scsi-disk",), isBlockPVC={"scsi-disk": True}))
    assert got == (
        '<disk device="lun" type="block">\n'
        '  <source dev="/dev/scsi-disk"/>\n'
        '  <target bus="scsi" dev="sda"/>\n'
        '  <driver error_policy="stop" name="qemu" type="raw" discard="unmap"/>\n'
        '  <alias name="ua-scsi-disk"/>\n'
        '  <address type="drive" bus="0" controller="0" unit="0"/>\n'
        "</disk>\n"
    )


# KubeVirt: "should assign supplemental pool IOThreads when policy is set"
def test_supplemental_pool() -> None:
    spec = vmi(pvc("mydisk"), ioThreadsPolicy="supplementalPool", ioThreads={"supplementalPoolThreadCount": 2})
    got = single_disk_xml(spec, ctx(permanent=("mydisk",)))
    assert got == (
        f'<disk device="disk" type="file" model="{MODEL}">\n'
        f'  <source file="{pvc_image("mydisk")}"/>\n'
        '  <target bus="virtio" dev="vda"/>\n'
        '  <driver error_policy="stop" name="qemu" type="raw" discard="unmap">\n'
        "    <iothreads>\n"
        '      <iothread id="1"/>\n'
        '      <iothread id="2"/>\n'
        "    </iothreads>\n"
        "  </driver>\n"
        '  <alias name="ua-mydisk"/>\n'
        "</disk>\n"
    )


def test_supplemental_pool_without_count_is_an_error() -> None:
    """KubeVirt dereferences the missing ioThreads and panics."""
    spec = vmi(pvc("mydisk"), ioThreadsPolicy="supplementalPool")
    with pytest.raises(ConversionError) as err:
        configure(spec, ctx(permanent=("mydisk",)))
    assert err.value.field == "spec.domain.ioThreads.supplementalPoolThreadCount"


# ---------------------------------------------------------------- device naming


# KubeVirt: "should assign correct prefixes for different bus types"
def test_prefix_per_bus() -> None:
    spec = vmi(pvc("virtio-disk"), lun_pvc("scsi-lun"))
    got = disk_xmls(spec, ctx(permanent=("virtio-disk", "scsi-lun"), isBlockPVC={"scsi-lun": True}))
    assert got == [
        virtio_file_disk("virtio-disk", pvc_image("virtio-disk"), raw_driver()),
        (
            '<disk device="lun" type="block">\n'
            '  <source dev="/dev/scsi-lun"/>\n'
            '  <target bus="scsi" dev="sda"/>\n'
            '  <driver error_policy="stop" name="qemu" type="raw" discard="unmap"/>\n'
            '  <alias name="ua-scsi-lun"/>\n'
            '  <address type="drive" bus="0" controller="0" unit="0"/>\n'
            "</disk>\n"
        ),
    ]


# KubeVirt: "should preserve existing device names from volume status"
def test_names_from_volume_status() -> None:
    spec = with_status(
        vmi(pvc("disk1"), pvc("disk2")), {"name": "disk1", "target": "vdb"}, {"name": "disk2", "target": "vda"}
    )
    got = disk_xmls(spec, ctx(permanent=("disk1", "disk2")))
    assert got == [
        virtio_file_disk("disk1", pvc_image("disk1"), raw_driver(), dev="vdb"),
        virtio_file_disk("disk2", pvc_image("disk2"), raw_driver(), dev="vda"),
    ]


# KubeVirt: "should auto-assign device name when volume status has no target"
def test_status_without_target() -> None:
    spec = with_status(vmi(pvc("mydisk")), {"name": "mydisk", "target": ""})
    got = single_disk_xml(spec, ctx(permanent=("mydisk",)))
    assert got == virtio_file_disk("mydisk", pvc_image("mydisk"), raw_driver())


# KubeVirt: "should fill target gap after hotplug detach"
def test_fill_gap_after_detach() -> None:
    cdrom = (
        disk("cdrom", "sata", kind="cdrom"),
        {"name": "cdrom", "persistentVolumeClaim": {"claimName": "cdrom-claim"}},
    )
    spec = with_status(
        vmi(pvc("boot", "scsi"), cdrom, pvc("newhotplug", "scsi")),
        {"name": "boot", "target": "sda"},
        {"name": "cdrom", "target": "sdc"},
    )
    got = disk_xmls(spec, ctx(permanent=("boot", "cdrom", "newhotplug")))
    assert got == [
        (
            '<disk device="disk" type="file">\n'
            f'  <source file="{pvc_image("boot")}"/>\n'
            '  <target bus="scsi" dev="sda"/>\n'
            '  <driver error_policy="stop" name="qemu" type="raw" discard="unmap"/>\n'
            '  <alias name="ua-boot"/>\n'
            '  <address type="drive" bus="0" controller="0" unit="0"/>\n'
            "</disk>\n"
        ),
        (
            '<disk device="cdrom" type="file">\n'
            f'  <source file="{pvc_image("cdrom")}"/>\n'
            '  <target bus="sata" dev="sdc"/>\n'
            '  <driver error_policy="stop" name="qemu" type="raw" discard="unmap"/>\n'
            "  <readonly/>\n"
            '  <alias name="ua-cdrom"/>\n'
            "</disk>\n"
        ),
        (
            '<disk device="disk" type="file">\n'
            f'  <source file="{pvc_image("newhotplug")}"/>\n'
            '  <target bus="scsi" dev="sdb"/>\n'
            '  <driver error_policy="stop" name="qemu" type="raw" discard="unmap"/>\n'
            '  <alias name="ua-newhotplug"/>\n'
            '  <address type="drive" bus="0" controller="0" unit="1"/>\n'
            "</disk>\n"
        ),
    ]


# KubeVirt: "should generate correct device names at multi-letter boundaries"
def test_multi_letter_names() -> None:
    count = 26 * 26
    names = [f"disk{i}" for i in range(count)]
    spec = vmi(*(pvc(n) for n in names))
    domain = configure(spec, ctx(permanent=tuple(names)))
    devs = [d.target.dev for d in domain.devices.disks if d.target is not None]
    assert (devs[0], devs[1], devs[25], devs[26], devs[51], devs[675]) == ("vda", "vdb", "vdz", "vdaa", "vdaz", "vdyz")


def test_launcher_directories_from_context_paths() -> None:
    """containerDisk images, ephemeral overlays and cloud-init ISOs follow the launcher's directory flags."""
    container = (disk("cd"), {"name": "cd", "containerDisk": {"image": "x"}})
    cloud_init = (disk("ci"), {"name": "ci", "cloudInitNoCloud": {}})
    paths = {"containerDiskDir": "/cd", "ephemeralDiskDir": "/eph", "cloudInitDir": "/ci"}
    context = ctx(disksInfo={"cd": {"format": "raw"}}, paths=paths)
    domain = configure(vmi(container, cloud_init, name="vm", namespace="ns"), context)
    first, second = domain.devices.disks
    assert first.source is not None and first.source.file == "/eph/cd/disk.qcow2"
    assert first.backing_store is not None and first.backing_store.source is not None
    assert first.backing_store.source.file == "/cd/disk_0.img"
    assert second.source is not None and second.source.file == "/ci/ns/vm/noCloud.iso"
