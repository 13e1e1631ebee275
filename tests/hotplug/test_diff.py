"""The three disk diffs, ported from manager_test.go's getAttachedDisks / getDetachedDisks / getUpdatedDisks tables.

KubeVirt builds `api.Disk` structs; here the old (running) disks are `<disk>`
elements and the new (converted) ones the same XML parsed into our model.
A `<source>` with `name` is KubeVirt's `DiskSource.Name`.
"""

from __future__ import annotations

import pytest
from hotplug_helpers import HOTPLUG, same_xml
from lxml import etree

from vmi_converter.converter.domain.model import Disk
from vmi_converter.converter.domain.xmlmodel import from_element
from vmi_converter.converter.hotplug import device_xml, diff


def old(*disks: str) -> list[diff.LiveDisk]:
    root = etree.fromstring(f"<domain><devices>{''.join(disks)}</devices></domain>")
    return diff.live_disks(root)


def new(*disks: str) -> list[Disk]:
    return [from_element(Disk, etree.fromstring(d)) for d in disks]


def disk(dev: str, name: str = "", file: str = "", device: str = "", source_dev: str = "") -> str:
    device_attr = f' device="{device}"' if device else ""
    attrs = "".join(f' {k}="{v}"' for k, v in (("name", name), ("file", file), ("dev", source_dev)) if v)
    source = f"<source{attrs}/>" if attrs else ""
    return f'<disk{device_attr}>{source}<target dev="{dev}"/></disk>'


SDA = disk("sda", "test", "file")
SDB_HOTPLUG = disk("sdb", "test2", f"{HOTPLUG}/file2")


@pytest.mark.parametrize(
    ("old_disks", "new_disks", "expected"),
    [
        pytest.param([], [], [], id="be empty with empty old and new"),
        pytest.param([SDA], [SDA], [], id="be empty with empty old and new being identical"),
        pytest.param(
            [SDA], [SDA, SDB_HOTPLUG], ["sdb"], id="contain a new disk with empty having a new disk compared to old"
        ),
        pytest.param([SDA], [SDA, disk("sdb", "test2", "file2")], [], id="be empty if non-hotplug disk is added"),
    ],
)
def test_get_attached_disks(old_disks: list[str], new_disks: list[str], expected: list[str]) -> None:
    # KubeVirt: manager_test.go Describe("getAttachedDisks")
    result = diff.attached(old(*old_disks), new(*new_disks))
    assert [diff.target_dev(d) for d in result] == expected
    if expected:
        assert same_xml(device_xml.attach_xml(result[0]), SDB_HOTPLUG)


@pytest.mark.parametrize(
    ("old_disks", "new_disks", "expected"),
    [
        pytest.param([], [], [], id="be empty with empty old and new"),
        pytest.param([SDA], [SDA], [], id="be empty with empty old and new being identical"),
        pytest.param([SDA, SDB_HOTPLUG], [SDA], ["sdb"], id="contains something if new has less than old"),
        pytest.param([SDA], [disk("sdb", "test", "file-changed")], [], id="be empty if non-hotplug disk changed"),
    ],
)
def test_get_detached_disks(old_disks: list[str], new_disks: list[str], expected: list[str]) -> None:
    # KubeVirt: manager_test.go Describe("getDetachedDisks")
    result = diff.detached(old(*old_disks), new(*new_disks))
    assert [diff.target_dev(d.model) for d in result] == expected
    if expected:
        assert same_xml(device_xml.detach_xml(result[0].element), SDB_HOTPLUG)


@pytest.mark.parametrize("bus", ["sata", "usb"])
def test_disks_on_a_bus_without_hotplug_are_left_alone(bus: str) -> None:
    # KubeVirt: manager.go getAttachedDisks/getDetachedDisks accept only virtio, scsi or no bus
    on_bus = f'<disk><target dev="sdb" bus="{bus}"/><source file="{HOTPLUG}/file2"/></disk>'
    assert diff.attached(old(SDA), new(SDA, on_bus)) == []
    assert diff.detached(old(SDA, on_bus), new(SDA)) == []


def cdrom(dev: str, name: str = "", file: str = "", source_dev: str = "") -> str:
    return disk(dev, name, file, "cdrom", source_dev)


FILE1 = f"{HOTPLUG}/file1"
FILE2 = f"{HOTPLUG}/file2"


