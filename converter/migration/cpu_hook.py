"""Dedicated CPUs on the migration target (KubeVirt's CPUDedicatedHook).

The source's vCPU pins name the source node's pCPUs. The target launcher
re-runs the converter's dedicated-CPU placement (converter.vcpu) against the
target pod's cpuset and the target node's topology, then writes the result
back into the incoming XML: the CPU topology, `<vcpu>`, the pins of
`<cputune>`, `<numatune>` under NUMA passthrough, and the KVM hint-dedicated
and PMU features. Everything else in those elements is kept.
"""

from __future__ import annotations

from lxml import etree

from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.guest_resources import GuestTopology, cpu_topology
from vmi_converter.converter.common.vmi import JSON, domain_spec, obj
from vmi_converter.converter.domain.model import (
    CPU,
    VCPU,
    CPUTopology,
    CPUTune,
    Domain,
    Features,
    FeatureState,
    IOThreads,
    MemoryBacking,
    NUMATune,
    VCPUs,
)
from vmi_converter.converter.domain.xmlmodel import E, from_element
from vmi_converter.converter.migration.facts import TargetFacts
from vmi_converter.converter.migration.xml_edit import ensure_child, insert_ordered
from vmi_converter.converter.placement import vcpu

# libvirtxml's element order, used to place elements the hook has to create.
DOMAIN_ORDER = (
    "name", "uuid", "hwuuid", "genid", "title", "description", "metadata", "maxMemory", "memory", "currentMemory",
    "blkiotune", "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads", "iothreadids", "defaultiothread",
    "cputune", "numatune", "iommufd", "resource", "sysinfo", "bootloader", "bootloader_args", "os", "idmap",
    "throttlegroups", "features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "pm", "perf", "devices",
    "seclabel", "keywrap", "launchSecurity",
)
CPU_ORDER = ("model", "vendor", "topology", "cache", "maxphysaddr", "feature", "numa")
CPUTUNE_ORDER = (
    "shares", "period", "quota", "global_period", "global_quota", "emulator_period", "emulator_quota",
    "iothread_period", "iothread_quota", "vcpupin", "emulatorpin", "iothreadpin", "vcpusched", "emulatorsched",
    "iothreadsched", "cachetune", "memorytune",
)
NUMATUNE_ORDER = ("memory", "memnode")
FEATURES_ORDER = (
    "pae", "acpi", "apic", "hap", "viridian", "privnet", "hyperv", "kvm", "xen", "pvspinlock", "pmu", "vmport",
    "gic", "smm", "ioapic", "hpt", "htm", "nested-hv", "capabilities", "vmcoreinfo", "msrs", "ccf-assist", "cfpc",
    "sbbc", "ibs", "tcg", "async-teardown", "ras", "ps2", "aia", "virtualization",
)
KVM_ORDER = ("hidden", "hint-dedicated", "poll-control", "pv-ipi", "dirty-ring")
_PINS = ("vcpupin", "emulatorpin", "iothreadpin")


def cpu_dedicated_hook(root: etree._Element, vmi: JSON, facts: TargetFacts) -> None:
    """Re-pin the dedicated vCPUs, emulator and IOThreads on the target pod's CPUs."""
    if not vcpu.is_cpu_dedicated(vmi):
        return
    domain = _domain_for_target(root, vmi)
    ctx = Context(cpu_set=list(facts.cpu_set), topology=facts.topology)
    try:
        vcpu.adjust_for_topology(vmi, domain, ctx)
    except ConversionError as err:
        field = "target." + err.field.removeprefix("context.") if err.field.startswith("context.") else err.field
        raise ConversionError(field, f"failed to generate domain for target CPU set and topology: {err.message}") \
            from err
    _write_topology(root, domain)
    _write_vcpu(root, domain)
    _write_cputune(root, domain.cputune)
    if obj(obj(domain_spec(vmi).get("cpu")).get("numa")).get("guestMappingPassthrough") is not None:
        _write_numatune(root, domain.numatune)
    _write_features(root, domain.features)


def _parsed(cls: type[E], node: etree._Element | None) -> E | None:
    return None if node is None else from_element(cls, node)


