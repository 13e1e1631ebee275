"""Dedicated CPUs: ported from KubeVirt converter/vcpu/vcpu_test.go, vcpu/numa_placement_test.go and the
dedicated CPU / emulator thread / IOThread pinning and Realtime cases of converter_test.go."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from raw_convert import raw_convert

from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.guest_resources import GuestTopology
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.domain.model import (
    CPU,
    CPUTopology,
    CPUTune,
    CPUTuneVCPUPin,
    Domain,
    HugePages,
    IOThreads,
    MemoryBacking,
)
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain
from vmi_converter.converter.placement import vcpu
from vmi_converter.converter.placement.cpu_pool import CPUPool, node_cells, relaxed_pool, strict_pool
from vmi_converter.converter.placement.numa_passthrough import map_numa

DEFAULT_THREADS = (1, 7, 0, 6, 2, 8, 3, 9, 4, 10, 5, 11)


def host_topology(cell_count: int, threads_per_core: int, *threads: int) -> JSON:
    """KubeVirt's hostTopology test helper: consecutive groups of siblings spread over the cells."""
    cells: list[JSON] = [{"id": index, "cpus": []} for index in range(cell_count)]
    per_cell = len(threads) // cell_count
    per_cell -= per_cell % threads_per_core
    cell, assigned = 0, 0
    for start in range(0, len(threads), threads_per_core):
        siblings = list(threads[start:start + threads_per_core])
        for thread in siblings:
            cells[cell]["cpus"].append({"id": thread, "siblings": siblings})
            assigned += 1
        if assigned >= per_cell:
            assigned, cell = 0, (cell + 1) % cell_count
    return {"numaCells": cells}


def shuffled(*cpus: int, seed: int = 0) -> list[int]:
    """The cpuset in a random order: pinning must depend on the reported host order only."""
    result = list(cpus)
    random.Random(seed).shuffle(result)
    return result


def pinned_threads(cputune: CPUTune) -> list[int]:
    return [int(str(pin.cpuset)) for pin in cputune.vcpupins]


Factory = Any


@dataclass
class PinningCase:
    factory: Factory = relaxed_pool
    host_threads_per_core: int = 1
    cells: int = 1
    vcpu_cores: int = 6
    vcpu_threads: int = 2
    expected: tuple[int, ...] = DEFAULT_THREADS
    cpu_set: tuple[int, ...] = field(default_factory=lambda: tuple(range(12)))

    def pool(self, seed: int) -> CPUPool:
        topology = host_topology(self.cells, self.host_threads_per_core, *DEFAULT_THREADS)
        requested = GuestTopology(sockets=1, cores=self.vcpu_cores, threads=self.vcpu_threads)
        return self.factory(requested, node_cells(topology), shuffled(*self.cpu_set, seed=seed))

    def name(self, verb: str = "should pin") -> str:
        return (f"{verb} {self.vcpu_cores} vcpus with {self.vcpu_threads} thread(s) to "
                f"{len(DEFAULT_THREADS) // self.host_threads_per_core} host cpus with {self.host_threads_per_core} "
                f"thread(s) per core and {self.cells} numa node(s), using {self.factory.__name__}")


def _case(host: int, cells: int, cores: int, threads: int, expected: tuple[int, ...] = DEFAULT_THREADS) -> PinningCase:
    return PinningCase(host_threads_per_core=host, cells=cells, vcpu_cores=cores, vcpu_threads=threads,
                       expected=expected)


