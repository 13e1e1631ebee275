"""`<blockio>`: custom block sizes, or the sizes of the backing volume (matchVolume).

KubeVirt probes the backing store itself (ioctl BLKSSZGET/BLKPBSZGET and
sysfs discard_granularity for a device, statfs for a file). Here the probe
results arrive in `ctx.block_io[volume]`:

- block-device backend: `{"logical": N, "physical": N, "discardGranularity": N}`
  (a missing discardGranularity counts as 0, as when sysfs has no such file);
- file backend: `{"fsBlockSize": N}` (statfs f_bsize).

The fix-ups KubeVirt applies to raw device answers are applied here.
"""

from __future__ import annotations

from typing import Any

from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.domain.model import BlockIO, Disk
from vmi_converter.converter.storage.disk_source import resolve

MAX_CUSTOM_BLOCK_SIZE_S390X = 4096
_DETECTION_FAILED = "failed to configure disk with block size detection enabled: "


def block_io(spec_disk: JSON, disk: Disk, ctx: Context, disk_field: str) -> BlockIO | None:
    block_size = spec_disk.get("blockSize")
    if not isinstance(block_size, dict):
        return None
    custom = block_size.get("custom")
    if isinstance(custom, dict):
        return _custom(custom, ctx, f"{disk_field}.blockSize.custom")
    match = block_size.get("matchVolume")
    if isinstance(match, dict) and match.get("enabled") is not False:
        return _match_volume(str(spec_disk.get("name") or ""), disk, ctx, f"{disk_field}.blockSize.matchVolume")
    return None


def _custom(custom: JSON, ctx: Context, field: str) -> BlockIO:
    logical = _uint(custom.get("logical"), f"{field}.logical")
    physical = _uint(custom.get("physical"), f"{field}.physical")
    limit = MAX_CUSTOM_BLOCK_SIZE_S390X
    if ctx.arch.name == "s390x" and (logical > limit or physical > limit):
        raise ConversionError(
            field,
            f"custom block size (logical={logical}, physical={physical}) exceeds the maximum "
            f"supported size of {limit} for architecture {ctx.arch.name}",
        )
    granularity = custom.get("discardGranularity")
    return BlockIO(
        logical_block_size=logical or None,
        physical_block_size=physical or None,
        discard_granularity=None if granularity is None else _uint(granularity, f"{field}.discardGranularity"),
    )


def _match_volume(volume: str, disk: Disk, ctx: Context, field: str) -> BlockIO:
    backend = resolve(disk)
    if not backend.backend_path:
        raise ConversionError(field, _DETECTION_FAILED + "disk is neither a block device nor a file")
    probe = ctx.block_io.get(volume)
    fact_field = f'context.blockIO["{volume}"]'
    if not isinstance(probe, dict):
        raise ConversionError(fact_field, _DETECTION_FAILED + f"no block size probe result for volume {volume}")
    if backend.backend_is_block:
        return _for_device(probe, backend.backend_path, fact_field)
    size = _probe_uint(probe, "fsBlockSize", fact_field)
    return BlockIO(logical_block_size=size, physical_block_size=size, discard_granularity=size)


def _for_device(probe: JSON, path: str, field: str) -> BlockIO:
    logical = _probe_uint(probe, "logical", field)
    physical = _probe_uint(probe, "physical", field)
    granularity = _uint(probe.get("discardGranularity"), f"{field}.discardGranularity")
    if logical == 0 and physical == 0:
        raise ConversionError(field, _DETECTION_FAILED + f"block sizes returned by device {path} are 0")
    fixed_logical, fixed_physical = logical, physical
    if logical == 0 or physical == 0:
        # A device that reports only one size gets it for both.
        if logical > physical:
            fixed_physical = logical
        else:
            fixed_logical = physical
    if granularity % fixed_logical != 0:
        # KubeVirt falls back to the physical size as the device reported it.
        granularity = physical
    return BlockIO(
        logical_block_size=fixed_logical or None,
        physical_block_size=fixed_physical or None,
        discard_granularity=granularity,
    )


def _probe_uint(probe: JSON, key: str, field: str) -> int:
    if key not in probe:
        raise ConversionError(field, _DETECTION_FAILED + f"probe result has no {key}")
    return _uint(probe[key], f"{field}.{key}")


def _uint(value: Any, field: str = "") -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConversionError(field, f"expected a non-negative integer, got {value!r}")
    return value