def _domain_for_target(root: etree._Element, vmi: JSON) -> Domain:
    """The parts of the incoming domain the placement reads, with the VMI's full topology."""
    topology = cpu_topology(vmi)
    max_sockets = int(obj(domain_spec(vmi).get("cpu")).get("maxSockets") or 0)
    if max_sockets:
        topology = GuestTopology(sockets=max_sockets, cores=topology.cores, threads=topology.threads)
    cpu = _parsed(CPU, root.find("cpu")) or CPU()
    cpu.topology = CPUTopology(sockets=topology.sockets, cores=topology.cores, threads=topology.threads)
    return Domain(
        cpu=cpu,
        vcpu=VCPU(placement="static", cpus=topology.vcpus),
        vcpus=_parsed(VCPUs, root.find("vcpus")),
        iothreads=_parsed(IOThreads, root.find("iothreads")),
        features=_parsed(Features, root.find("features")),
        memory_backing=_parsed(MemoryBacking, root.find("memoryBacking")),
        numatune=_parsed(NUMATune, root.find("numatune")),
    )


def _write_topology(root: etree._Element, domain: Domain) -> None:
    assert domain.cpu is not None and domain.cpu.topology is not None
    topology = ensure_child(ensure_child(root, "cpu", DOMAIN_ORDER), "topology", CPU_ORDER)
    for key in ("sockets", "cores", "threads"):
        topology.set(key, str(getattr(domain.cpu.topology, key)))


def _write_vcpu(root: etree._Element, domain: Domain) -> None:
    assert domain.vcpu is not None
    element = ensure_child(root, "vcpu", DOMAIN_ORDER)
    element.set("placement", str(domain.vcpu.placement))
    element.text = str(domain.vcpu.cpus)


def _write_cputune(root: etree._Element, cputune: CPUTune | None) -> None:
    assert cputune is not None, "the placement always pins the vCPUs"
    element = ensure_child(root, "cputune", DOMAIN_ORDER)
    for old in [kid for kid in element if kid.tag in _PINS]:
        element.remove(old)
    for pin in cputune.vcpupins:
        insert_ordered(element, "vcpupin", CPUTUNE_ORDER, {"vcpu": str(pin.vcpu), "cpuset": str(pin.cpuset)})
    if cputune.emulatorpin is not None:
        insert_ordered(element, "emulatorpin", CPUTUNE_ORDER, {"cpuset": str(cputune.emulatorpin.cpuset)})
    for thread in cputune.iothreadpins:
        insert_ordered(element, "iothreadpin", CPUTUNE_ORDER,
                       {"iothread": str(thread.iothread), "cpuset": str(thread.cpuset)})


def _write_numatune(root: etree._Element, numatune: NUMATune | None) -> None:
    if numatune is None:
        return
    element = ensure_child(root, "numatune", DOMAIN_ORDER)
    for old in [kid for kid in element if kid.tag in NUMATUNE_ORDER]:
        element.remove(old)
    if numatune.memory is not None:
        insert_ordered(element, "memory", NUMATUNE_ORDER,
                       {"mode": str(numatune.memory.mode), "nodeset": str(numatune.memory.nodeset)})
    for node in numatune.memnodes:
        insert_ordered(element, "memnode", NUMATUNE_ORDER,
                       {"cellid": str(node.cellid), "mode": str(node.mode), "nodeset": str(node.nodeset)})


def _write_features(root: etree._Element, features: Features | None) -> None:
    """The two features the placement sets: kvm hint-dedicated (amd64) and pmu off (realtime)."""
    if features is None:
        return
    hint = features.kvm.hint_dedicated if features.kvm is not None else None
    if hint is not None:
        kvm = ensure_child(ensure_child(root, "features", DOMAIN_ORDER), "kvm", FEATURES_ORDER)
        _set_state(ensure_child(kvm, "hint-dedicated", KVM_ORDER), hint)
    if features.pmu is not None:
        _set_state(ensure_child(ensure_child(root, "features", DOMAIN_ORDER), "pmu", FEATURES_ORDER), features.pmu)


def _set_state(element: etree._Element, state: FeatureState) -> None:
    if state.state is not None:
        element.set("state", str(state.state))
