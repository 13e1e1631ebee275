"""Errors the disk configurator reports, with the field they name.

Messages are KubeVirt's (converter/storage/configurator.go, disk.go, volume.go).
"""

from __future__ import annotations

import pytest
from storage_helpers import configure, ctx, disk, pvc, vmi

from vmi_converter.converter.common.errors import ConversionError


def raises(spec: dict, context=None) -> ConversionError:  # type: ignore[no-untyped-def]
    with pytest.raises(ConversionError) as err:
        configure(spec, context or ctx())
    return err.value


# KubeVirt: configurator.go "no matching volume with name %s found"
def test_disk_without_volume() -> None:
    err = raises(vmi((disk("orphan"), None)))
    assert err.field == "spec.domain.devices.disks[0].name"
    assert err.message == "no matching volume with name orphan found"


# KubeVirt: converter_test.go "should fail disk config pci address is set with a non virtio bus"
@pytest.mark.parametrize("bus", ["scsi", "sata"])
def test_pci_address_on_non_virtio_bus(bus: str) -> None:
    spec = vmi(pvc("data", bus))
    spec["spec"]["domain"]["devices"]["disks"][0]["disk"]["pciAddress"] = "0000:81:01.0"
    err = raises(spec)
    assert err.field == "spec.domain.devices.disks[0].disk.pciAddress"
    assert err.message == "setting a pci address is not allowed for non-virtio bus types, for disk data"


@pytest.mark.parametrize("address", ["0000:81:01", "81:01.0", "0000:81:01.8", "zzzz:81:01.0"])
def test_malformed_pci_address(address: str) -> None:
    spec = vmi(pvc("data"))
    spec["spec"]["domain"]["devices"]["disks"][0]["disk"]["pciAddress"] = address
    err = raises(spec)
    assert err.field == "spec.domain.devices.disks[0].disk.pciAddress"
    assert err.message == f"failed to configure disk data: failed to parse pci address {address}"


# KubeVirt: volume.go "no disk info provided for volume %s"
def test_container_disk_without_disk_info() -> None:
    spec = vmi((disk("cd"), {"name": "cd", "containerDisk": {"image": "x"}}))
    err = raises(spec)
    assert (err.field, err.message) == ('context.disksInfo["cd"]', "no disk info provided for volume cd")


# KubeVirt: volume.go "disk %s references an unsupported source"
@pytest.mark.parametrize("source", ["memoryDump", "containerPath"])
def test_unsupported_source(source: str) -> None:
    err = raises(vmi((disk("vol"), {"name": "vol", source: {}})))
    assert (err.field, err.message) == ("spec.volumes[0]", "disk vol references an unsupported source")


# KubeVirt: volume.go "hotplug disk %s references an unsupported source"
def test_unsupported_hotplug_source() -> None:
    spec = vmi((disk("vol"), {"name": "vol", "emptyDisk": {"capacity": "1Gi"}}))
    err = raises(spec, ctx(hotplug={"vol": "MountedToPod"}))
    assert (err.field, err.message) == ("spec.volumes[0]", "hotplug disk vol references an unsupported source")


# KubeVirt: volume.go deviceTypeNotCompatibleFmt. KubeVirt compares the disk *type* with "lun"
# (it is stored in the device), so the check never fires there; here it does.
@pytest.mark.parametrize(
    "source",
    [
        {"containerDisk": {"image": "x"}},
        {"cloudInitNoCloud": {}},
        {"cloudInitConfigDrive": {}},
        {"sysprep": {"configMap": {"name": "x"}}},
        {"emptyDisk": {"capacity": "1Gi"}},
    ],
    ids=["containerDisk", "noCloud", "configDrive", "sysprep", "emptyDisk"],
)
def test_lun_on_generated_image(source: dict) -> None:
    spec = vmi(({"name": "vol", "lun": {"bus": "scsi"}}, {"name": "vol", **source}))
    err = raises(spec, ctx(disksInfo={"vol": {"format": "raw"}}))
    assert err.field == "spec.domain.devices.disks[0].lun"
    assert err.message == "device vol is of type lun. Not compatible with a file based disk"


# Not in KubeVirt, which emits these (libvirt refuses a LUN, and its <reservations>, on a file).
@pytest.mark.parametrize(
    ("source", "facts"),
    [
        ({"persistentVolumeClaim": {"claimName": "vol"}}, {}),
        ({"dataVolume": {"name": "vol"}}, {}),
        ({"hostDisk": {"path": "/data/disk.img", "type": "Disk"}}, {}),
        ({"ephemeral": {"persistentVolumeClaim": {"claimName": "vol"}}}, {"isBlockPVC": {"vol": True}}),
        ({"persistentVolumeClaim": {"claimName": "vol"}}, {"hotplug": {"vol": "Ready"}}),
    ],
    ids=["filesystem PVC", "filesystem DataVolume", "hostDisk", "ephemeral over a block PVC", "hotplugged PVC"],
)
@pytest.mark.parametrize("reservation", [False, True], ids=["lun", "lun with reservation"])
def test_lun_on_file_backed_volume(source: dict, facts: dict, reservation: bool) -> None:
    lun = {"name": "vol", "lun": {"bus": "scsi", "reservation": reservation}}
    err = raises(vmi((lun, {"name": "vol", **source})), ctx(**facts))
    assert err.field == "spec.domain.devices.disks[0].lun"
    assert err.message == "device vol is of type lun. Not compatible with a file based disk"


def test_error_field_uses_the_disk_index() -> None:
    spec = vmi(pvc("a"), pvc("b", errorPolicy="bogus"))
    err = raises(spec)
    assert err.field == "spec.domain.devices.disks[1].errorPolicy"


# KubeVirt: pkg/os/disk/validation.go VerifyImage, which the launcher runs on each container disk it probes.
@pytest.mark.parametrize(
    ("info", "field", "message"),
    [
        ({"format": "vmdk"}, '.format', "unsupported image format: vmdk"),
        ({}, '.format', "unsupported image format: "),
        ({"format": "qcow2", "backing-filename": "/x"}, '.backing-filename', "expected no backing file, but found /x"),
    ],
)
def test_container_disk_image_is_verified(info: dict, field: str, message: str) -> None:  # type: ignore[type-arg]
    from vmi_converter.converter.pipeline import convert

    vmi = {
        "metadata": {"name": "vm", "namespace": "ns"},
        "spec": {
            "domain": {"resources": {"requests": {"memory": "64Mi"}}, "devices": {"disks": [{"name": "cd"}]}},
            "volumes": [{"name": "cd", "containerDisk": {"image": "img"}}],
        },
    }
    with pytest.raises(ConversionError) as err:
        convert(vmi, {"disksInfo": {"cd": info}})
    assert (err.value.field, err.value.message) == (
        f'context.disksInfo["cd"]{field}',
        f"invalid image in containerDisk cd: {message}",
    )
