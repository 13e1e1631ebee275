"""What the launcher would probe on its host for one volume before a disk hot-plug.

KubeVirt's launcher stats, opens and inspects the volume's file or device
itself (manager.go `syncDisks`, `isHotplugBlockDeviceVolume`, the O_DIRECT
checker, `qemu-img info`, the CBT overlay it creates). A stateless service
gets the answers instead, keyed by volume name; JSON keys are camelCase.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vmi_converter.converter.common.context import Context, DiskFacts
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, items, spec


@dataclass(frozen=True, slots=True)
class ProbeError:
    """The readiness check (KubeVirt's checkIfDiskReadyToUse) failed with an error."""

    message: str
    not_found: bool = False  # ENOENT: the backend is not there yet, which only means not ready

    @classmethod
    def from_dict(cls, data: Any, path: str) -> ProbeError | None:
        if data is None:
            return None
        if not isinstance(data, dict):
            raise ConversionError(path, "expected an object")
        message = data.get("message", "")
        if not isinstance(message, str):
            raise ConversionError(f"{path}.message", "expected a string")
        return cls(message=message, not_found=_optional_bool(data, "notFound", path) is True)


@dataclass(frozen=True, slots=True)
class VolumeFacts:
    # The backend is a device node (/var/run/kubevirt/hotplug-disks/<vol>, /dev/<vol> for a
    # permanent volume); None keeps the context's isBlockPVC/isBlockDV. Read for PVC,
    # ephemeral and DataVolume volumes only: KubeVirt never probes a hostDisk.
    is_block: bool | None = None
    # The backend exists and opens (read-write for a file, read-only for a device).
    # Unset means not probed, which is treated as not ready.
    ready: bool = False
    direct_io_supported: bool | None = None  # O_DIRECT works on the backend (and its backing file)
    preallocated: bool | None = None  # qemu-img virtual size <= actual size
    cbt_overlay_path: str = ""  # the qcow2 overlay ApplyChangedBlockTracking made for the volume
    probe_error: ProbeError | None = None  # the readiness check failed

    @classmethod
    def from_dict(cls, data: Any, path: str) -> VolumeFacts:
        if not isinstance(data, dict):
            raise ConversionError(path, "expected an object")
        overlay = data.get("cbtOverlayPath")
        if overlay is not None and not isinstance(overlay, str):
            raise ConversionError(f"{path}.cbtOverlayPath", "expected a string")
        return cls(
            is_block=_optional_bool(data, "isBlock", path),
            ready=_optional_bool(data, "ready", path) is True,
            direct_io_supported=_optional_bool(data, "directIOSupported", path),
            preallocated=_optional_bool(data, "preallocated", path),
            cbt_overlay_path=overlay or "",
            probe_error=ProbeError.from_dict(data.get("probeError"), f"{path}.probeError"),
        )


def volumes_from_dict(data: Any, path: str = "volumes") -> dict[str, VolumeFacts]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConversionError(path, "expected an object keyed by volume name")
    return {str(name): VolumeFacts.from_dict(facts, f'{path}["{name}"]') for name, facts in data.items()}


def _optional_bool(data: JSON, key: str, path: str) -> bool | None:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ConversionError(f"{path}.{key}", "expected a boolean")


def fold_into_context(ctx: Context, vmi: JSON, volumes: Mapping[str, VolumeFacts]) -> Context:
    """A copy of `ctx` carrying the facts where the storage configurator and host_io read them."""
    ctx = dataclasses.replace(
        ctx,
        is_block_pvc=dict(ctx.is_block_pvc),
        is_block_dv=dict(ctx.is_block_dv),
        apply_cbt=dict(ctx.apply_cbt),
        disk_facts=dict(ctx.disk_facts),
    )
    for volume in items(spec(vmi).get("volumes")):
        if not isinstance(volume, dict):
            continue
        name = str(volume.get("name") or "")
        facts = volumes.get(name)
        if facts is not None and facts.is_block is not None:
            _set_is_block(ctx, volume, name, facts.is_block)
    for name, facts in volumes.items():
        if facts.cbt_overlay_path:
            ctx.apply_cbt[name] = facts.cbt_overlay_path
        _merge_disk_facts(ctx, name, facts)
    return ctx


def _set_is_block(ctx: Context, volume: JSON, name: str, is_block: bool) -> None:
    # The same volume kinds KubeVirt's generateConverterContext probes.
    if isinstance(volume.get("persistentVolumeClaim"), dict) or isinstance(volume.get("ephemeral"), dict):
        ctx.is_block_pvc[name] = is_block
    elif isinstance(volume.get("dataVolume"), dict):
        ctx.is_block_dv[name] = is_block


def _merge_disk_facts(ctx: Context, name: str, facts: VolumeFacts) -> None:
    if facts.direct_io_supported is None and facts.preallocated is None:
        return
    known = ctx.disk_facts.get(name) or DiskFacts()
    ctx.disk_facts[name] = DiskFacts(
        direct_io_supported=(
            known.direct_io_supported if facts.direct_io_supported is None else facts.direct_io_supported
        ),
        preallocated=known.preallocated if facts.preallocated is None else facts.preallocated,
    )
