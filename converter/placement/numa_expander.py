"""NUMA-aware PCIe placement: devices of a VMI with dedicated CPUs go behind a PCIe expander bus
of the guest NUMA cell their host device's NUMA node maps to.

Ported from KubeVirt's converter/pci-placement.go and the NUMA lookups of pkg/util/hardware. The host
facts KubeVirt reads from sysfs come from the context: `pciNumaNodes` (host PCI address -> host NUMA
node) and `numaNodeCpus` (host NUMA node -> its CPUs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.pci import (
    PCI,
    PCIE_EXPANDER_BUS,
    PCIE_ROOT_PORT,
    PCIPlacementError,
    new_pci_address,
    pci_address_to_string,
)
from vmi_converter.converter.common.vmi import obj
from vmi_converter.converter.domain.model import (
    Address,
    Controller,
    ControllerTarget,
    Domain,
    HostDevice,
    IOMMUDevice,
    IOMMUDriver,
)

MAX_EXPANDER_BUS_NR = 255
MAX_CPU_LIMIT = 50000
PCI_BASE_PATH = "/sys/bus/pci/devices"
NODE_BASE_PATH = "/sys/bus/node/devices"
_UINT = re.compile(r"^\d+$")


def parse_cpuset(line: str, limit: int = MAX_CPU_LIMIT) -> list[int]:
    """A Linux cpuset list (`0-3,8`) expanded; ValueError on a malformed item."""
    cpus: list[int] = []
    for item in line.split(","):
        bounds = item.split("-")
        numbers = [_atoi(b) for b in bounds[:2]]
        members = range(numbers[0], numbers[1] + 1) if len(numbers) > 1 else numbers
        for cpu in members:
            if len(cpus) > limit:
                raise ValueError(f"rejecting expanding CPU array for safety reasons, limit is {limit}")
            cpus.append(cpu)
    return cpus


def _atoi(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)



# ---------------------------------------------------------------- NUMA lookup


@dataclass(frozen=True, slots=True)
class _LookupWarning:
    pci_address: str
    reason: str

    def __str__(self) -> str:
        return f"device {self.pci_address}: {self.reason}" if self.pci_address else self.reason


class _HostFacts:
    """The sysfs reads of pkg/util/hardware, answered from the context."""

    def __init__(self, ctx: Context) -> None:
        self.pci_numa_nodes = obj(ctx.pci_numa_nodes)
        self.numa_node_cpus = obj(ctx.numa_node_cpus)

    def device_numa_node(self, pci_address: str) -> int:
        node = self.pci_numa_nodes.get(pci_address)
        if node is None:
            raise LookupError(f"open {PCI_BASE_PATH}/{pci_address}/numa_node: no such file or directory")
        node = int(node)
        if node < 0:
            raise LookupError(f"device {pci_address} has no NUMA node affinity")
        return node

    def node_cpus(self, node: int) -> list[int]:
        cpus = self.numa_node_cpus.get(str(node))
        if cpus is None:
            raise LookupError(f"open {NODE_BASE_PATH}/node{node}/cpulist: no such file or directory")
        if isinstance(cpus, str):
            try:
                return parse_cpuset(cpus.strip())
            except ValueError as err:
                raise LookupError(f"failed to parse cpulist file: {err}") from None
        return [int(cpu) for cpu in cpus]


def _mem_node_host_to_guest(domain: Domain) -> tuple[dict[int, int], list[_LookupWarning]]:
    """host NUMA node → guest cell from NUMATune memnodes; a node bound to two cells is dropped."""
    results: dict[int, int] = {}
    warnings: list[_LookupWarning] = []
    numa = domain.cpu.numa if domain.cpu is not None else None
    if numa is None or domain.numatune is None:
        return results, warnings
    guest_cells: set[int] = set()
    for cell in numa.cells:
        raw_id = str(cell.id if cell.id is not None else "")
        if not _is_int(raw_id) or int(raw_id) < 0:
            warnings.append(_LookupWarning("", f'ignoring guest NUMA cell with invalid ID "{raw_id}"'))
            continue
        guest_cells.add(int(raw_id))
    if not guest_cells:
        return results, warnings
    ambiguous: set[int] = set()
    for mem_node in domain.numatune.memnodes:
        cell_id = int(mem_node.cellid or 0)
        if cell_id not in guest_cells:
            warnings.append(_LookupWarning(
                "", f"ignoring NUMATune memnode for unknown guest NUMA cell {cell_id}"))
            continue
        nodeset = str(mem_node.nodeset or "")
        try:
            host_nodes = parse_cpuset(nodeset)
        except ValueError as err:
            warnings.append(_LookupWarning(
                "", f"ignoring NUMATune memnode for guest NUMA cell {cell_id} "
                    f'with invalid nodeset "{nodeset}": {err}'))
            continue
        for host_node in host_nodes:
            if host_node < 0:
                warnings.append(_LookupWarning(
                    "", f"ignoring negative host NUMA node {host_node} in NUMATune memnode "
                        f"for guest NUMA cell {cell_id}"))
                continue
            if host_node in ambiguous:
                continue
            mapped = results.get(host_node)
            if mapped is not None and mapped != cell_id:
                del results[host_node]
                ambiguous.add(host_node)
                warnings.append(_LookupWarning(
                    "", f"host NUMA node {host_node} is mapped to multiple guest NUMA cells ({mapped} and "
                        f"{cell_id}); ignoring NUMATune mapping for that host node"))
                continue
            results[host_node] = cell_id
    return results, warnings


def _is_int(text: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", text) is not None


def lookup_devices_numa_nodes(
    pci_addresses: list[str], domain: Domain, facts: _HostFacts
) -> tuple[dict[str, int], list[_LookupWarning]]:
    """Guest NUMA cell per host PCI device: via NUMATune memnodes, else via vCPU pinning."""
    results: dict[str, int] = {}
    warnings: list[_LookupWarning] = []
    numa = domain.cpu.numa if domain.cpu is not None else None
    if not pci_addresses or numa is None:
        return results, warnings
    mem_node_map, mem_warnings = _mem_node_host_to_guest(domain)
    warnings.extend(mem_warnings)
    pcpu_to_vcpu = _pcpu_to_vcpu(domain, warnings)
    if not mem_node_map and not pcpu_to_vcpu:
        return results, warnings
    vcpu_to_cell = _vcpu_to_cell(domain, warnings)
    node_cpus_cache: dict[int, list[int]] = {}
    for pci_address in pci_addresses:
        try:
            node = facts.device_numa_node(pci_address)
        except LookupError as err:
            warnings.append(_LookupWarning(pci_address, f"failed to read host NUMA affinity: {err}"))
            continue
        if node in mem_node_map:
            results[pci_address] = mem_node_map[node]
            continue
        if node not in node_cpus_cache:
            try:
                node_cpus_cache[node] = facts.node_cpus(node)
            except LookupError as err:
                warnings.append(_LookupWarning(
                    pci_address, f"failed to read CPU list for host NUMA node {node}: {err}"))
                continue
        cell = _first_guest_cell(node_cpus_cache[node], pcpu_to_vcpu, vcpu_to_cell)
        if cell is None:
            warnings.append(_LookupWarning(
                pci_address, f"host NUMA node {node} cannot be mapped to a guest NUMA cell"))
        else:
            results[pci_address] = cell
    return results, warnings


def _first_guest_cell(
    pcpus: list[int], pcpu_to_vcpu: dict[int, int], vcpu_to_cell: dict[int, int]
) -> int | None:
    for pcpu in pcpus:
        vcpu = pcpu_to_vcpu.get(pcpu)
        if vcpu is not None and vcpu in vcpu_to_cell:
            return vcpu_to_cell[vcpu]
    return None


def _pcpu_to_vcpu(domain: Domain, warnings: list[_LookupWarning]) -> dict[int, int]:
    mapping: dict[int, int] = {}
    if domain.cputune is None:
        return mapping
    for pin in domain.cputune.vcpupins:
        try:
            pcpus = parse_cpuset(str(pin.cpuset or ""))
        except ValueError as err:
            warnings.append(_LookupWarning("", f"ignoring invalid vCPU pinning for vCPU {pin.vcpu}: {err}"))
            continue
        for pcpu in pcpus:
            mapping[pcpu] = int(pin.vcpu or 0)
    return mapping


def _vcpu_to_cell(domain: Domain, warnings: list[_LookupWarning]) -> dict[int, int]:
    mapping: dict[int, int] = {}
    assert domain.cpu is not None and domain.cpu.numa is not None
    for cell in domain.cpu.numa.cells:
        cpus = "" if cell.cpus is None else str(cell.cpus)
        if cpus == "":  # memoryless cells carry no CPUs
            continue
        cell_id = "" if cell.id is None else str(cell.id)
        try:
            vcpus = parse_cpuset(cpus)
        except ValueError as err:
            warnings.append(_LookupWarning(
                "", f'ignoring guest NUMA cell "{cell_id}" with invalid CPU set "{cpus}": {err}'))
            continue
        if not _is_int(cell_id):
            warnings.append(_LookupWarning(
                "", f'ignoring guest NUMA cell with invalid ID "{cell_id}": '
                    f'strconv.Atoi: parsing "{cell_id}": invalid syntax'))
            continue
        for vcpu in vcpus:
            mapping[vcpu] = int(cell_id)
    return mapping


# ---------------------------------------------------------------- NUMA placement


@dataclass(slots=True)
class _NUMATopology:
    """One pcie-expander-bus on a guest NUMA cell, a root port per device behind it."""

    expander_bus: Controller
    root_ports: list[Controller] = field(default_factory=list)
    address_by_source: dict[str, Address] = field(default_factory=dict)


class _ExpanderBusAssigner:
    def __init__(
        self,
        domain: Domain,
        facts: _HostFacts,
        *,
        strict: bool = False,
        isolated_devices: dict[str, IOMMUDevice] | None = None,
        numa_overrides: dict[str, int] | None = None,
    ) -> None:
        self.domain = domain
        self.facts = facts
        self.strict = strict
        self.isolated_devices = isolated_devices or {}
        self.numa_overrides = numa_overrides or {}
        self.controller_index = current_controller_index(domain)
        self.controller_count = 0
        self.last_assigned_bus_nr = MAX_EXPANDER_BUS_NR
        self.topologies: dict[int, _NUMATopology] = {}
        self.devices: dict[str, HostDevice] = {}
        self.device_cells: dict[str, int] = {}
        self.strict_failures: list[str] = []

    # -- collecting the devices

    def add_devices(self, hostdevs: list[HostDevice]) -> None:
        addresses: list[str] = []
        by_address: dict[str, HostDevice] = {}
        self.strict_failures = []
        for dev in hostdevs:
            if dev.type != PCI:
                continue
            source = dev.source.address if dev.source is not None else None
            if source is None:
                self._placement_warning(
                    "PCI host device has no source address, skipping pcie-expander-bus assignment")
                continue
            address = pci_address_to_string(source)
            if _has_guest_pci_address(dev.address):
                self._placement_warning(f"device {address} already has a guest PCI address, "
                                        "skipping pcie-expander-bus assignment")
                continue
            addresses.append(address)
            by_address[address] = dev
        addresses.sort()
        cells, warnings = lookup_devices_numa_nodes(addresses, self.domain, self.facts)
        reasons: dict[str, list[str]] = {}
        for warning in warnings:
            if warning.pci_address:
                reasons.setdefault(warning.pci_address, []).append(warning.reason)
            elif self.strict:
                self.strict_failures.append(str(warning))
        for address in addresses:
            cell = self.numa_overrides.get(address, cells.get(address))
            if cell is not None:
                self.devices[address] = by_address[address]
                self.device_cells[address] = cell
                continue
            reason = "; ".join(reasons.get(address, [])) or "no guest NUMA node mapping is available"
            self._placement_warning(
                f"device {address} cannot be placed on a NUMA-aware PCIe topology: {reason}")
        if self.strict_failures:
            failures = "; ".join(self.strict_failures)
            raise PCIPlacementError(f"strict PCI NUMA-aware placement failed: {failures}")

    def _placement_warning(self, message: str) -> None:
        if self.strict:
            self.strict_failures.append(message)

    # -- building controllers

    def _create_controller(self, model: str, parent_bus: str = "", slot: int = 0,
                           numa_node: int | None = None) -> Controller:
        self.controller_index += 1
        self.controller_count += 1
        controller = Controller(type=PCI, index=str(self.controller_index), model=model)
        if model == PCIE_EXPANDER_BUS:
            controller.target = ControllerTarget(numa_node=numa_node)
        else:
            controller.address = new_pci_address(parent_bus, f"0x{slot:02x}")
        return controller

    def _topology_for(self, cell: int) -> _NUMATopology:
        if cell not in self.topologies:
            self.topologies[cell] = self._new_topology(cell)
        return self.topologies[cell]

    def _new_topology(self, cell: int) -> _NUMATopology:
        return _NUMATopology(self._create_controller(PCIE_EXPANDER_BUS, numa_node=cell))

    def _place_device(self, topology: _NUMATopology, device: HostDevice) -> None:
        if self.controller_index >= self.last_assigned_bus_nr - 1:
            raise PCIPlacementError(
                "insufficient bus numbers for NUMA-aligned PCIe topology: current controller index "
                f"{self.controller_index}, last assigned expander bus number {self.last_assigned_bus_nr}")
        parent = str(topology.expander_bus.index)
        port = self._create_controller(PCIE_ROOT_PORT, parent, len(topology.root_ports))
        topology.root_ports.append(port)
        source = pci_address_to_string(device.source.address if device.source else None)
        topology.address_by_source[source] = new_pci_address(str(port.index), "0x00")

    def _assign_bus_nr(self, topology: _NUMATopology) -> None:
        # Bus numbers are handed out from the top so the expander bus has room for its
        # root ports and the controller indexes below never collide with them.
        bus_nr = MAX_EXPANDER_BUS_NR - self.controller_count + 1
        assert topology.expander_bus.target is not None
        topology.expander_bus.target.bus_nr = bus_nr
        self.last_assigned_bus_nr = bus_nr

    def _groups_by_cell(self) -> dict[int, list[HostDevice]]:
        groups: dict[int, list[tuple[str, HostDevice]]] = {}
        for address, device in self.devices.items():
            groups.setdefault(self.device_cells[address], []).append((address, device))
        return {cell: [d for _, d in sorted(devs, key=lambda pair: pair[0])] for cell, devs in groups.items()}

    def build(self) -> None:
        for cell, devices in sorted(self._groups_by_cell().items()):
            normal = []
            for device in devices:
                address = pci_address_to_string(device.source.address if device.source else None)
                iommu = self.isolated_devices.get(address)
                if iommu is None:
                    normal.append(device)
                    continue
                self._place_isolated(cell, device, address, iommu)
            if not normal:
                continue
            topology = self._topology_for(cell)
            for device in normal:
                try:
                    self._place_device(topology, device)
                except PCIPlacementError as err:
                    address = pci_address_to_string(device.source.address if device.source else None)
                    raise PCIPlacementError(f"failed to place device {address}: {err}") from None
            self._assign_bus_nr(topology)

    def _place_isolated(self, cell: int, device: HostDevice, address: str, iommu: IOMMUDevice) -> None:
        topology = self._new_topology(cell)
        try:
            self._place_device(topology, device)
        except PCIPlacementError as err:
            raise PCIPlacementError(f"failed to place isolated device {address}: {err}") from None
        self._assign_bus_nr(topology)
        if iommu.driver is None:
            iommu.driver = IOMMUDriver()
        iommu.driver.pci_bus = topology.expander_bus.index
        assert self.domain.devices is not None
        self.domain.devices.iommus.append(iommu)
        self._apply(topology)

    def _apply(self, topology: _NUMATopology) -> None:
        assert self.domain.devices is not None
        self.domain.devices.controllers.append(topology.expander_bus)
        self.domain.devices.controllers.extend(topology.root_ports)
        for source in sorted(topology.address_by_source):
            device = self.devices.get(source)
            if device is not None:
                device.address = topology.address_by_source[source]

    def place(self) -> None:
        assert self.domain.devices is not None
        self.add_devices(self.domain.devices.hostdevs)
        try:
            self.build()
        except PCIPlacementError as err:
            raise PCIPlacementError(f"failed to create PCIe topology with NUMA alignment: {err}") from None
        for cell in sorted(self.topologies):
            self._apply(self.topologies[cell])


def _has_guest_pci_address(address: Address | None) -> bool:
    # Any coordinate counts as an explicit placement; a partial one is not completed here.
    if address is None:
        return False
    return any(v not in (None, "") for v in (address.domain, address.bus, address.slot, address.function))


def current_controller_index(domain: Domain) -> int:
    """The highest numeric controller index already in the domain (0 when none)."""
    highest = 0
    for controller in domain.devices.controllers if domain.devices is not None else []:
        index = "" if controller.index is None else str(controller.index)
        if _UINT.match(index) and int(index) < 2**32:
            highest = max(highest, int(index))
    return highest


def place_pci_devices_with_numa_alignment(
    domain: Domain,
    ctx: Context,
    *,
    strict: bool = False,
    isolated_devices: dict[str, IOMMUDevice] | None = None,
    numa_overrides: dict[str, int] | None = None,
) -> None:
    """Put each PCI hostdev behind its own root port on an expander bus of its guest NUMA cell.

    Raises PCIPlacementError and leaves the domain unchanged when placement fails.
    """
    assigner = _ExpanderBusAssigner(domain, _HostFacts(ctx), strict=strict,
                                    isolated_devices=isolated_devices, numa_overrides=numa_overrides)
    assigner.place()
