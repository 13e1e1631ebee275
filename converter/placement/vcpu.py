"""Dedicated CPUs: vCPU, emulator and IOThread pinning, NUMA passthrough (KubeVirt's converter/vcpu).

Runs after the configurator steps, only for `spec.domain.cpu.dedicatedCpuPlacement`,
from the pod's exclusive cpuset (`context.cpuSet`) and the node topology
(`context.topology`). The guest topology and memory helpers other areas
need live in converter.guest_resources and are re-exported here.
"""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.guest_resources import (
    GuestTopology,
    cpu_topology,
    quantity_to_bytes,
    quantity_to_mebibytes,
    requested_vcpus,
    spec_vcpus,
    virtual_memory,
)
from vmi_converter.converter.common.vmi import JSON, domain_spec, obj, spec, vmi_annotations
from vmi_converter.converter.compute import iothreads
from vmi_converter.converter.domain.model import (
    CPUEmulatorPin,
    CPUTune,
    CPUTuneIOThreadPin,
    Domain,
    FeatureKVM,
    Features,
    FeatureState,
)
from vmi_converter.converter.placement.cpu_pool import CPUPool, HostCell, node_cells, relaxed_pool, strict_pool
from vmi_converter.converter.placement.numa_passthrough import map_numa

__all__ = [
    "GuestTopology",
    "configure",
    "cpu_topology",
    "format_emulator_thread_pin",
    "format_io_thread_pins",
    "is_cpu_dedicated",
    "quantity_to_bytes",
    "quantity_to_mebibytes",
    "requested_vcpus",
    "virtual_memory",
]

EMULATOR_THREAD_COMPLETE_TO_EVEN_PARITY = "alpha.kubevirt.io/EmulatorThreadCompleteToEvenParity"


def is_cpu_dedicated(vmi: JSON) -> bool:
    return obj(domain_spec(vmi).get("cpu")).get("dedicatedCpuPlacement") is True


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    """The dedicated-CPU stage: runs only for VMIs with dedicatedCpuPlacement, as in KubeVirt."""
    if is_cpu_dedicated(vmi):
        adjust_for_topology(vmi, domain, ctx)


def adjust_for_topology(vmi: JSON, domain: Domain, ctx: Context) -> None:
    """KubeVirt's AdjustDomainForTopologyAndCPUSet; the caller checks dedicatedCpuPlacement."""
    if ctx.topology is None:
        raise ConversionError("context.topology", "dedicated CPU placement requires the node topology")
    cpu = obj(domain_spec(vmi).get("cpu"))
    cells = node_cells(ctx.topology)
    pool = _pool(cpu, _requested_topology(vmi, domain), cells, ctx.cpu_set)
    domain.cputune = pool.fit_cores()
    if spec(vmi).get("architecture") == "amd64":
        features = _features(domain)
        features.kvm = features.kvm or FeatureKVM()
        features.kvm.hint_dedicated = FeatureState(state="on")
    supplemental = _pin_supplemental_pool(vmi, domain, pool)
    emulator_cpuset = ""
    if cpu.get("isolateEmulatorThread") is True:
        pinned = spec_vcpus(cpu) + supplemental
        emulator_cpuset = format_emulator_thread_pin(pool, vmi_annotations(vmi), pinned)
        domain.cputune.emulatorpin = CPUEmulatorPin(cpuset=emulator_cpuset)
    if iothreads.has_io_threads(vmi) and iothreads.supplemental_pool_thread_count(vmi) == 0:
        # Shared IOThreads may sit on the emulator's pCPU, so they are pinned after it.
        format_io_thread_pins(vmi, domain, emulator_cpuset, ctx.cpu_set)
    if cpu.get("realtime") is not None:
        _features(domain).pmu = FeatureState(state="off")
    if obj(cpu.get("numa")).get("guestMappingPassthrough") is not None:
        map_numa(vmi, domain, cells)


def _pool(cpu: JSON, requested: GuestTopology, cells: list[HostCell], cpu_set: list[int]) -> CPUPool:
    if requested.cores * requested.sockets < 1:
        raise ConversionError("spec.domain.cpu", "dedicated CPU placement needs at least one vCPU")
    numa_passthrough = obj(cpu.get("numa")).get("guestMappingPassthrough") is not None
    return (strict_pool if numa_passthrough else relaxed_pool)(requested, cells, cpu_set)


