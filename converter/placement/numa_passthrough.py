"""Guest NUMA cells mirroring the host cells the vCPUs were pinned to (KubeVirt's numaMapping).

One guest cell per host cell that holds pinned vCPUs, in host order; memory
is split evenly in whole hugepages (the first cells take the remainder), each
guest cell is bound strictly to its host cell, and host distances between
the involved cells are passed through.
"""

from __future__ import annotations

from vmi_converter.converter.common import quantity
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.guest_resources import quantity_text, quantity_to_bytes, virtual_memory
from vmi_converter.converter.common.vmi import JSON, domain_spec, obj
from vmi_converter.converter.domain.model import (
    NUMA,
    Domain,
    HugePage,
    MemNode,
    MemoryAllocation,
    MemoryBacking,
    NUMACell,
    NUMACellDistances,
    NUMACellSibling,
    NUMATune,
    NumaTuneMemory,
)
from vmi_converter.converter.placement.cpu_pool import HostCell

_FIELD = "spec.domain.cpu.numa.guestMappingPassthrough"


def map_numa(vmi: JSON, domain: Domain, cells: list[HostCell]) -> None:
    """Give the guest the host NUMA layout of its pinned vCPUs; no-op without reported cells."""
    if not cells:
        return
    vcpus_per_cell = _vcpus_per_host_cell(domain, cells)
    involved = [cell for cell in cells if cell.id in vcpus_per_cell]
    assert domain.cpu is not None
    domain.cpu.numa = NUMA()
    domain.numatune = NUMATune(memory=NumaTuneMemory(mode="strict", nodeset=",".join(str(c.id) for c in involved)))
    backing, page_size = _hugepages(vmi, domain)
    backing.allocation = MemoryAllocation(mode="immediate")
    cell_memory = _cell_memory(vmi, len(involved), page_size)
    guest_ids = {cell.id: index for index, cell in enumerate(involved)}
    for cell, memory in zip(involved, cell_memory, strict=True):
        guest_id = guest_ids[cell.id]
        domain.cpu.numa.cells.append(NUMACell(
            id=str(guest_id),
            cpus=",".join(str(vcpu) for vcpu in vcpus_per_cell[cell.id]),
            memory=memory,
            unit="b",
            distances=_distances(cell, guest_ids),
        ))
        domain.numatune.memnodes.append(MemNode(cellid=guest_id, mode="strict", nodeset=str(cell.id)))
        assert backing.huge_pages is not None
        backing.huge_pages.huge_page.append(HugePage(size=str(page_size), unit="b", nodeset=str(guest_id)))
    if obj(domain_spec(vmi).get("cpu")).get("realtime") is not None:
        backing.no_share_pages = True


def _vcpus_per_host_cell(domain: Domain, cells: list[HostCell]) -> dict[int, list[int]]:
    cell_of_cpu = {cpu.id: cell.id for cell in cells for cpu in cell.cpus}
    result: dict[int, list[int]] = {}
    pins = domain.cputune.vcpupins if domain.cputune is not None else []
    for pin in pins:
        try:
            host_cpu = int(str(pin.cpuset))
        except ValueError as err:
            raise ConversionError("context.topology", "failed to generate numa pinning information: expected only "
                                  f"full cpu to be mapped, but got {pin.cpuset}: {err}") from err
        if host_cpu not in cell_of_cpu:
            raise ConversionError("context.topology", "failed to generate numa pinning information: "
                                  f"vcpu {pin.vcpu} is mapped to a not existing host cpu set {pin.cpuset}")
        result.setdefault(cell_of_cpu[host_cpu], []).append(int(str(pin.vcpu)))
    return result


def _hugepages(vmi: JSON, domain: Domain) -> tuple[MemoryBacking, int]:
    """The memory backing and the hugepage size in bytes; passthrough needs hugepages."""
    backing = domain.memory_backing
    hugepages = obj(domain_spec(vmi).get("memory")).get("hugepages")
    if backing is None or backing.huge_pages is None or hugepages is None:
        raise ConversionError(_FIELD, "passing through a numa topology is restricted to VMIs with hugepages enabled")
    page_size = obj(hugepages).get("pageSize") or ""
    try:
        quantity.parse(quantity_text(page_size))
    except quantity.QuantityError as err:
        raise ConversionError("spec.domain.memory.hugepages.pageSize", "failed to determine if hugepages are "
                              f"enabled: could not parse hugepage value {page_size}: {err}") from err
    size = quantity_to_bytes(page_size, "spec.domain.memory.hugepages.pageSize")
    if size == 0:
        raise ConversionError("spec.domain.memory.hugepages.pageSize", "hugepage size must be greater than 0")
    return backing, size


def _cell_memory(vmi: JSON, cell_count: int, page_size: int) -> list[int]:
    """Bytes per guest cell: whole pages, spread evenly, the first cells taking one extra page each."""
    amount, field = virtual_memory(vmi)
    try:
        memory = quantity_to_bytes(amount, field)
    except ConversionError as err:
        raise ConversionError(field, f"could not convert VMI memory to quantity: {err.message}") from err
    if memory < cell_count * page_size:
        raise ConversionError(field, "not enough memory requested to allocate at least one hugepage per numa node: "
                              f"{{{memory} b}} < {cell_count * (page_size * 1024 * 1024)}")
    if memory % page_size != 0:
        raise ConversionError(field, "requested memory can't be divided through the numa page size: "
                              f"{{{memory} b}} mod {page_size} != 0")
    extra_pages = memory % (page_size * cell_count) // page_size
    per_cell = (memory - extra_pages * page_size) // cell_count
    return [per_cell + page_size if index < extra_pages else per_cell for index in range(cell_count)]


def _distances(cell: HostCell, guest_ids: dict[int, int]) -> NUMACellDistances | None:
    siblings = [
        NUMACellSibling(id=str(guest_ids[host_id]), value=value)
        for host_id, value in cell.distances
        if host_id in guest_ids
    ]
    return NUMACellDistances(siblings=siblings) if siblings else None
