"""Fitting dedicated vCPUs onto the pod's exclusive host threads (KubeVirt's vcpu CPU pools).

The node topology arrives as KubeVirt's cmd.v1.Topology in protojson form:
`{"numaCells": [{"id", "cpus": [{"id", "siblings": [...]}], "distances": [{"id", "value"}]}]}`
(zero values may be omitted, 64-bit numbers may be strings).

The pool walks host NUMA cells in the order the node reports them. Threads
of one host core stay together: whole cores first, then the leftovers of
fragmented cores within one cell, and (relaxed pool only) leftovers across
cells. Results depend on the reported order, never on the cpuset order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.guest_resources import GuestTopology
from vmi_converter.converter.common.vmi import JSON, items, obj
from vmi_converter.converter.domain.model import CPUTune, CPUTuneVCPUPin


@dataclass(frozen=True, slots=True)
class HostCPU:
    id: int
    siblings: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class HostCell:
    id: int
    cpus: tuple[HostCPU, ...]
    distances: tuple[tuple[int, int], ...]  # (host cell id, distance)


def node_cells(topology: JSON | None) -> list[HostCell]:
    """The NUMA cells of a protojson Topology (both JSON field spellings accepted)."""
    cells = obj(topology).get("numaCells", obj(topology).get("numa_cells"))
    return [_cell(obj(cell)) for cell in items(cells)]


def _cell(cell: JSON) -> HostCell:
    cpus = tuple(
        HostCPU(id=_number(obj(cpu).get("id")), siblings=tuple(_number(s) for s in items(obj(cpu).get("siblings"))))
        for cpu in items(cell.get("cpus"))
    )
    distances = tuple(
        (_number(obj(d).get("id")), _number(obj(d).get("value"))) for d in items(cell.get("distances"))
    )
    return HostCell(id=_number(cell.get("id")), cpus=cpus, distances=distances)


def _number(value: Any) -> int:
    """A protojson integer: absent means 0, 64-bit values may come as strings."""
    if value is None:
        return 0
    try:
        return int(value)
    except (TypeError, ValueError) as err:
        raise ConversionError("context.topology", f"expected an integer, got {value!r}") from err


@dataclass(slots=True)
class _Cell:
    threads_per_core: int
    full_cores: list[list[int]] = field(default_factory=list)
    fragmented: list[int] = field(default_factory=list)

    def take_core(self) -> list[int]:
        """A whole vCPU core's worth of sibling threads, or nothing."""
        if not self.full_cores:
            return []
        selected = self.full_cores[0][: self.threads_per_core]
        self._keep_rest(self.full_cores[0][self.threads_per_core:])
        return selected

    def take_fragmented_core(self) -> list[int]:
        if self.threads_per_core > len(self.fragmented):
            return []
        selected = self.fragmented[: self.threads_per_core]
        self.fragmented = self.fragmented[self.threads_per_core:]
        return selected

    def take_fragmented_up_to(self, threads: int) -> list[int]:
        selected = self.fragmented[:threads]
        self.fragmented = self.fragmented[len(selected):]
        return selected

    def take_thread(self) -> int | None:
        """One thread, from fragmented cores first."""
        if self.fragmented:
            return self.fragmented.pop(0)
        if self.full_cores:
            thread = self.full_cores[0][0]
            self._keep_rest(self.full_cores[0][1:])
            return thread
        return None

    def is_empty(self) -> bool:
        return not self.fragmented and not self.full_cores

    def _keep_rest(self, remaining: list[int]) -> None:
        if len(remaining) >= self.threads_per_core:
            self.full_cores[0] = remaining
        else:
            self.full_cores.pop(0)
            self.fragmented.extend(remaining)


