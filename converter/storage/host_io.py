"""Cache and IO modes that depend on the node (KubeVirt's SetDriverCacheMode + SetOptimalIOMode).

The launcher applies these to every disk after the conversion, probing the
backend with an O_DIRECT open and `qemu-img info`. Here the probe results
arrive as `ctx.disk_facts[volume]`:

- `direct_io_supported`: O_DIRECT works on the backend and, if any, on the
  backing file (a failed probe counts as False, as in KubeVirt);
- `preallocated`: the backend image's virtual size <= its actual size.

A disk without facts is left exactly as the converter produced it.
"""

from __future__ import annotations

from collections.abc import Iterable

from vmi_converter.converter.common.build import BuildState, DiskDecision
from vmi_converter.converter.common.context import Context, DiskFacts
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.domain.model import Disk, DiskDriver, Domain
from vmi_converter.converter.storage.disk_source import resolve

CACHE_NONE, CACHE_WRITETHROUGH, IO_NATIVE = "none", "writethrough", "native"


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    apply_host_io(state.disks, ctx)


def apply_host_io(disks: Iterable[DiskDecision], ctx: Context) -> None:
    """Settle cache and IO modes of the disks storage.disks emitted, from their volumes' host facts."""
    for decided in disks:
        facts = ctx.disk_facts.get(decided.volume)
        if facts is not None:
            apply_facts(decided.disk, facts, f"{decided.field}.cache")


def apply_facts(disk: Disk, facts: DiskFacts, field: str) -> None:
    if facts.direct_io_supported is not None:
        set_driver_cache_mode(disk, facts.direct_io_supported, field)
    set_optimal_io_mode(disk, facts.preallocated is True)


def set_driver_cache_mode(disk: Disk, direct_io_supported: bool, field: str) -> None:
    """Unset cache: none if O_DIRECT works, else writethrough; cache none without O_DIRECT fails."""
    backend = resolve(disk)
    if not backend.backend_path:
        if disk.device == "cdrom":
            return
        raise ConversionError(field, "unable to set a driver cache mode, disk has no backend path")
    driver = _driver(disk)
    mode = str(driver.cache or "")
    supported = direct_io_supported if mode in ("", CACHE_NONE) else True
    if mode == CACHE_NONE and not supported:
        raise ConversionError(
            field,
            f"Unable to use '{mode}' cache mode, file system where {backend.backend_path} "
            "is stored does not support direct I/O",
        )
    if not mode:
        mode = CACHE_NONE if supported else CACHE_WRITETHROUGH
    driver.cache = mode


def set_optimal_io_mode(disk: Disk, preallocated: bool) -> None:
    """io=native needs O_DIRECT (cache none) and pays off on devices and preallocated images."""
    driver = _driver(disk)
    if driver.io:
        return
    backend = resolve(disk)
    if not backend.backend_path:
        return
    if driver.cache == CACHE_NONE and (backend.backend_is_block or preallocated):
        driver.io = IO_NATIVE


def _driver(disk: Disk) -> DiskDriver:
    if disk.driver is None:
        disk.driver = DiskDriver(name="qemu")
    return disk.driver