def _requested_topology(vmi: JSON, domain: Domain) -> GuestTopology:
    """The domain topology, without the sockets that are only there for later CPU hotplug."""
    topology = domain.cpu.topology if domain.cpu is not None else None
    if topology is None:
        requested = cpu_topology(vmi)
    else:
        requested = GuestTopology(sockets=int(topology.sockets or 0), cores=int(topology.cores or 0),
                                  threads=int(topology.threads or 0))
    if obj(domain_spec(vmi).get("cpu")).get("maxSockets") and domain.vcpus is not None:
        disabled = sum(1 for vcpu in domain.vcpus.vcpu if vcpu.enabled != "yes")
        per_socket = requested.cores * requested.threads
        requested = GuestTopology(sockets=requested.sockets - disabled // per_socket,
                                  cores=requested.cores, threads=requested.threads)
    return requested


def _features(domain: Domain) -> Features:
    if domain.features is None:
        domain.features = Features()
    return domain.features


def _pin_supplemental_pool(vmi: JSON, domain: Domain, pool: CPUPool) -> int:
    """Pin the supplemental pool's IOThreads on extra pCPUs; first, as they change the emulator's parity."""
    count = iothreads.supplemental_pool_thread_count(vmi)
    if count == 0:
        return 0
    if domain.iothreads is None:
        raise ConversionError("spec.domain.ioThreads", "domain is missing IOThreads")
    for thread_id in range(1, count + 1):
        thread = pool.fit_thread()
        if thread is None:
            raise ConversionError("context.cpuSet",
                                  "no CPU allocated for the iothread: no remaining unassigned threads")
        _cputune_of(domain).iothreadpins.append(CPUTuneIOThreadPin(iothread=thread_id, cpuset=str(thread)))
    return count


def format_emulator_thread_pin(pool: CPUPool, annotations: dict[str, str], vcpus: int) -> str:
    """One pCPU for the emulator thread, two when the annotation asks to even out an even vCPU count."""
    first = pool.fit_thread()
    if first is None:
        raise ConversionError("context.cpuSet",
                              "no CPU allocated for the emulation thread: no remaining unassigned threads")
    threads = [first]
    if EMULATOR_THREAD_COMPLETE_TO_EVEN_PARITY in annotations and vcpus % 2 == 0:
        second = pool.fit_thread()
        if second is None:
            raise ConversionError("context.cpuSet",
                                  "no second CPU allocated for the emulation thread: no remaining unassigned threads")
        threads.append(second)
    return ",".join(str(thread) for thread in threads)


def format_io_thread_pins(vmi: JSON, domain: Domain, emulator_cpuset: str, cpu_set: list[int]) -> None:
    """Pin shared/auto/dedicated IOThreads: on the emulator pCPU, round robin, or in balanced slices."""
    if domain.iothreads is None:
        raise ConversionError("spec.domain.ioThreadsPolicy", "domain is missing IOThreads")
    if iothreads.supplemental_pool_thread_count(vmi) > 0:
        raise ConversionError("spec.domain.ioThreadsPolicy",
                              "domain has supplemental pool IOThreads and attempted to pin auto/shared IOThreads")
    cpu = obj(domain_spec(vmi).get("cpu"))
    count = int(str(domain.iothreads.iothreads))
    vcpus = spec_vcpus(cpu)
    pins = _cputune_of(domain).iothreadpins
    if is_cpu_dedicated(vmi) and cpu.get("isolateEmulatorThread") is True:
        pins.append(CPUTuneIOThreadPin(iothread=1, cpuset=emulator_cpuset))
        return
    if vcpus < 1 or len(cpu_set) < vcpus:
        raise ConversionError("spec.domain.cpu", f"cannot pin IOThreads: {vcpus} vCPUs on a cpuset of "
                              f"{len(cpu_set)} CPUs")
    if count >= vcpus:
        for thread in range(1, count + 1):
            pins.append(CPUTuneIOThreadPin(iothread=thread, cpuset=str(cpu_set[thread % vcpus])))
        return
    # e.g. 3 IOThreads on 8 vCPUs get 3, 3 and 2 consecutive CPUs.
    start = 0
    for thread in range(1, count + 1):
        size = vcpus // count + (1 if thread <= vcpus % count else 0)
        pins.append(CPUTuneIOThreadPin(iothread=thread, cpuset=",".join(str(c) for c in cpu_set[start:start + size])))
        start += size


def _cputune_of(domain: Domain) -> CPUTune:
    assert domain.cputune is not None, "vCPUs are pinned first"
    return domain.cputune
