"""`<domain>` itself and its top-level parts without a family of their own."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, children, element, text_child
from vmi_converter.converter.domain.model.cpu import CPU, VCPU, CPUTune, IOThreads, VCPUs
from vmi_converter.converter.domain.model.devices import Devices
from vmi_converter.converter.domain.model.features import Features
from vmi_converter.converter.domain.model.firmware import OS, SysInfo
from vmi_converter.converter.domain.model.hostdev import IOMMUFD
from vmi_converter.converter.domain.model.memory import MaxMemory, Memory, MemoryBacking, NUMATune

QEMU_NS = "http://libvirt.org/schemas/domain/qemu/1.0"
KUBEVIRT_NS = "http://kubevirt.io"


@element("domain")
class Domain(Element):
    type: Value = attr()
    xmlns_qemu: Value = attr("xmlns:qemu")
    name: Value = text_child()
    uuid: Value = text_child()
    memory: Memory | None = child()
    current_memory: Memory | None = child("currentMemory")
    max_memory: MaxMemory | None = child("maxMemory")
    memory_backing: MemoryBacking | None = child("memoryBacking")
    os: OS | None = child()
    sysinfo: SysInfo | None = child()
    devices: Devices | None = child()
    clock: Clock | None = child()
    resource: Resource | None = child()
    qemu_commandline: Commandline | None = child("qemu:commandline")
    metadata: Metadata | None = child()
    features: Features | None = child()
    cpu: CPU | None = child()
    vcpu: VCPU | None = child()
    vcpus: VCPUs | None = child()
    cputune: CPUTune | None = child()
    numatune: NUMATune | None = child()
    iothreads: IOThreads | None = child()
    launch_security: LaunchSecurity | None = child("launchSecurity")
    on_reboot: Value = text_child()
    iommufd: IOMMUFD | None = child()


@element()
class Metadata(Element):
    kubevirt: KubeVirtMetadata | None = child()


@element("kubevirt", ns=KUBEVIRT_NS)
class KubeVirtMetadata(Element):
    uid: Value = text_child()


@element()
class Commandline(Element):
    qemu_env: list[Env] = children("qemu:env")
    qemu_arg: list[Arg] = children("qemu:arg")


@element()
class Env(Element):
    name: Value = attr()
    value: Value = attr()


@element()
class Arg(Element):
    value: Value = attr()


@element()
class Clock(Element):
    offset: Value = attr()
    timezone: Value = attr()
    adjustment: Value = attr()
    timers: list[Timer] = children("timer")


@element()
class Timer(Element):
    name: Value = attr()
    tick_policy: Value = attr("tickpolicy")
    present: Value = attr()
    track: Value = attr()
    frequency: Value = attr()


@element()
class Resource(Element):
    partition: Value = text_child("partition")


@element()
class LaunchSecurity(Element):
    type: Value = attr()
    dh_cert: Value = text_child("dhCert")
    session: Value = text_child("session")
    cbitpos: Value = text_child("cbitpos")
    reduced_phys_bits: Value = text_child("reducedPhysBits")
    policy: Value = text_child("policy")
    quote_generation_service: QGS | None = child("quoteGenerationService")


@element()
class QGS(Element):
    path: Value = attr()
