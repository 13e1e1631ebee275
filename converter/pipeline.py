"""The conversion pipeline: VMI defaults, the ordered configurators, domain defaults.

This is the only place that knows the order. Later steps may overwrite or
read what earlier ones wrote, exactly as KubeVirt's DomainBuilder runs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mypy_extensions import mypyc_attr

from vmi_converter.converter.admission.defaults import apply_vmi_defaults, defaulting_copy, set_object_defaults
from vmi_converter.converter.admission.validate import validate_counts, validate_vmi
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context, context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.compute import (
    balloon,
    channels,
    clock,
    console,
    controllers,
    cpu,
    features,
    firmware,
    graphics,
    hypervisor,
    inputs,
    iommufd,
    iothreads,
    launch_security,
    memory,
    memory_backing,
    metadata,
    panic,
    qemu_cmd,
    reboot_policy,
    rng,
    sound,
    sysinfo,
    tpm,
    usb_redir,
    vsock,
    watchdog,
)
from vmi_converter.converter.domain import defaults as domain_defaults
from vmi_converter.converter.domain.model import CPU, OS, Devices, Domain, KubeVirtMetadata, Metadata
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.hostdev import host_devices
from vmi_converter.converter.network import interfaces
from vmi_converter.converter.placement import pci as pci_placement
from vmi_converter.converter.placement import vcpu
from vmi_converter.converter.storage import disks, host_io, virtiofs

# One protocol for every stage: it reads the VMI and the context, edits the domain, and tells later
# stages (and the caller's warnings) what it decided through the build state.
Stage = Callable[[JSON, Domain, Context, BuildState], None]

STEPS: tuple[tuple[str, Stage], ...] = (
    ("metadata", metadata.configure),
    ("network.interfaces", interfaces.configure),
    ("compute.tpm", tpm.configure),
    ("compute.vsock", vsock.configure),
    ("compute.launch_security", launch_security.configure),
    ("compute.channels", channels.configure),
    ("compute.clock", clock.configure),
    ("compute.rng", rng.configure),
    ("compute.inputs", inputs.configure),
    ("compute.balloon", balloon.configure),
    ("compute.graphics", graphics.configure),
    ("compute.sound", sound.configure),
    ("compute.host_devices", host_devices.configure),
    ("compute.watchdog", watchdog.configure),
    ("compute.console", console.configure),
    ("compute.panic", panic.configure),
    ("compute.features", features.configure),
    ("compute.sysinfo", sysinfo.configure),
    ("compute.firmware", firmware.configure),
    ("storage.virtiofs", virtiofs.configure),
    ("storage.disks", disks.configure),
    ("compute.usb_redir", usb_redir.configure),
    ("compute.controllers", controllers.configure),
    ("compute.qemu_cmd", qemu_cmd.configure),
    ("compute.cpu", cpu.configure),
    ("compute.iothreads", iothreads.configure),
    ("compute.memory", memory.configure),
    ("compute.memory_backing", memory_backing.configure),
    ("compute.reboot_policy", reboot_policy.configure),
    ("compute.iommufd", iommufd.configure),
    ("hypervisor", hypervisor.configure),
    # KubeVirt's steps after its domain builder, the launcher's host cache/IO rules, the domain defaults.
    ("vcpu", vcpu.configure),
    ("pci_placement", pci_placement.configure),
    ("storage.host_io", host_io.configure),
    ("domain.defaults", domain_defaults.configure),
)


# A Python class even when compiled: the tests check every domain libvirt-side by wrapping `xml`.
@mypyc_attr(native_class=False)
@dataclass(slots=True)
class Conversion:
    domain: Domain
    warnings: list[str] = field(default_factory=list)

    @property
    def xml(self) -> str:
        return to_xml(self.domain)


def new_domain() -> Domain:
    """The empty domain KubeVirt starts from (its non-pointer members exist)."""
    return Domain(
        os=OS(),
        devices=Devices(),
        metadata=Metadata(kubevirt=KubeVirtMetadata(uid="")),
        cpu=CPU(),
    )


Observer = Callable[[str, Domain], None]


def convert(vmi: JSON, context: JSON | Context | None = None, *, admission_defaults: bool = True) -> Conversion:
    """Convert a VMI (Kubernetes JSON) with its context into a libvirt domain.

    The caller's VMI is not modified. Raises ConversionError for a VMI or
    context that cannot be converted. `admission_defaults=False` applies only
    KubeVirt's generated API defaulters, as KubeVirt's converter tests do
    (tests/raw_convert.py); the service always applies the admission defaults.
    """
    ctx = context if isinstance(context, Context) else context_from_dict(context)
    return build(prepare(vmi, ctx, admission_defaults), ctx)


def prepare(vmi: JSON, ctx: Context, admission_defaults: bool = True) -> JSON:
    """A defaulted copy of the VMI: what KubeVirt's admission would have stored."""
    validate_vmi(vmi)
    vmi = defaulting_copy(vmi)
    if admission_defaults:
        apply_vmi_defaults(vmi, ctx.arch.name)
    else:
        set_object_defaults(vmi)
    validate_counts(vmi)
    return vmi


def build(vmi: JSON, ctx: Context, observe: Observer | None = None) -> Conversion:
    """Run every stage in order; `observe(rule, domain)` is called after each (Explain uses it)."""
    domain = new_domain()
    state = BuildState()
    if observe:
        observe("domain", domain)
    for rule, stage in STEPS:
        try:
            stage(vmi, domain, ctx, state)
        except ConversionError as err:
            err.rule = err.rule or rule
            raise
        if observe:
            observe(rule, domain)
    return Conversion(domain, state.warnings)
