"""Backend resolution. Ported from KubeVirt virtwrap/disksource/disk_source_test.go."""

from __future__ import annotations

import pytest

from vmi_converter.converter.domain.model import DataStore, DataStoreSource, Disk, DiskSource
from vmi_converter.converter.storage.disk_source import ResolvedSource, resolve


# KubeVirt: disk_source_test.go "should resolve topology correctly" (all 6 entries)
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (DiskSource(file="/test/disk.img"), ResolvedSource("/test/disk.img", "/test/disk.img", False, False)),
        (DiskSource(dev="/dev/vda"), ResolvedSource("/dev/vda", "/dev/vda", True, False)),
        (
            DiskSource(
                file="/test/overlay.qcow2", data_store=DataStore(type="block", source=DataStoreSource(dev="/dev/vda"))
            ),
            ResolvedSource("/test/overlay.qcow2", "/dev/vda", True, True),
        ),
        (
            DiskSource(
                file="/test/overlay.qcow2",
                data_store=DataStore(type="file", source=DataStoreSource(file="/test/disk.img")),
            ),
            ResolvedSource("/test/overlay.qcow2", "/test/disk.img", False, True),
        ),
        (None, ResolvedSource("", "", False, False)),
        (
            DiskSource(file="/test/overlay.qcow2", data_store=DataStore(type="block")),
            ResolvedSource("/test/overlay.qcow2", "/test/overlay.qcow2", False, False),
        ),
    ],
    ids=[
        "plain file disk",
        "plain block device",
        "qcow2 overlay on block device via datastore",
        "qcow2 overlay on file via datastore",
        "empty disk",
        "datastore with nil source",
    ],
)
def test_resolve(source: DiskSource | None, expected: ResolvedSource) -> None:
    assert resolve(Disk(source=source)) == expected