# vcpu_test.go: generatePositiveCPUPinningTests, run with both pools.
BOTH_POOLS = [
    _case(1, 1, 12, 1), _case(1, 2, 12, 1), _case(1, 3, 12, 1), _case(1, 4, 12, 1),
    _case(1, 1, 6, 2), _case(1, 2, 6, 2), _case(1, 3, 6, 2),
    _case(1, 1, 4, 3), _case(1, 2, 4, 3),
    _case(2, 1, 12, 1), _case(2, 2, 12, 1), _case(2, 3, 12, 1),
    _case(2, 4, 12, 1, (1, 7, 4, 10, 0, 6, 5, 11, 2, 8, 3, 9)),
    _case(2, 1, 6, 2), _case(2, 2, 6, 2), _case(2, 3, 6, 2),
    _case(2, 1, 4, 3), _case(2, 2, 4, 3),
    _case(3, 1, 12, 1), _case(3, 2, 12, 1),
    _case(3, 3, 12, 1, (1, 7, 0, 10, 5, 11, 6, 2, 8, 3, 9, 4)),
    _case(3, 4, 12, 1),
    _case(3, 1, 6, 2, (1, 7, 6, 2, 3, 9, 10, 5, 0, 8, 4, 11)),
    _case(3, 2, 6, 2, (1, 7, 6, 2, 3, 9, 10, 5, 0, 8, 4, 11)),
    _case(3, 1, 4, 3), _case(3, 2, 4, 3),
    _case(3, 3, 4, 3, (1, 7, 0, 10, 5, 11, 6, 2, 8, 3, 9, 4)),
]
# ... and three that only the relaxed pool can place (cores then span host cells).
POSITIVE = [replace(case, factory=factory) for factory in (relaxed_pool, strict_pool) for case in BOTH_POOLS] + [
    _case(1, 3, 4, 3, (1, 7, 0, 2, 8, 3, 4, 10, 5, 6, 9, 11)),
    _case(2, 3, 4, 3, (1, 7, 0, 2, 8, 3, 4, 10, 5, 6, 9, 11)),
    _case(3, 3, 6, 2, (1, 7, 10, 5, 6, 2, 3, 9, 0, 11, 8, 4)),
]
NEGATIVE = [replace(_case(1, 3, 4, 3), factory=strict_pool), replace(_case(2, 3, 4, 3), factory=strict_pool),
            replace(_case(3, 3, 6, 2), factory=strict_pool)]


# KubeVirt: vcpu_test.go generatePositiveCPUPinningTests "should pin ..."
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name()) for c in POSITIVE])
def test_pinning(case: PinningCase) -> None:
    assert pinned_threads(case.pool(seed=1).fit_cores()) == list(case.expected)


# KubeVirt: vcpu_test.go generateNegativeCPUPinningTests "should not pin ..."
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name("should not pin")) for c in NEGATIVE])
def test_no_pinning(case: PinningCase) -> None:
    with pytest.raises(ConversionError) as err:
        case.pool(seed=1).fit_cores()
    assert (err.value.field, err.value.message) == (
        "context.cpuSet", "could not fit 1 core(s) without crossing numa cell boundaries for individual cores"
    )


SIBLING_PAIRS = host_topology(1, 2, 1, 7, 0, 6, 2, 8, 3, 9, 4, 10, 5, 11)


# KubeVirt: vcpu_test.go "should depend on the host topology reporting order for stable results with random
# shuffled cpusets"
def test_pinning_follows_host_order_not_cpuset_order() -> None:
    for seed in range(10):
        pool = relaxed_pool(GuestTopology(1, 12, 1), node_cells(SIBLING_PAIRS), shuffled(*range(12), seed=seed))
        assert pinned_threads(pool.fit_cores()) == [1, 7, 0, 6, 2, 8, 3, 9, 4, 10, 5, 11]


# KubeVirt: vcpu_test.go "should fail assigning vCPUs if there are not enough cores reserved"
def test_not_enough_cores() -> None:
    pool = relaxed_pool(GuestTopology(1, 12, 1), node_cells(SIBLING_PAIRS), shuffled(*range(11)))
    with pytest.raises(ConversionError, match=r"not enough exclusive threads provided, could not fit 1 core\(s\)"):
        pool.fit_cores()


TWO_CELLS_OF_THREE = host_topology(2, 3, 1, 7, 0, 6, 2, 8)


# KubeVirt: vcpu_test.go "should fail assigning vCPUs with the strict policy if cores can't fully be place on a numa
# node"
def test_strict_pool_keeps_cores_inside_cells() -> None:
    pool = strict_pool(GuestTopology(1, 3, 2), node_cells(TWO_CELLS_OF_THREE), shuffled(0, 1, 2, 6, 7, 8))
    with pytest.raises(ConversionError, match=r"could not fit 1 core\(s\) without crossing numa cell boundaries "
                                              "for individual cores") as err:
        pool.fit_cores()
    assert err.value.field == "context.cpuSet"


