"""Cache and IO modes from host facts (KubeVirt converter.go SetDriverCacheMode / SetOptimalIOMode).

Ported from converter/converter_test.go "Driver Cache and IO Settings". KubeVirt's
DirectIOChecker mock becomes the `directIOSupported` fact; a checker error is
reported as False (KubeVirt treats a failed probe as "no O_DIRECT").
"""

from __future__ import annotations

import pytest
from storage_helpers import ctx, disk, pvc, storage_pipeline, vmi

from vmi_converter.converter.common.context import DiskFacts, context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.domain.model import DataStore, DataStoreSource, Disk, DiskDriver, DiskSource
from vmi_converter.converter.storage.host_io import set_driver_cache_mode, set_optimal_io_mode


def file_disk(cache: str | None = None) -> Disk:
    return Disk(source=DiskSource(file="file"), driver=DiskDriver(name="qemu", cache=cache))


# KubeVirt: "should correctly set driver cache mode" (all 9 entries; the "on error" ones probe False).
# An expected cache of None means the conversion fails.
@pytest.mark.parametrize(
    ("cache", "direct_io", "expected"),
    [
        (None, True, "none"),
        (None, False, "writethrough"),
        (None, False, "writethrough"),
        ("none", True, "none"),
        ("none", False, None),
        ("none", False, None),
        ("writethrough", True, "writethrough"),
        ("writethrough", False, "writethrough"),
        ("writethrough", False, "writethrough"),
    ],
    ids=[
        "detect 'none' with direct io",
        "detect 'writethrough' without direct io",
        "fallback to 'writethrough' on error",
        "keep 'none' with direct io",
        "return error without direct io",
        "return error on error",
        "'writethrough' with direct io",
        "'writethrough' without direct io",
        "'writethrough' on error",
    ],
)
def test_cache_mode(cache: str | None, direct_io: bool, expected: str | None) -> None:
    disk_ = file_disk(cache)
    if expected is None:
        with pytest.raises(ConversionError) as err:
            set_driver_cache_mode(disk_, direct_io, "spec.domain.devices.disks[0].cache")
        assert err.value.message == (
            "Unable to use 'none' cache mode, file system where file is stored does not support direct I/O"
        )
        assert err.value.field == "spec.domain.devices.disks[0].cache"
        return
    set_driver_cache_mode(disk_, direct_io, "f")
    assert disk_.driver is not None and disk_.driver.cache == expected


# KubeVirt: "should check block device paths correctly"
def test_block_device_backend() -> None:
    disk_ = Disk(source=DiskSource(dev="/dev/vda"), driver=DiskDriver(name="qemu"))
    set_driver_cache_mode(disk_, True, "f")
    assert disk_.driver is not None and disk_.driver.cache == "none"


# KubeVirt: "should resolve datastore block dev over frontend file source"
def test_datastore_backend_is_the_one_checked() -> None:
    disk_ = Disk(
        source=DiskSource(file="/test/overlay.qcow2", data_store=DataStore(source=DataStoreSource(dev="/dev/vda"))),
        driver=DiskDriver(name="qemu", cache="none"),
    )
    with pytest.raises(ConversionError, match="file system where /dev/vda is stored"):
        set_driver_cache_mode(disk_, False, "f")


def test_disk_without_backend() -> None:
    cdrom = Disk(device="cdrom", source=DiskSource(), driver=DiskDriver(name="qemu"))
    set_driver_cache_mode(cdrom, False, "f")
    assert cdrom.driver is not None and cdrom.driver.cache is None
    with pytest.raises(ConversionError) as err:
        set_driver_cache_mode(Disk(device="disk", source=DiskSource(), driver=DiskDriver(name="qemu")), True, "f")
    assert err.value.message == "unable to set a driver cache mode, disk has no backend path"


def overlay_on(store: DataStoreSource, store_type: str, cache: str) -> Disk:
    source = DiskSource(file="/test/overlay.qcow2", data_store=DataStore(type=store_type, source=store))
    return Disk(source=source, driver=DiskDriver(name="qemu", cache=cache))