class CPUPool:
    """Host threads of the pod's cpuset grouped by NUMA cell and core."""

    def __init__(self, requested: GuestTopology, cells: list[HostCell], cpu_set: list[int],
                 allow_cell_crossing: bool) -> None:
        self._threads_per_core = requested.threads
        self._cores = requested.cores * requested.sockets
        self._allow_cell_crossing = allow_cell_crossing
        self._available_threads = len(cpu_set)
        self._cells = [self._cell(cores) for cores in _cores_per_cell(cpu_set, cells)]

    def _cell(self, cores: list[list[int]]) -> _Cell:
        cell = _Cell(threads_per_core=self._threads_per_core)
        for core in cores:
            if len(core) >= self._threads_per_core:
                cell.full_cores.append(core)
            else:
                cell.fragmented.extend(core)
        return cell

    def fit_cores(self) -> CPUTune:
        """One `<vcpupin>` per vCPU, or an error naming how many cores did not fit."""
        threads, remaining = self._fit(self._cores)
        if remaining > 0:
            if self._allow_cell_crossing or self._available_threads < self._cores * self._threads_per_core:
                message = f"not enough exclusive threads provided, could not fit {remaining} core(s)"
            else:
                message = (f"could not fit {remaining} core(s) without crossing numa cell boundaries "
                           "for individual cores")
            raise ConversionError("context.cpuSet", message)
        pins = [CPUTuneVCPUPin(vcpu=index, cpuset=str(thread)) for index, thread in enumerate(threads)]
        return CPUTune(vcpupins=pins)

    def fit_thread(self) -> int | None:
        """One more free host thread (for the emulator or an IOThread), None when none is left."""
        for cell in self._cells:
            if not cell.is_empty():
                return cell.take_thread()
        return None

    def _fit(self, cores: int) -> tuple[list[int], int]:
        threads, remaining = _fit_chunks(self._cells, cores, _Cell.take_core)
        if remaining == 0:
            return threads, 0
        more, remaining = _fit_chunks(self._cells, remaining, _Cell.take_fragmented_core)
        threads += more
        if remaining == 0 or not self._allow_cell_crossing:
            return threads, remaining
        more, remaining = self._fit_unbound(remaining)
        return threads + more, remaining

    def _fit_unbound(self, cores: int) -> tuple[list[int], int]:
        """Leftover threads across cells: a vCPU core may then span host cells."""
        wanted = self._threads_per_core * cores
        threads: list[int] = []
        for cell in self._cells:
            while chunk := cell.take_fragmented_up_to(wanted):
                threads += chunk
                wanted -= len(chunk)
                if wanted == 0:
                    return threads, 0
        return threads, int(float(wanted) + 0.5) // self._threads_per_core


def _fit_chunks(cells: list[_Cell], requested: int, take: Callable[[_Cell], list[int]]) -> tuple[list[int], int]:
    threads: list[int] = []
    for cell in cells:
        while chunk := take(cell):
            threads += chunk
            requested -= 1
            if requested == 0:
                return threads, 0
    return threads, requested


def _cores_per_cell(cpu_set: list[int], cells: list[HostCell]) -> list[list[list[int]]]:
    """Per host cell, per host core: the core's threads that belong to the pod's cpuset."""
    allowed = set(cpu_set)
    visited: set[int] = set()
    result = []
    for cell in cells:
        cores = []
        for cpu in cell.cpus:
            if cpu.id in visited:
                continue
            siblings = cpu.siblings or (cpu.id,)
            visited.update(siblings)
            cores.append([thread for thread in siblings if thread in allowed])
        result.append(cores)
    return result


def strict_pool(requested: GuestTopology, cells: list[HostCell], cpu_set: list[int]) -> CPUPool:
    """Every vCPU core inside one host NUMA cell (NUMA passthrough)."""
    return CPUPool(requested, cells, cpu_set, allow_cell_crossing=False)


def relaxed_pool(requested: GuestTopology, cells: list[HostCell], cpu_set: list[int]) -> CPUPool:
    return CPUPool(requested, cells, cpu_set, allow_cell_crossing=True)
