"""The guest CPU, its NUMA cells, vCPUs and their pinning, I/O threads."""

from __future__ import annotations

from vmi_converter.converter.domain.declare import Element, Value, attr, child, children, element, text, text_child


@element()
class CPU(Element):
    mode: Value = attr()
    model: Value = text_child("model")
    features: list[CPUFeature] = children("feature")
    topology: CPUTopology | None = child("topology")
    numa: NUMA | None = child("numa")


@element()
class CPUFeature(Element):
    name: Value = attr()
    policy: Value = attr()


@element()
class CPUTopology(Element):
    sockets: Value = attr()
    cores: Value = attr()
    threads: Value = attr()


@element()
class NUMA(Element):
    cells: list[NUMACell] = children("cell")


@element()
class NUMACell(Element):
    id: Value = attr()
    cpus: Value = attr("cpus")
    memory: Value = attr()
    unit: Value = attr()
    memory_access: Value = attr("memAccess")
    distances: NUMACellDistances | None = child("distances")


@element()
class NUMACellDistances(Element):
    siblings: list[NUMACellSibling] = children("sibling")


@element()
class NUMACellSibling(Element):
    id: Value = attr()
    value: Value = attr()


@element()
class VCPU(Element):
    placement: Value = attr()
    cpus: Value = text()


@element()
class VCPUs(Element):
    vcpu: list[VCPUsVCPU] = children("vcpu")


@element()
class VCPUsVCPU(Element):
    id: Value = attr()
    enabled: Value = attr()
    hotpluggable: Value = attr()
    order: Value = attr()


@element()
class CPUTune(Element):
    vcpupins: list[CPUTuneVCPUPin] = children("vcpupin")
    iothreadpins: list[CPUTuneIOThreadPin] = children("iothreadpin")
    emulatorpin: CPUEmulatorPin | None = child()


@element()
class CPUTuneVCPUPin(Element):
    vcpu: Value = attr()
    cpuset: Value = attr("cpuset")


@element()
class CPUTuneIOThreadPin(Element):
    iothread: Value = attr("iothread")
    cpuset: Value = attr("cpuset")


@element()
class CPUEmulatorPin(Element):
    cpuset: Value = attr("cpuset")


@element()
class IOThreads(Element):
    iothreads: Value = text()
