"""Domain type: KVM (or MSHV for "hyperv-direct"), software emulation, cross-arch TCG.

The host facts KubeVirt probes arrive in the context: whether /dev/kvm (or
/dev/mshv) exists (`hypervisorDeviceAvailable`), the launcher's architecture
(`hostArchitecture`) and, for cross-arch guests, which QEMU binaries are
installed (`availableEmulators`; when it is not given the binary is assumed
present).
"""

from __future__ import annotations

from vmi_converter.converter.common.arch import emulator_for
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.devices import devices_of
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, spec
from vmi_converter.converter.domain.model import Domain

HYPERV_DIRECT = "hyperv-direct"


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    if ctx.hypervisor_name == HYPERV_DIRECT:
        configure_mshv(domain, ctx)
    else:
        # KubeVirt only considers cross-arch guests when the launcher allowed them.
        host = ctx.host_architecture if ctx.allow_cross_arch_emulation else ""
        configure_kvm(vmi, domain, ctx, host_architecture=host)


def configure_kvm(vmi: JSON, domain: Domain, ctx: Context, host_architecture: str) -> None:
    guest = str(spec(vmi).get("architecture") or "")
    if host_architecture and guest and guest != host_architecture:
        _configure_cross_arch(guest, domain, ctx)
        return
    if not ctx.hypervisor_device_available:
        if not ctx.allow_emulation:
            raise ConversionError("context.hypervisorDeviceAvailable", "kvm not present and emulation is not allowed")
        domain.type = "qemu"


def _configure_cross_arch(guest: str, domain: Domain, ctx: Context) -> None:
    if not ctx.allow_cross_arch_emulation:
        raise ConversionError("context.allowCrossArchEmulation",
                              "cross-architecture emulation requires the CrossArchitectureVirtualization feature gate")
    domain.type = "qemu"
    emulator = emulator_for(guest)
    if emulator is None:
        raise ConversionError("spec.architecture",
                              f"unsupported guest architecture for cross-architecture emulation: {guest}")
    if ctx.available_emulators is not None and emulator not in ctx.available_emulators:
        raise ConversionError("context.availableEmulators", f"required emulator binary not found: {emulator}")
    devices_of(domain).emulator = emulator


def configure_mshv(domain: Domain, ctx: Context) -> None:
    if ctx.hypervisor_device_available:
        domain.type = "hyperv"
    elif ctx.allow_emulation:
        domain.type = "qemu"
    else:
        raise ConversionError("context.hypervisorDeviceAvailable", "MSHV not present")
