"""How many IOThreads a VMI gets and how many of them form the shared pool."""

from __future__ import annotations

from vmi_converter.converter import quantity
from vmi_converter.converter.vmi import JSON, domain_spec, items, obj

SHARED, AUTO, SUPPLEMENTAL_POOL = "shared", "auto", "supplementalPool"
_IO_THREADS_PER_CPU = 2


def has_dedicated_io_thread(disk: JSON) -> bool:
    return disk.get("dedicatedIOThread") is True


def has_io_threads(vmi: JSON) -> bool:
    dom = domain_spec(vmi)
    if dom.get("ioThreadsPolicy") is not None:
        return True
    return any(has_dedicated_io_thread(d) for d in items(obj(dom.get("devices")).get("disks")))


def supplemental_pool_thread_count(vmi: JSON) -> int:
    """Threads of the supplemental pool, 0 unless that policy is selected."""
    dom = domain_spec(vmi)
    if dom.get("ioThreadsPolicy") != SUPPLEMENTAL_POOL:
        return 0
    return int(obj(dom.get("ioThreads")).get("supplementalPoolThreadCount") or 0)


def count_and_auto(vmi: JSON) -> tuple[int, int]:
    """(total IOThreads, threads in the shared auto pool); (0, 0) without IOThreads."""
    if not has_io_threads(vmi):
        return 0, 0
    dom = domain_spec(vmi)
    if dom.get("ioThreadsPolicy") == SUPPLEMENTAL_POOL:
        count = obj(dom.get("ioThreads")).get("supplementalPoolThreadCount")
        if count is not None:
            return int(count), 0
    dedicated = auto = 0
    for disk in items(obj(dom.get("devices")).get("disks")):
        if has_dedicated_io_thread(disk):
            dedicated += 1
        else:
            auto += 1
    limit = _pool_limit(vmi)
    if auto + dedicated > limit:
        # At least one shared thread is always kept.
        auto = max(limit - dedicated, 1)
    return auto + dedicated, auto


def _pool_limit(vmi: JSON) -> int:
    dom = domain_spec(vmi)
    policy = dom.get("ioThreadsPolicy")
    if policy is None or policy == SHARED:
        return 1
    if policy != AUTO:
        return 0
    cpu = obj(dom.get("cpu"))
    if cpu.get("dedicatedCpuPlacement") is True and cpu.get("isolateEmulatorThread") is True:
        # The IOThread can share the emulator thread's dedicated pCPU.
        return 1
    resources = obj(dom.get("resources"))
    requested = obj(resources.get("requests")).get("cpu")
    if requested is None:
        requested = obj(resources.get("limits")).get("cpu")
    cpus = quantity.value(requested) if requested is not None else 1
    return cpus * _IO_THREADS_PER_CPU