# KubeVirt: vcpu_test.go "should pass assigning vCPUs with the relaxed policy if cores can't fully be place on a numa
# node"
def test_relaxed_pool_crosses_cells() -> None:
    pool = relaxed_pool(GuestTopology(1, 3, 2), node_cells(TWO_CELLS_OF_THREE), shuffled(*range(12)))
    assert pinned_threads(pool.fit_cores()) == [1, 7, 6, 2, 0, 8]


# KubeVirt: vcpu_test.go DescribeTable "should pick individual threads"
@pytest.mark.parametrize(
    ("threads_per_core", "cpu_set", "expected"),
    [
        pytest.param(1, range(12), [1, 7, 0, 6, 2, 8, 3, 9, 4, 10, 5, 11],
                     id="with 1 thread per host cpu and no missing CPUs in a predictable order"),
        pytest.param(2, range(2, 12), [7, 6, 2, 8, 3, 9, 4, 10, 5, 11],
                     id="with 2 thread per host cpu and missing CPUs (1, 0) from small chunks first"),
    ],
)
def test_pick_individual_threads(threads_per_core: int, cpu_set: range, expected: list[int]) -> None:
    topology = host_topology(2, threads_per_core, *DEFAULT_THREADS)
    pool = relaxed_pool(GuestTopology(1, 1, 2), node_cells(topology), shuffled(*cpu_set))
    picked = []
    while (thread := pool.fit_thread()) is not None:
        picked.append(thread)
    assert picked == expected


def test_protojson_topology_with_omitted_zeros_and_string_numbers() -> None:
    topology = {"numaCells": [{"cpus": [{}, {"id": 1}], "distances": [{"value": "10"}]}]}
    cells = node_cells(topology)
    assert [(c.id, [cpu.id for cpu in c.cpus], c.distances) for c in cells] == [(0, [0, 1], ((0, 10),))]


def _domain_with_topology(sockets: int, cores: int, threads: int, iothreads: int | None = None) -> Domain:
    domain = new_domain()
    domain.cpu = CPU(topology=CPUTopology(sockets=sockets, cores=cores, threads=threads))
    if iothreads is not None:
        domain.iothreads = IOThreads(iothreads=iothreads)
    return domain


def _cputune(vcpupins: list[int], iothreadpins: tuple[tuple[int, str], ...] | list[tuple[int, str]] = (),
             emulator: str = "") -> str:
    body = "".join(f'  <vcpupin vcpu="{i}" cpuset="{c}"/>\n' for i, c in enumerate(vcpupins))
    body += "".join(f'  <iothreadpin iothread="{t}" cpuset="{c}"/>\n' for t, c in iothreadpins)
    body += f'  <emulatorpin cpuset="{emulator}"/>\n' if emulator else ""
    return f"<cputune>\n{body}</cputune>\n"


# KubeVirt: vcpu_test.go AdjustDomainForTopologyAndCPUSet "should pin IOThreads with dedicatedIOThread and
# dedicatedCPU but without isolateEmulatorThread"
def test_adjust_pins_dedicated_io_thread_without_emulator_isolation() -> None:
    vmi = {"spec": {"domain": {
        "cpu": {"cores": 1, "sockets": 8, "threads": 1, "dedicatedCpuPlacement": True},
        "devices": {"disks": [{"name": "rootdisk", "dedicatedIOThread": True, "disk": {"bus": "virtio"}}]}}}}
    domain = _domain_with_topology(8, 1, 1, iothreads=1)
    ctx = context_from_dict({"cpuSet": list(range(8)), "topology": host_topology(1, 1, *range(8))})
    vcpu.adjust_for_topology(vmi, domain, ctx)
    assert to_xml(domain.cputune, "cputune") == _cputune(list(range(8)), [(1, "0,1,2,3,4,5,6,7")])


# KubeVirt: vcpu_test.go AdjustDomainForTopologyAndCPUSet "should succeed without modifying topology when VCPU
# metadata is absent"
def test_adjust_without_vcpus_metadata_keeps_topology() -> None:
    vmi = {"spec": {"domain": {"cpu": {"sockets": 1, "cores": 1, "threads": 1, "maxSockets": 2,
                                       "dedicatedCpuPlacement": True}}}}
    domain = _domain_with_topology(1, 1, 1)
    vcpu.adjust_for_topology(vmi, domain, context_from_dict({"cpuSet": [0], "topology": host_topology(1, 1, 0)}))
    assert domain.cpu is not None and domain.cpu.topology is not None
    assert to_xml(domain.cpu.topology, "topology") == '<topology sockets="1" cores="1" threads="1"/>\n'
    assert domain.vcpus is None
    assert to_xml(domain.cputune, "cputune") == _cputune([0])