# KubeVirt: "should set appropriate IO modes" (all 9 entries)
@pytest.mark.parametrize(
    ("disk_", "preallocated", "expected"),
    [
        (Disk(driver=DiskDriver(name="qemu", io="threads")), False, "threads"),  # user-specified IO
        (Disk(source=DiskSource(file="test.img"), driver=DiskDriver(name="qemu")), False, None),  # sparse image
        (Disk(source=DiskSource(file="test.img"), driver=DiskDriver(name="qemu", cache="none")), True, "native"),
        (Disk(source=DiskSource(file="test.img"), driver=DiskDriver(name="qemu", cache="writethrough")), True, None),
        (Disk(source=DiskSource(dev="/dev/test"), driver=DiskDriver(name="qemu", cache="none")), True, "native"),
        (overlay_on(DataStoreSource(dev="/dev/vda"), "block", "none"), False, "native"),
        (overlay_on(DataStoreSource(dev="/dev/vda"), "block", "writethrough"), False, None),
        (overlay_on(DataStoreSource(file="/disks/disk.img"), "file", "none"), True, "native"),
        (overlay_on(DataStoreSource(file="/disks/disk.img"), "file", "none"), False, None),
    ],
    ids=[
        "user-specified IO",
        "sparse image",
        "pre-allocated image with O_DIRECT",
        "pre-allocated image without O_DIRECT",
        "block device with O_DIRECT",
        "datastore block device with O_DIRECT",
        "datastore block device without O_DIRECT",
        "datastore file backend pre-allocated with O_DIRECT",
        "datastore file backend sparse with O_DIRECT",
    ],
)
def test_io_mode(disk_: Disk, preallocated: bool, expected: str | None) -> None:
    set_optimal_io_mode(disk_, preallocated)
    assert disk_.driver is not None and disk_.driver.io == expected


# ---------------------------------------------------------------- the post-conversion pass


def drivers(spec: dict, context) -> list[tuple[object, object]]:  # type: ignore[no-untyped-def]
    domain = storage_pipeline(spec, context)
    return [(d.driver.cache, d.driver.io) for d in domain.devices.disks if d.driver is not None]


def facts_ctx(facts: dict, **kwargs: object):  # type: ignore[no-untyped-def]
    context = ctx(permanent=("a", "b"), **kwargs)
    context.disk_facts = {name: DiskFacts(**value) for name, value in facts.items()}
    return context


def test_disks_without_facts_are_untouched() -> None:
    spec = vmi(pvc("a"), pvc("b"))
    assert drivers(spec, facts_ctx({})) == [(None, None), (None, None)]


def test_facts_apply_per_volume() -> None:
    spec = vmi(pvc("a"), pvc("b"))
    facts = {"a": {"direct_io_supported": True, "preallocated": True}, "b": {"direct_io_supported": False}}
    assert drivers(spec, facts_ctx(facts)) == [("none", "native"), ("writethrough", None)]


def test_block_volume_gets_native_io() -> None:
    spec = vmi(pvc("a"))
    context = facts_ctx({"a": {"direct_io_supported": True}}, isBlockPVC={"a": True})
    assert drivers(spec, context) == [("none", "native")]


def test_requested_cache_none_without_direct_io_names_the_disk() -> None:
    spec = vmi(pvc("a"), pvc("b", cache="none"))
    with pytest.raises(ConversionError) as err:
        storage_pipeline(spec, facts_ctx({"b": {"direct_io_supported": False}}))
    assert err.value.field == "spec.domain.devices.disks[1].cache"
    assert err.value.message == (
        "Unable to use 'none' cache mode, file system where /var/run/kubevirt-private/vmi-disks/b/disk.img "
        "is stored does not support direct I/O"
    )


def test_empty_cdrom_with_facts_is_untouched() -> None:
    spec = vmi((disk("a", "sata", kind="cdrom"), None))
    assert drivers(spec, facts_ctx({"a": {"direct_io_supported": True}})) == [(None, None)]


def test_disk_facts_from_the_request_context() -> None:
    """The JSON context key `diskFacts` feeds the same pass inside convert()."""
    context = context_from_dict(
        {"permanentVolumes": {"a": {}}, "diskFacts": {"a": {"directIOSupported": True, "preallocated": True}}}
    )
    assert drivers(vmi(pvc("a")), context) == [("none", "native")]
