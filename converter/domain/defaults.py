"""What KubeVirt's domain defaulter sets after conversion (api/defaults.go)."""

from __future__ import annotations

from vmi_converter.converter.common.arch import Arch
from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.domain.model import OS, QEMU_NS, Domain, OSType


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    apply_domain_defaults(domain, ctx.arch)


def apply_domain_defaults(domain: Domain, arch: Arch) -> None:
    if not domain.type:
        domain.type = "kvm"
    domain.xmlns_qemu = QEMU_NS
    if domain.os is None:
        domain.os = OS()
    if domain.os.type is None:
        domain.os.type = OSType()
    os_type = domain.os.type
    os_type.os = "hvm"
    if not os_type.arch:
        os_type.arch = arch.libvirt_arch
    if not os_type.machine:
        os_type.machine = arch.machine