# KubeVirt panics on dedicated CPUs without the node topology (nil dereference in cpuChunksToCells).
def test_dedicated_cpus_without_topology_is_an_error() -> None:
    vmi = {"spec": {"domain": {"cpu": {"cores": 1, "dedicatedCpuPlacement": True}}}}
    with pytest.raises(ConversionError, match="requires the node topology") as err:
        vcpu.adjust_for_topology(vmi, _domain_with_topology(1, 1, 1), context_from_dict({"cpuSet": [0]}))
    assert err.value.field == "context.topology"


# --- numa_placement_test.go

MIB = 1024 * 1024
NUMA_TOPOLOGY: JSON = {"numaCells": [{"id": 0, "cpus": [{"id": 10}, {"id": 20}]},
                                     {"id": 4, "cpus": [{"id": 30}, {"id": 50}]}]}


def _numa_domain(*pins: tuple[int, str], hugepages: bool = False) -> Domain:
    domain = new_domain()
    domain.cputune = CPUTune(vcpupins=[CPUTuneVCPUPin(vcpu=v, cpuset=c) for v, c in pins])
    if hugepages:
        domain.memory_backing = MemoryBacking(huge_pages=HugePages())
    return domain


PINS = ((0, "10"), (1, "20"), (3, "30"))


def _numa_vmi(hugepages: bool = False, guest: str = "64Mi", realtime: bool = False) -> JSON:
    memory: JSON = {"guest": guest}
    if hugepages:
        memory["hugepages"] = {"pageSize": "2Mi"}
    dom: JSON = {"memory": memory}
    if realtime:
        dom["cpu"] = {"realtime": {}}
    return {"spec": {"domain": dom}}


def _cells(*cells: tuple[str, str, int, str]) -> str:
    lines = ""
    for cell_id, cpus, memory, distances in cells:
        head = f'    <cell id="{cell_id}" cpus="{cpus}" memory="{memory}" unit="b"'
        if distances:
            lines += f"{head}>\n      <distances>\n{distances}      </distances>\n    </cell>\n"
        else:
            lines += f"{head}/>\n"
    return f"<cpu>\n  <numa>\n{lines}  </numa>\n</cpu>\n"


def _siblings(*values: int) -> str:
    return "".join(f'        <sibling id="{i}" value="{v}"/>\n' for i, v in enumerate(values))


def _numatune(*host_cells: int) -> str:
    nodes = "".join(f'  <memnode cellid="{i}" mode="strict" nodeset="{c}"/>\n' for i, c in enumerate(host_cells))
    return (f'<numatune>\n  <memory mode="strict" nodeset="{",".join(map(str, host_cells))}"/>\n{nodes}'
            "</numatune>\n")


def _hugepage_backing(cells: int, nosharepages: bool = False) -> str:
    pages = "".join(f'    <page size="{2 * MIB}" unit="b" nodeset="{i}"/>\n' for i in range(cells))
    tail = "  <nosharepages/>\n" if nosharepages else ""
    allocation = '  <allocation mode="immediate"/>\n'
    return f"<memoryBacking>\n  <hugepages>\n{pages}  </hugepages>\n{allocation}{tail}</memoryBacking>\n"


# KubeVirt: numa_placement_test.go "should not map the numa topology without hugepages requested"
def test_numa_requires_hugepages() -> None:
    with pytest.raises(ConversionError, match="passing through a numa topology is restricted to VMIs with hugepages"):
        map_numa(_numa_vmi(), _numa_domain(*PINS), node_cells(NUMA_TOPOLOGY))


# KubeVirt: numa_placement_test.go DescribeTable "it should do nothing"
@pytest.mark.parametrize("topology", [None, {"numaCells": None}],
                         ids=["if no topology is provided", "if no numa cells are reported"])
def test_numa_without_host_cells_does_nothing(topology: JSON | None) -> None:
    domain = _numa_domain(*PINS)
    map_numa(_numa_vmi(), domain, node_cells(topology))
    assert domain == _numa_domain(*PINS)


