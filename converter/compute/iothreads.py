"""IOThreads, KubeVirt's one home for them: how many the domain gets, which form the shared pool,
which threads the supplemental pool hands every disk, and the `<iothreads>` stage.
Disks are given their threads by storage.disks, which reads the counts from here."""

from __future__ import annotations

from vmi_converter.converter.common import quantity
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, domain_spec, items, obj
from vmi_converter.converter.domain.model import Domain, IOThreads

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


def supplemental_pool(vmi: JSON) -> list[int] | None:
    """The thread ids every virtio disk uses under the supplementalPool policy; None under other policies.

    KubeVirt dereferences a missing count and crashes; we refuse it, naming the field.
    """
    dom = domain_spec(vmi)
    if dom.get("ioThreadsPolicy") != SUPPLEMENTAL_POOL:
        return None
    count = obj(dom.get("ioThreads")).get("supplementalPoolThreadCount")
    if count is None:
        raise ConversionError(
            "spec.domain.ioThreads.supplementalPoolThreadCount",
            "ioThreadsPolicy supplementalPool requires ioThreads.supplementalPoolThreadCount",
        )
    return list(range(1, int(count) + 1))


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    supplemental_pool(vmi)
    total, _ = count_and_auto(vmi)
    if total:
        domain.iothreads = IOThreads(iothreads=total)