@pytest.mark.parametrize(
    ("old_disks", "new_disks", "expected"),
    [
        pytest.param([], [], [], id="be empty with empty old and new"),
        pytest.param(
            [cdrom("sda", "test", FILE1)], [cdrom("sda", "test", FILE1)], [],
            id="be empty with empty old and new being identical",
        ),
        pytest.param(
            [cdrom("sda", "test", FILE1)], [cdrom("sda", "test", FILE1), cdrom("sdb", "test2", FILE2)], [],
            id="be empty with new disk being added",
        ),
        pytest.param(
            [cdrom("sda", "test", FILE1), cdrom("sdb", "test2", FILE2)],
            [cdrom("sda", "test", FILE1)],
            ['<disk device="cdrom" type="block"><driver type="raw"/><source/><target dev="sdb"/></disk>'],
            id="be ejected if disk removed",
        ),
        pytest.param(
            [disk("sda", "test", FILE1, "disk")], [disk("sda", "test2", FILE2, "disk")], [],
            id="be empty not cd-roms",
        ),
        pytest.param(
            [cdrom("sda", "test", "file1")], [cdrom("sda", "test2", "file2")], [],
            id="be empty if not hotplug",
        ),
        pytest.param(
            [cdrom("sda")],
            [cdrom("sda", "test1", FILE1)],
            [f'<disk device="cdrom" type="file"><driver type="raw"/><source name="test1" file="{FILE1}"/>'
             '<target dev="sda"/></disk>'],
            id="cd-rom inject",
        ),
        pytest.param(
            [cdrom("sda", "test1", FILE1)],
            [cdrom("sda")],
            ['<disk device="cdrom" type="block"><driver type="raw"/><source/><target dev="sda"/></disk>'],
            id="cd-rom eject",
        ),
        pytest.param(
            [cdrom("sda", "test1", FILE1)],
            [cdrom("sda", "test2", FILE2)],
            [f'<disk device="cdrom" type="file"><driver type="raw"/><source name="test2" file="{FILE2}"/>'
             '<target dev="sda"/></disk>'],
            id="cd-rom swap",
        ),
        pytest.param(
            [cdrom("sda", "test1", FILE1)],
            [cdrom("sda", "test2", source_dev=FILE2)],
            [f'<disk device="cdrom" type="block"><driver type="raw"/><source name="test2" dev="{FILE2}"/>'
             '<target dev="sda"/></disk>'],
            id="cd-rom swap block",
        ),
    ],
)
def test_get_updated_disks(old_disks: list[str], new_disks: list[str], expected: list[str]) -> None:
    # KubeVirt: manager_test.go Describe("getUpdatedDisks")
    result = diff.updated(old(*old_disks), new(*new_disks))
    got = [device_xml.update_xml(change) for change in result]
    assert len(got) == len(expected), got
    for xml, want in zip(got, expected, strict=True):
        assert same_xml(xml, want), xml


def test_update_keeps_the_drive_and_drops_the_old_backing_chain() -> None:
    # KubeVirt: manager.go getUpdatedDisks copies the running disk and replaces only its source
    running = (
        f'<disk type="file" device="cdrom"><driver name="qemu" type="raw" cache="none" io="native"/>'
        f'<source file="{FILE1}" index="2"><seclabel model="dac" relabel="no"/></source><backingStore/>'
        '<target dev="sda" bus="scsi" tray="closed"/><readonly/><serial>CD-Serial</serial>'
        '<alias name="ua-cd"/><address type="drive" controller="0" bus="0" target="0" unit="1"/></disk>'
    )
    change = diff.updated(old(running), new(cdrom("sda", "", FILE2)))
    assert len(change) == 1
    assert change[0].inserts_medium
    assert same_xml(
        device_xml.update_xml(change[0]),
        f'<disk type="file" device="cdrom"><driver name="qemu" type="raw" cache="none" io="native"/>'
        f'<source file="{FILE2}"/><target dev="sda" bus="scsi" tray="closed"/><readonly/>'
        '<serial>CD-Serial</serial><alias name="ua-cd"/>'
        '<address type="drive" controller="0" bus="0" target="0" unit="1"/></disk>',
    )


def test_detach_keeps_what_our_model_does_not_know() -> None:
    # The device XML for detach is the running element, not a re-rendering (unlike KubeVirt's api.Disk).
    running = (
        f'<disk type="file" device="disk"><driver name="qemu" type="raw"/>'
        f'<source file="{FILE1}" index="4"><seclabel model="dac" relabel="no"/></source>'
        '<target dev="sdc" bus="scsi"/><iotune><total_bytes_sec>1000</total_bytes_sec></iotune>'
        '<wwn>5000c50015ea71ac</wwn><alias name="ua-Data_Vol"/></disk>'
    )
    (result,) = diff.detached(old(running), new())
    assert (diff.volume_name(result.model), diff.target_dev(result.model)) == ("Data_Vol", "sdc")
    assert same_xml(device_xml.detach_xml(result.element), running)