# KubeVirt: numa_placement_test.go "should detect invalid cpu pinning"
def test_numa_detects_pins_outside_the_topology() -> None:
    with pytest.raises(ConversionError, match="vcpu 4 is mapped to a not existing host cpu set 40"):
        map_numa(_numa_vmi(True), _numa_domain(*PINS, (4, "40"), hugepages=True), node_cells(NUMA_TOPOLOGY))


# KubeVirt: numa_placement_test.go "should detect hugepages and map them equally to nodes"
def test_numa_maps_hugepages_equally() -> None:
    domain = _numa_domain(*PINS, hugepages=True)
    map_numa(_numa_vmi(True), domain, node_cells(NUMA_TOPOLOGY))
    assert to_xml(domain.cputune, "cputune") == _cputune([10, 20]).replace(
        "</cputune>", '  <vcpupin vcpu="3" cpuset="30"/>\n</cputune>')
    assert to_xml(domain.numatune, "numatune") == _numatune(0, 4)
    assert to_xml(domain.cpu, "cpu") == _cells(("0", "0,1", 32 * MIB, ""), ("1", "3", 32 * MIB, ""))
    assert to_xml(domain.memory_backing, "memoryBacking") == _hugepage_backing(2)


def _three_cell_topology(distances: list[list[int]] | None = None) -> JSON:
    cells: list[JSON] = [{"id": 0, "cpus": [{"id": 10}, {"id": 20}]}, {"id": 4, "cpus": [{"id": 30}, {"id": 50}]},
                         {"id": 5, "cpus": [{"id": 40}]}]
    for cell, row in zip(cells, distances or [], strict=False):
        cell["distances"] = [{"id": host, "value": value} for host, value in zip((0, 4, 5), row, strict=True)]
    return {"numaCells": cells}


# KubeVirt: numa_placement_test.go "should pass through NUMA distances with three nodes"
def test_numa_passes_distances_through() -> None:
    domain = _numa_domain(*PINS, (4, "40"), hugepages=True)
    topology = _three_cell_topology([[10, 20, 30], [20, 10, 20], [30, 20, 10]])
    map_numa(_numa_vmi(True), domain, node_cells(topology))
    assert to_xml(domain.cpu, "cpu") == _cells(("0", "0,1", 22 * MIB, _siblings(10, 20, 30)),
                                               ("1", "3", 22 * MIB, _siblings(20, 10, 20)),
                                               ("2", "4", 20 * MIB, _siblings(30, 20, 10)))


# KubeVirt: numa_placement_test.go "should filter out non-mapped host NUMA distances"
def test_numa_filters_distances_of_unused_cells() -> None:
    topology: JSON = {"numaCells": [
        {"id": 0, "cpus": [{"id": 10}, {"id": 20}], "distances": [{"id": 0, "value": 10}, {"id": 2, "value": 15},
                                                                  {"id": 4, "value": 20}]},
        {"id": 4, "cpus": [{"id": 30}, {"id": 50}], "distances": [{"id": 0, "value": 20}, {"id": 2, "value": 15},
                                                                  {"id": 4, "value": 10}]}]}
    domain = _numa_domain(*PINS, hugepages=True)
    map_numa(_numa_vmi(True), domain, node_cells(topology))
    assert to_xml(domain.cpu, "cpu") == _cells(("0", "0,1", 32 * MIB, _siblings(10, 20)),
                                               ("1", "3", 32 * MIB, _siblings(20, 10)))


# KubeVirt: numa_placement_test.go "should detect if not enough memory is requested"
def test_numa_needs_a_hugepage_per_cell() -> None:
    with pytest.raises(ConversionError, match="not enough memory requested to allocate at least one hugepage per "
                                              r"numa node: \{2097152 b\} < 4398046511104"):
        map_numa(_numa_vmi(True, guest="2Mi"), _numa_domain(*PINS, hugepages=True), node_cells(NUMA_TOPOLOGY))


def test_numa_memory_must_be_whole_hugepages() -> None:
    with pytest.raises(ConversionError, match=r"requested memory can't be divided through the numa page size: "
                                              r"\{68157440 b\} mod 2097152 != 0"):
        map_numa(_numa_vmi(True, guest="65Mi"), _numa_domain(*PINS, hugepages=True), node_cells(NUMA_TOPOLOGY))


