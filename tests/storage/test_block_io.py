"""`<blockio>` from custom sizes or from the volume's probed sizes (KubeVirt storage/disk.go).

KubeVirt's device probe (getOptimalBlockIOForDevice) and file probe
(getOptimalBlockIOForFile) have no unit tests of their own (they need ioctl
and statfs); these cases pin the fix-up rules applied to the probe results
that arrive in context.blockIO.
"""

from __future__ import annotations

import pytest
from storage_helpers import configure, ctx, disk, pvc, vmi

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.domain.xmlmodel import to_xml


def blockio_of(spec: dict, context) -> str | None:  # type: ignore[no-untyped-def]
    blockio = configure(spec, context).devices.disks[0].blockio
    return None if blockio is None else to_xml(blockio, "blockio").strip()


def match_volume_vmi(enabled: object = True) -> dict:
    feature = {} if enabled is None else {"enabled": enabled}
    return vmi(pvc("vol", blockSize={"matchVolume": feature}))


def block_ctx(**probe: int):  # type: ignore[no-untyped-def]
    return ctx(permanent=("vol",), isBlockPVC={"vol": True}, blockIO={"vol": probe})


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        ({"logical": 512, "physical": 4096, "discardGranularity": 4096}, (512, 4096, 4096)),
        # a device reporting one size gets it for both
        ({"logical": 0, "physical": 4096, "discardGranularity": 4096}, (4096, 4096, 4096)),
        ({"logical": 512, "physical": 0, "discardGranularity": 512}, (512, 512, 512)),
        # a granularity that is not a multiple of the logical size falls back to the reported physical size
        ({"logical": 512, "physical": 4096, "discardGranularity": 1000}, (512, 4096, 4096)),
        ({"logical": 4096, "physical": 0, "discardGranularity": 512}, (4096, 4096, 0)),
        # no discard_granularity in sysfs reads as 0
        ({"logical": 512, "physical": 512}, (512, 512, 0)),
    ],
)
def test_device_probe_fix_ups(probe: dict, expected: tuple[int, int, int]) -> None:
    logical, physical, granularity = expected
    assert blockio_of(match_volume_vmi(), block_ctx(**probe)) == (
        f'<blockio logical_block_size="{logical}" physical_block_size="{physical}" '
        f'discard_granularity="{granularity}"/>'
    )


def test_device_reporting_no_sizes_is_an_error() -> None:
    with pytest.raises(ConversionError) as err:
        configure(match_volume_vmi(), block_ctx(logical=0, physical=0))
    assert err.value.field == 'context.blockIO["vol"]'
    assert err.value.message == (
        "failed to configure disk with block size detection enabled: block sizes returned by device /dev/vol are 0"
    )


def test_file_backend_uses_the_filesystem_block_size() -> None:
    context = ctx(permanent=("vol",), blockIO={"vol": {"fsBlockSize": 4096}})
    assert blockio_of(match_volume_vmi(), context) == (
        '<blockio logical_block_size="4096" physical_block_size="4096" discard_granularity="4096"/>'
    )


def test_cbt_disk_is_probed_at_its_data_store() -> None:
    context = ctx(
        permanent=("vol",),
        isBlockPVC={"vol": True},
        applyCBT={"vol": "/cbt/vol.qcow2"},
        blockIO={"vol": {"logical": 512, "physical": 512, "discardGranularity": 512}},
    )
    assert blockio_of(match_volume_vmi(), context) == (
        '<blockio logical_block_size="512" physical_block_size="512" discard_granularity="512"/>'
    )


def test_enabled_defaults_to_true() -> None:
    assert blockio_of(match_volume_vmi(None), block_ctx(logical=512, physical=512)) is not None


def test_disabled_match_volume_has_no_blockio() -> None:
    assert blockio_of(match_volume_vmi(False), ctx(permanent=("vol",))) is None


def test_missing_probe_result_is_an_error() -> None:
    with pytest.raises(ConversionError) as err:
        configure(match_volume_vmi(), ctx(permanent=("vol",)))
    assert err.value.field == 'context.blockIO["vol"]'
    assert err.value.message.startswith("failed to configure disk with block size detection enabled: ")


def test_file_probe_without_fs_block_size_is_an_error() -> None:
    with pytest.raises(ConversionError) as err:
        configure(match_volume_vmi(), ctx(permanent=("vol",), blockIO={"vol": {"logical": 512}}))
    assert err.value.message == (
        "failed to configure disk with block size detection enabled: probe result has no fsBlockSize"
    )


# KubeVirt: getOptimalBlockIO "disk is neither a block device nor a file" (an empty CD-ROM)
def test_empty_cdrom_cannot_match_volume() -> None:
    spec = vmi((disk("cd", "sata", kind="cdrom", blockSize={"matchVolume": {"enabled": True}}), None))
    with pytest.raises(ConversionError) as err:
        configure(spec, ctx())
    assert err.value.field == "spec.domain.devices.disks[0].blockSize.matchVolume"
    assert err.value.message == (
        "failed to configure disk with block size detection enabled: disk is neither a block device nor a file"
    )


@pytest.mark.parametrize(
    ("custom", "expected"),
    [
        ({"logical": 512, "physical": 4096}, '<blockio logical_block_size="512" physical_block_size="4096"/>'),
        ({"physical": 4096}, '<blockio physical_block_size="4096"/>'),
        (
            {"logical": 512, "physical": 512, "discardGranularity": 0},
            '<blockio logical_block_size="512" physical_block_size="512" discard_granularity="0"/>',
        ),
    ],
)
def test_custom_sizes(custom: dict, expected: str) -> None:
    spec = vmi(pvc("vol", blockSize={"custom": custom}))
    assert blockio_of(spec, ctx(permanent=("vol",))) == expected


def test_custom_wins_over_match_volume() -> None:
    spec = vmi(pvc("vol", blockSize={"custom": {"logical": 512, "physical": 512}, "matchVolume": {}}))
    assert blockio_of(spec, ctx(permanent=("vol",))) == '<blockio logical_block_size="512" physical_block_size="512"/>'
