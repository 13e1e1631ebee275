"""`<cpu>`, `<vcpu>` and `<vcpus>`: topology, CPU hotplug, model, features, memfd NUMA cell."""

from __future__ import annotations

from vmi_converter.converter.common import quantity
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.guest_resources import GuestTopology, cpu_topology, virtual_memory
from vmi_converter.converter.common.vmi import JSON, devices, domain_spec, items, obj, vmi_annotations
from vmi_converter.converter.domain.model import (
    CPU,
    NUMA,
    VCPU,
    CPUFeature,
    CPUTopology,
    Domain,
    NUMACell,
    VCPUs,
    VCPUsVCPU,
)

HOST_MODEL, HOST_PASSTHROUGH = "host-model", "host-passthrough"
MEMFD_ANNOTATION = "kubevirt.io/memfd"


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    cpu = domain.cpu = domain.cpu or CPU()
    _configure_topology(vmi, domain, cpu, hotplug=ctx.arch.cpu_hotplug)
    _configure_model(vmi, cpu, cross_arch=ctx.allow_cross_arch_emulation)
    _configure_features(vmi, cpu, mpx_validation=ctx.arch.mpx_validation)
    if ctx.arch.memfd:
        _configure_memfd_numa(vmi, domain, cpu)


def _configure_topology(vmi: JSON, domain: Domain, cpu: CPU, hotplug: bool) -> None:
    topology = cpu_topology(vmi)
    max_sockets = int(obj(domain_spec(vmi).get("cpu")).get("maxSockets") or 0)
    if max_sockets and hotplug:
        enabled = topology.vcpus
        always_on = topology.cores * topology.threads
        topology = GuestTopology(sockets=max_sockets, cores=topology.cores, threads=topology.threads)
        # Sockets beyond the requested ones exist but stay disabled until hotplugged.
        domain.vcpus = VCPUs(vcpu=[
            VCPUsVCPU(id=index, enabled="yes" if index < enabled else "no",
                      hotpluggable="yes" if index >= always_on else "no")
            for index in range(topology.vcpus)
        ])
    cpu.topology = CPUTopology(sockets=topology.sockets or None, cores=topology.cores or None,
                               threads=topology.threads or None)
    domain.vcpu = VCPU(placement="static", cpus=topology.vcpus)


def _configure_model(vmi: JSON, cpu: CPU, cross_arch: bool) -> None:
    model = obj(domain_spec(vmi).get("cpu")).get("model") or ""
    host_mode = model in (HOST_MODEL, HOST_PASSTHROUGH)
    if cross_arch and (host_mode or not model):
        # TCG cannot mirror a foreign host CPU: "max" exposes everything QEMU emulates.
        cpu.mode, cpu.model = "custom", "max"
    elif host_mode:
        cpu.mode = model
    elif model:
        cpu.mode, cpu.model = "custom", model
    else:
        cpu.mode = HOST_MODEL


def _configure_features(vmi: JSON, cpu: CPU, mpx_validation: bool) -> None:
    spec_cpu = domain_spec(vmi).get("cpu")
    if not isinstance(spec_cpu, dict):
        return
    requested = [obj(feature) for feature in items(spec_cpu.get("features"))]
    # A feature without policy is required (KubeVirt's API default, and what libvirt assumes);
    # newer libvirt schemas refuse a <feature> without policy, which KubeVirt emits.
    cpu.features.extend(CPUFeature(name=f.get("name"), policy=f.get("policy") or "require") for f in requested)
    model = spec_cpu.get("model") or ""
    # libvirt refuses named models whose cpu_map lists the deprecated mpx feature
    # unless it is disabled (libvirt issue 304).
    if mpx_validation and model not in (HOST_MODEL, HOST_PASSTHROUGH) and \
            not any(f.get("name") == "mpx" for f in requested):
        cpu.features.append(CPUFeature(name="mpx", policy="disable"))


def _configure_memfd_numa(vmi: JSON, domain: Domain, cpu: CPU) -> None:
    """memfd-backed guest memory needs a NUMA cell: add one spanning every vCPU unless NUMA is set."""
    if not memfd_required(vmi) or obj(domain_spec(vmi).get("cpu")).get("numa") is not None:
        return
    amount, field = virtual_memory(vmi)
    kib = _whole_kib(amount, field)
    vcpus = int(str(domain.vcpu.cpus)) if domain.vcpu is not None else 1
    cpu.numa = NUMA(cells=[NUMACell(id="0", cpus=f"0-{vcpus - 1}", memory=kib, unit="KiB")])


def _whole_kib(amount: object, field: str) -> int:
    """Value() in KiB, divided as Go does (towards zero)."""
    try:
        value = quantity.value(amount)
    except quantity.QuantityError as err:
        raise ConversionError(field, str(err)) from err
    return value // 1024 if value >= 0 else -(-value // 1024)


def has_hugepages(vmi: JSON) -> bool:
    return obj(domain_spec(vmi).get("memory")).get("hugepages") is not None


def needs_shared_memory(vmi: JSON) -> bool:
    """virtiofs and passt map guest memory from another process."""
    dev = devices(vmi)
    return any(obj(fs).get("virtiofs") is not None for fs in items(dev.get("filesystems"))) or \
        any(obj(iface).get("passtBinding") is not None for iface in items(dev.get("interfaces")))


def memfd_required(vmi: JSON) -> bool:
    if has_hugepages(vmi) and vmi_annotations(vmi).get(MEMFD_ANNOTATION) != "false":
        return True
    return needs_shared_memory(vmi)