# KubeVirt: numa_placement_test.go "should detect not divisable hugepages and shuffle the memory"
def test_numa_spreads_remaining_pages_over_the_first_cells() -> None:
    domain = _numa_domain(*PINS, (4, "40"), hugepages=True)
    map_numa(_numa_vmi(True), domain, node_cells(_three_cell_topology()))
    assert to_xml(domain.numatune, "numatune") == _numatune(0, 4, 5)
    assert to_xml(domain.cpu, "cpu") == _cells(("0", "0,1", 22 * MIB, ""), ("1", "3", 22 * MIB, ""),
                                               ("2", "4", 20 * MIB, ""))
    assert to_xml(domain.memory_backing, "memoryBacking") == _hugepage_backing(3)


# KubeVirt: numa_placement_test.go "should process no shared pages when tuned for real time"
def test_numa_realtime_disables_page_sharing() -> None:
    domain = _numa_domain(*PINS, hugepages=True)
    map_numa(_numa_vmi(True, realtime=True), domain, node_cells(NUMA_TOPOLOGY))
    assert to_xml(domain.memory_backing, "memoryBacking") == _hugepage_backing(2, nosharepages=True)


# --- converter_test.go: dedicated CPUs through the whole conversion (API defaulters only)

def _one_cell(*cpus: int, **cell: Any) -> JSON:
    return {"numaCells": [{**cell, "cpus": [{"id": c} for c in cpus]}]}


def _dedicated_vmi(cpu_spec: JSON, annotations: dict[str, str] | None = None, **domain: Any) -> JSON:
    return {"metadata": {"name": "testvmi", "namespace": "default", "annotations": annotations or {}},
            "spec": {"domain": {"cpu": {**cpu_spec, "dedicatedCpuPlacement": True}, **domain}}}


SUPPLEMENTAL_CPUSET = list(range(5, 13))


# KubeVirt: converter_test.go DescribeTable "should succeed assigning CPUs to supplementalPool"
@pytest.mark.parametrize(
    ("parity", "isolate", "vcpus", "pool_threads", "expected"),
    [
        pytest.param(False, False, 2, 2, _cputune([5, 6], [(1, "7"), (2, "8")]),
                     id="when no emulator thread isolation is used"),
        pytest.param(False, True, 2, 2, _cputune([5, 6], [(1, "7"), (2, "8")], "9"),
                     id="when EmulatorThreadCompleteToEvenParity is disabled and there is one extra CPU assigned for "
                        "emulatorThread"),
        pytest.param(True, True, 3, 2, _cputune([5, 6, 7], [(1, "8"), (2, "9")], "10"),
                     id="when EmulatorThreadCompleteToEvenParity is enabled and there is one extra CPU assigned for "
                        "emulatorThread (odd CPUs)"),
        pytest.param(True, True, 2, 2, _cputune([5, 6], [(1, "7"), (2, "8")], "9,10"),
                     id="when EmulatorThreadCompleteToEvenParity is enabled and there are two extra CPUs assigned for "
                        "emulatorThread (even CPUs)"),
        pytest.param(True, True, 1, 1, _cputune([5], [(1, "6")], "7,8"),
                     id="when EmulatorThreadCompleteToEvenParity is enabled and there are two extra CPUs assigned for "
                        "emulatorThread (even CPUs with io+cpu)"),
    ],
)
def test_converter_supplemental_pool_pinning(parity: bool, isolate: bool, vcpus: int, pool_threads: int,
                                             expected: str) -> None:
    cpu_spec: JSON = {"cores": 1, "threads": 1, "sockets": vcpus}
    if isolate:
        cpu_spec["isolateEmulatorThread"] = True
    vmi = _dedicated_vmi(cpu_spec, {vcpu.EMULATOR_THREAD_COMPLETE_TO_EVEN_PARITY: ""} if parity else None,
                         ioThreadsPolicy="supplementalPool", ioThreads={"supplementalPoolThreadCount": pool_threads})
    domain = raw_convert(vmi, {"allowEmulation": True, "cpuSet": SUPPLEMENTAL_CPUSET,
                               "topology": _one_cell(*SUPPLEMENTAL_CPUSET)})
    assert to_xml(domain.cputune, "cputune") == expected


