"""`<qemu:commandline>`: Ignition config via fw_cfg, SeaBIOS debug console for verbose launchers."""

from __future__ import annotations

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.vmi import JSON, name, namespace, vmi_annotations
from vmi_converter.converter.domain.model import Arg, Commandline, Domain

IGNITION_ANNOTATION = "kubevirt.io/ignitiondata"
IGNITION_FILE = "data.ign"
SEABIOS_DEBUG_PIPE = "/var/run/kubevirt-private/QEMUSeaBiosDebugPipe"
VERBOSE_LOG_THRESHOLD = 5


def configure(vmi: JSON, domain: Domain, ctx: Context, state: BuildState) -> None:
    ignition = vmi_annotations(vmi).get(IGNITION_ANNOTATION) or ""
    if "ignition" in ignition:
        path = f"{ctx.paths.ignition_dir}/{namespace(vmi)}/{name(vmi)}/{IGNITION_FILE}"
        _args(domain).extend([Arg(value="-fw_cfg"), Arg(value=f"name=opt/com.coreos/config,file={path}")])
    if ctx.arch.verbose_firmware_logs and ctx.launcher_log_verbosity > VERBOSE_LOG_THRESHOLD:
        # isa-debugcon exists on x86 only.
        _args(domain).extend([
            Arg(value="-chardev"),
            Arg(value=f"file,id=firmwarelog,path={SEABIOS_DEBUG_PIPE}"),
            Arg(value="-device"),
            Arg(value="isa-debugcon,iobase=0x402,chardev=firmwarelog"),
        ])


def _args(domain: Domain) -> list[Arg]:
    domain.qemu_commandline = domain.qemu_commandline or Commandline()
    return domain.qemu_commandline.qemu_arg
