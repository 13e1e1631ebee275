"""Guest device names (KubeVirt storage/disk.go makeDeviceName / formatDeviceName)."""

from __future__ import annotations

import pytest

from vmi_converter.converter.storage.naming import DeviceNamer, bus_prefix, device_name


@pytest.mark.parametrize(
    ("index", "name"), [(0, "sda"), (25, "sdz"), (26, "sdaa"), (51, "sdaz"), (701, "sdzz"), (702, "sdaaa")]
)
def test_kernel_style_names(index: int, name: str) -> None:
    assert device_name("sd", index) == name


@pytest.mark.parametrize(("bus", "prefix"), [("virtio", "vd"), ("sata", "sd"), ("scsi", "sd"), ("usb", "sd"), ("", "")])
def test_prefix(bus: str, prefix: str) -> None:
    assert bus_prefix(bus) == prefix


def test_buses_sharing_a_prefix_share_the_names() -> None:
    disks = [{"name": n, "disk": {"bus": b}} for n, b in [("a", "sata"), ("b", "scsi"), ("c", "virtio"), ("d", "usb")]]
    namer = DeviceNamer([], disks)
    assert [namer.name(d["name"], d["disk"]["bus"]) for d in disks] == [("sda", 0), ("sdb", 1), ("vda", 0), ("sdc", 2)]


def test_recorded_target_keeps_its_unit() -> None:
    disks = [{"name": "a", "disk": {"bus": "scsi"}}, {"name": "b", "disk": {"bus": "scsi"}}]
    namer = DeviceNamer([{"name": "b", "target": "sdc"}], disks)
    assert namer.name("a", "scsi") == ("sda", 0)
    assert namer.name("b", "scsi") == ("sdc", 2)


def test_recorded_target_of_another_scheme_gets_unit_zero() -> None:
    """KubeVirt logs "Unable to determine index of device" and uses 0."""
    namer = DeviceNamer([{"name": "a", "target": "hda"}], [{"name": "a", "disk": {"bus": "scsi"}}])
    assert namer.name("a", "scsi") == ("hda", 0)


def test_unknown_bus_has_bare_letters() -> None:
    namer = DeviceNamer([], [{"name": "a", "disk": {}}])
    assert namer.name("a", "") == ("a", 0)