def _emulator_pool(cores: int, cpu_set: list[int]) -> tuple[CPUPool, CPUTune]:
    pool = relaxed_pool(GuestTopology(1, cores, 1), node_cells(_one_cell(*cpu_set)), cpu_set)
    return pool, pool.fit_cores()


PARITY = {vcpu.EMULATOR_THREAD_COMPLETE_TO_EVEN_PARITY: ""}


# KubeVirt: converter_test.go DescribeTable "should succeed assigning CPUs to emulatorThread"
@pytest.mark.parametrize(
    ("cores", "cpu_set", "annotations", "expected"),
    [
        pytest.param(2, [5, 6, 7], {}, 1, id="when EmulatorThreadCompleteToEvenParity is disabled and there is one "
                                            "extra CPU assigned for emulatorThread"),
        pytest.param(5, list(range(5, 11)), PARITY, 1, id="when EmulatorThreadCompleteToEvenParity is enabled and "
                                                          "there is one extra CPU assigned for emulatorThread (odd "
                                                          "CPUs)"),
        pytest.param(6, list(range(5, 13)), PARITY, 2, id="when EmulatorThreadCompleteToEvenParity is enabled and "
                                                          "there are two extra CPUs assigned for emulatorThread (even "
                                                          "CPUs)"),
    ],
)
def test_converter_emulator_thread_pin(cores: int, cpu_set: list[int], annotations: dict[str, str],
                                       expected: int) -> None:
    pool, cputune = _emulator_pool(cores, cpu_set)
    housekeeping = [int(c) for c in vcpu.format_emulator_thread_pin(pool, annotations, cores).split(",")]
    assert len(housekeeping) == expected
    assert not set(housekeeping) & set(pinned_threads(cputune))


# KubeVirt: converter_test.go DescribeTable "should fail assigning CPUs to emulatorThread"
@pytest.mark.parametrize(
    ("cores", "cpu_set", "annotations", "message"),
    [
        pytest.param(2, [5, 6], {}, "no CPU allocated for the emulation thread",
                     id="when EmulatorThreadCompleteToEvenParity is disabled and there are not enough CPUs to allocate "
                        "emulator threads"),
        pytest.param(3, [5, 6, 7], PARITY, "no CPU allocated for the emulation thread",
                     id="when EmulatorThreadCompleteToEvenParity is enabled and there are not enough Cores to allocate "
                        "emulator threads (odd CPUs)"),
        pytest.param(2, [5, 6, 7], PARITY, "no second CPU allocated for the emulation thread",
                     id="when EmulatorThreadCompleteToEvenParity is enabled and there are not enough Cores to allocate "
                        "emulator threads (even CPUs)"),
    ],
)
def test_converter_emulator_thread_pin_fails(cores: int, cpu_set: list[int], annotations: dict[str, str],
                                             message: str) -> None:
    pool, _ = _emulator_pool(cores, cpu_set)
    with pytest.raises(ConversionError, match=message):
        vcpu.format_emulator_thread_pin(pool, annotations, cores)


# KubeVirt: converter_test.go "Correctly handle iothreads with dedicated cpus"
@pytest.mark.parametrize(
    ("cores", "cpu_set", "expected"),
    [
        pytest.param(16, list(range(5, 21)), [(1, "5,6,7"), (2, "8,9,10"), (3, "11,12,13"), (4, "14,15,16"),
                                              (5, "17,18"), (6, "19,20")],
                     id="assigns a set of cpus per iothread, if there are more vcpus than iothreads"),
        pytest.param(2, [5, 6], [(1, "6"), (2, "5"), (3, "6"), (4, "5"), (5, "6"), (6, "5")],
                     id="should pack iothreads equally on available vcpus, if there are more iothreads than vcpus"),
    ],
)
def test_converter_io_thread_pins_with_dedicated_cpus(cores: int, cpu_set: list[int],
                                                      expected: list[tuple[int, str]]) -> None:
    vmi = _dedicated_vmi({"cores": cores}, resources={"requests": {"memory": "64M", "cpu": str(cores)}})
    domain = raw_convert(vmi, {"allowEmulation": True, "smbios": {}, "cpuSet": cpu_set,
                               "topology": _one_cell(*cpu_set)})
    domain.iothreads = IOThreads(iothreads=6)
    vcpu.format_io_thread_pins(vmi, domain, "0", cpu_set)
    assert domain.cputune is not None
    assert [(pin.iothread, pin.cpuset) for pin in domain.cputune.iothreadpins] == expected


# KubeVirt: converter_test.go "Should place io and emulator threads on the same pcpu with auto ioThreadsPolicy"
def test_converter_io_and_emulator_threads_share_a_pcpu() -> None:
    disks = [{"name": n, "disk": {"bus": "virtio"}} for n in ("disk0", "disk1")]
    disks.append({"name": "ded2", "disk": {"bus": "virtio"}, "dedicatedIOThread": True})
    volumes = [{"name": n, "persistentVolumeClaim": {"claimName": "alpine"}} for n in ("disk0", "disk1", "ded2")]
    vmi = _dedicated_vmi({"cores": 1, "isolateEmulatorThread": True}, ioThreadsPolicy="auto",
                         devices={"disks": disks})
    vmi["spec"]["volumes"] = volumes
    domain = raw_convert(vmi, {"allowEmulation": True, "cpuSet": [0, 1], "topology": _one_cell(0, 1)})
    assert to_xml(domain.iothreads, "iothreads") == "<iothreads>2</iothreads>\n"
    assert to_xml(domain.cputune, "cputune") == _cputune([0], [(1, "1")], "1")
    assert domain.devices is not None
    threads = {str(d.alias.name if d.alias else ""): d.driver.iothread if d.driver else None
               for d in domain.devices.disks}
    assert threads["ua-disk0"] == threads["ua-disk1"] != threads["ua-ded2"]


# KubeVirt: converter_test.go "Realtime" "should configure the VCPU scheduler information utilizing all pinned vcpus
# when realtime is enabled"
def test_converter_realtime_turns_the_pmu_off() -> None:
    topology = _one_cell(0, 1, 2, id=0, memory={"amount": "10737418240", "unit": "G"},
                         pages=[{"count": "5", "unit": "G", "size": 1073741824}], distances=[{"id": 0, "value": "1"}])
    vmi = _dedicated_vmi({"cores": 2, "sockets": 1, "threads": 1, "realtime": {}})
    vmi["metadata"]["namespace"] = "mynamespace"
    domain = raw_convert(vmi, {"allowEmulation": True, "cpuSet": [0, 1, 2, 3, 4], "topology": topology})
    assert domain.features is not None
    assert to_xml(domain.features.pmu, "pmu") == '<pmu state="off"/>\n'


def test_hint_dedicated_only_for_amd64_vmis() -> None:
    topology = _one_cell(0, 1)
    for arch, expected in (("amd64", '<kvm>\n  <hint-dedicated state="on"/>\n</kvm>\n'), ("arm64", None)):
        vmi = _dedicated_vmi({"cores": 1})
        vmi["spec"]["architecture"] = arch
        domain = raw_convert(vmi, {"architecture": arch, "allowEmulation": True, "cpuSet": [0, 1],
                                   "topology": topology})
        assert domain.features is not None
        assert (to_xml(domain.features.kvm, "kvm") if domain.features.kvm else None) == expected


def test_hotplug_sockets_are_not_pinned() -> None:
    vmi = _dedicated_vmi({"cores": 1, "sockets": 2, "maxSockets": 4})
    domain = raw_convert(vmi, {"allowEmulation": True, "cpuSet": [0, 1, 2, 3], "topology": _one_cell(0, 1, 2, 3)})
    assert to_xml(domain.cputune, "cputune") == _cputune([0, 1])


def test_numa_passthrough_through_the_whole_conversion() -> None:
    vmi = _dedicated_vmi({"cores": 2, "numa": {"guestMappingPassthrough": {}}},
                         memory={"guest": "64Mi", "hugepages": {"pageSize": "2Mi"}})
    topology = {"numaCells": [{"id": 0, "cpus": [{"id": 10}]}, {"id": 1, "cpus": [{"id": 11}]}]}
    domain = raw_convert(vmi, {"allowEmulation": True, "cpuSet": [10, 11], "topology": topology})
    assert to_xml(domain.numatune, "numatune") == _numatune(0, 1)
    assert domain.cpu is not None and domain.cpu.numa is not None
    assert [(c.id, c.cpus, c.memory) for c in domain.cpu.numa.cells] == [("0", "0", 32 * MIB), ("1", "1", 32 * MIB)]
