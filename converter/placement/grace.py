"""NVIDIA Grace IO virtualization (KubeVirt converter/grace.go).

For VMIs with dedicated CPUs whose context names Grace GPU hostdev aliases
(`context.graceHostDeviceAliases`), each GPU gets an iommufd driver, an ACPI
node set of eight memoryless guest NUMA cells (its Generic Initiator nodes),
its own expander bus with an SMMUv3 IOMMU, and the root bus a 64-bit PCI hole
large enough for all GPUs; the guest NUMA distance matrix follows the host's.

The sysfs reads of KubeVirt's runtime-info provider come from `context.grace`:
`{"smmuv3Available": bool,
  "devices": {bdf: {"vendor", "device", "numaNode", "bar64PrefBytes", "giNodes", "capabilities"}},
  "giNodes": [host GI nodes], "numaDistances": {node: {node: distance}}}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vmi_converter.converter.common.aliases import device_name
from vmi_converter.converter.common.context import Context
from vmi_converter.converter.common.pci import PCI, PCIE_ROOT, PCIPlacementError, pci_address_to_string
from vmi_converter.converter.common.vmi import JSON, domain_spec, metadata, obj
from vmi_converter.converter.domain.model import (
    ACPIHostDev,
    Controller,
    Domain,
    HostDevDriver,
    HostDevice,
    IOMMUDevice,
    IOMMUDriver,
    NUMACell,
    NUMACellDistances,
    NUMACellSibling,
    PCIHole64,
)
from vmi_converter.converter.placement.numa_expander import place_pci_devices_with_numa_alignment

GI_NODES_PER_GPU = 8
PCI_HOLE64_MARGIN_KIB = 1024 * 1024
PCI_HOLE64_FLOOR_BYTES = 512 << 30
MAX_PCI_HOLE64_KIB = 16 << 30
_UINT64_MAX = 2**64 - 1
_UINT_MAX = 2**64 - 1

NVIDIA_VENDOR_ID = "10DE"
GRACE_GPU_DEVICE_IDS = frozenset({"2342", "2348", "2941"})
# Current Grace Blackwell and Vera Rubin platforms; KubeVirt does not probe these yet.
DEFAULT_CAPABILITIES = {"accel": "on", "ats": "on", "ril": "off", "ssidSize": "20", "oas": "48"}
_SYSFS_PCI = "/sys/bus/pci/devices"
_SYSFS_NODE = "/sys/devices/system/node"


class GraceError(Exception):
    """Grace IO virtualization cannot be configured; the message is KubeVirt's error text."""


def normalize_pci_id(pci_id: str) -> str:
    text = pci_id.strip().upper()
    return text[2:] if text.startswith("0X") else text


def is_nvidia_grace_gpu(vendor_id: str, device_id: str) -> bool:
    return normalize_pci_id(vendor_id) == NVIDIA_VENDOR_ID and normalize_pci_id(device_id) in GRACE_GPU_DEVICE_IDS


def _missing(path: str) -> GraceError:
    return GraceError(f"open {path}: no such file or directory")


class GraceFacts:
    """The host facts KubeVirt reads from sysfs, answered from `context.grace`."""

    def __init__(self, facts: Any) -> None:
        self.facts = obj(facts)
        self.devices = obj(self.facts.get("devices"))

    def _device(self, bdf: str, key: str, file: str) -> Any:
        value = obj(self.devices.get(bdf)).get(key)
        if value is None:
            raise _missing(f"{_SYSFS_PCI}/{bdf}/{file}")
        return value

    def smmuv3_available(self) -> bool:
        if "smmuv3Available" not in self.facts:
            raise _missing("/sys/class/iommu")
        return self.facts["smmuv3Available"] is True

    def pci_ids(self, bdf: str) -> tuple[str, str]:
        return str(self._device(bdf, "vendor", "vendor")), str(self._device(bdf, "device", "device"))

    def pci_numa_node(self, bdf: str) -> int:
        node = int(self._device(bdf, "numaNode", "numa_node"))
        if node < 0:
            raise GraceError(f"invalid NUMA node {node}")
        return node

    def pci_hole64_size_bytes(self, bdf: str) -> int:
        return int(self._device(bdf, "bar64PrefBytes", "resource"))

    def pci_capabilities(self, bdf: str) -> dict[str, str]:
        given = obj(obj(self.devices.get(bdf)).get("capabilities"))
        return {key: str(given.get(key) or default) for key, default in DEFAULT_CAPABILITIES.items()}

    def guest_initiator_host_nodes(self) -> list[int]:
        return [int(n) for n in self.facts.get("giNodes") or []]

    def guest_initiator_host_nodes_for_device(self, bdf: str) -> list[int]:
        return [int(n) for n in obj(self.devices.get(bdf)).get("giNodes") or []]

    def numa_distances(self, node: int) -> dict[int, int]:
        distances = obj(self.facts.get("numaDistances")).get(str(node))
        if not isinstance(distances, dict):
            raise _missing(f"{_SYSFS_NODE}/node{node}/distance")
        return {int(k): int(v) for k, v in distances.items()}


# ---------------------------------------------------------------- preflight


def requested(ctx: Context) -> bool:
    return bool(ctx.grace_host_device_aliases)


def validate_conversion(vmi: JSON, ctx: Context) -> None:
    """The launcher's preflight: every prerequisite of a Grace conversion."""
    if not requested(ctx):
        return
    cpu = domain_spec(vmi).get("cpu")
    annotations = obj(metadata(vmi).get("annotations"))
    checks = [
        (ctx.grace_io_virtualization_enabled,
         "GraceIOVirtualization conversion requested without the GraceIOVirtualization feature gate"),
        (ctx.pci_numa_aware_topology_enabled, "GraceIOVirtualization requires PCINUMAAwareTopology for PCI placement"),
        (ctx.iommufd_enabled, "GraceIOVirtualization requires an IOMMUFD file descriptor in virt-launcher"),
        (isinstance(cpu, dict) and cpu.get("dedicatedCpuPlacement") is True,
         "GraceIOVirtualization requires dedicated CPU placement"),
        (ctx.arch.pcie_placement,
         f"GraceIOVirtualization requires PCIe placement support on architecture {ctx.arch.name}"),
        (annotations.get("kubevirt.io/disablePCIHole64") != "true",
         "GraceIOVirtualization requires the 64-bit PCI hole"),
        (annotations.get("kubevirt.io/placePCIDevicesOnRootComplex") != "true",
         "GraceIOVirtualization cannot be combined with PCI root-complex placement"),
    ]
    for ok, message in checks:
        if not ok:
            raise GraceError(message)


# ---------------------------------------------------------------- conversion


@dataclass(slots=True)
class VerifiedDevice:
    alias: str
    source_address: str
    host_device: HostDevice
    vendor_id: str
    device_id: str


@dataclass(slots=True)
class _GraceDevice:
    verified: VerifiedDevice
    guest_numa_node: int
    guest_gi_nodes: list[int]
    capabilities: dict[str, str] = field(default_factory=dict)


def configure(domain: Domain, aliases: list[str], iommufd_available: bool, facts: GraceFacts,
              ctx: Context | None = None) -> None:
    """Grace IO virtualization of the hostdevs named by `aliases`.

    `ctx` supplies the NUMA facts for any other PCI hostdev the expander-bus
    placement meets on the way.
    """
    if not aliases:
        return
    if not iommufd_available:
        raise GraceError("GraceIOVirtualization requires an IOMMUFD file descriptor in virt-launcher")
    try:
        smmuv3 = facts.smmuv3_available()
    except GraceError as err:
        raise GraceError(f"failed to verify SMMUv3 availability for GraceIOVirtualization: {err}") from None
    if not smmuv3:
        raise GraceError("GraceIOVirtualization requires SMMUv3 on the host")
    verified = verify_host_devices(domain, aliases, facts)
    if not verified:
        return
    devices, guest_to_host, pci_hole_bytes = _prepare(domain, verified, facts)
    ensure_pcie_root_controller(domain)
    _place(domain, devices, ctx or Context())
    apply_pci_hole64(domain, pci_hole_bytes)
    _apply_numa_distances(domain, guest_to_host, facts)


def verify_host_devices(domain: Domain, aliases: list[str], facts: GraceFacts) -> list[VerifiedDevice]:
    expected = {alias: False for alias in aliases if alias}
    if not expected:
        return []
    verified = []
    for device in domain.devices.hostdevs if domain.devices is not None else []:
        alias = _alias_name(device)
        if alias is None or alias not in expected:
            continue
        expected[alias] = True
        verified.append(_verify(device, alias, facts))
    missing = sorted(alias for alias, found in expected.items() if not found)
    if missing:
        raise GraceError(f"GraceIOVirtualization expected hostdev aliases {', '.join(missing)}, "
                         "but no matching host devices were assigned")
    return sorted(verified, key=lambda v: v.alias)


def _alias_name(device: HostDevice) -> str | None:
    """The user alias without KubeVirt's `ua-` prefix (how KubeVirt compares them)."""
    if device.alias is None or device.alias.name is None:
        return None
    return device_name(device.alias.name)


def _verify(device: HostDevice, alias: str, facts: GraceFacts) -> VerifiedDevice:
    if device.type != PCI:
        raise GraceError(f'GraceIOVirtualization requires PCI hostdev "{alias}", got "{device.type or ""}"')
    source = device.source.address if device.source is not None else None
    if source is None:
        raise GraceError(f'GraceIOVirtualization requires assigned PCI source address for hostdev "{alias}"')
    if device.address is not None:
        raise GraceError(f'GraceIOVirtualization does not support explicit guest PCI address on hostdev "{alias}"')
    bdf = pci_address_to_string(source)
    try:
        vendor, device_id = facts.pci_ids(bdf)
    except GraceError as err:
        raise GraceError(f'failed to read PCI identity for Grace hostdev "{alias}" at {bdf}: {err}') from None
    if not is_nvidia_grace_gpu(vendor, device_id):
        raise GraceError(
            f'GraceIOVirtualization expected hostdev "{alias}" at {bdf} to be a supported NVIDIA Grace GPU, '
            f"got vendor {normalize_pci_id(vendor)} device {normalize_pci_id(device_id)}")
    return VerifiedDevice(alias, bdf, device, normalize_pci_id(vendor), normalize_pci_id(device_id))


def _prepare(
    domain: Domain, verified: list[VerifiedDevice], facts: GraceFacts
) -> tuple[list[_GraceDevice], dict[int, int], int]:
    guest_to_host = cpu_guest_to_host_numa_map(domain)
    host_to_guest = _host_to_guest(guest_to_host)
    gi_by_device, correlated = _host_gi_nodes_by_device(verified, facts)
    gi_nodes: list[int] = []
    if not correlated:
        gi_nodes = facts.guest_initiator_host_nodes()
        required = len(verified) * GI_NODES_PER_GPU
        if len(gi_nodes) < required:
            raise GraceError(f"GraceIOVirtualization requires {required} host Generic Initiator NUMA nodes for "
                             f"{len(verified)} Grace GPU(s), found {len(gi_nodes)}")
    next_cell = next_numa_cell_id(domain)
    devices: list[_GraceDevice] = []
    total_hole = 0
    for index, dev in enumerate(verified):
        where = f'Grace hostdev "{dev.alias}" at {dev.source_address}'
        try:
            host_node = facts.pci_numa_node(dev.source_address)
        except GraceError as err:
            raise GraceError(f"failed to read NUMA node for {where}: {err}") from None
        if host_node not in host_to_guest:
            raise GraceError(f'Grace hostdev "{dev.alias}" is on host NUMA node {host_node}, '
                             "but no guest NUMA cell maps to that host node")
        try:
            bar_bytes = facts.pci_hole64_size_bytes(dev.source_address)
        except GraceError as err:
            raise GraceError(f"failed to calculate pcihole64 for {where}: {err}") from None
        if bar_bytes == 0:
            raise GraceError(f"{where} has no 64-bit prefetchable PCI BARs for pcihole64 sizing")
        hole = pci_hole64_size_bytes(dev, bar_bytes)
        if hole > _UINT64_MAX - total_hole:
            raise GraceError(f'Grace pcihole64 size overflows while adding hostdev "{dev.alias}" at '
                             f"{dev.source_address}")
        total_hole += hole
        guest_gi = list(range(next_cell, next_cell + GI_NODES_PER_GPU))
        next_cell += GI_NODES_PER_GPU
        host_gi = gi_by_device[dev.source_address] if correlated else \
            gi_nodes[index * GI_NODES_PER_GPU:(index + 1) * GI_NODES_PER_GPU]
        guest_to_host.update(zip(guest_gi, host_gi, strict=True))
        dev.host_device.driver = HostDevDriver(iommufd="yes")
        dev.host_device.acpi = ACPIHostDev(nodeset=format_node_set(guest_gi))
        _append_gi_cells(domain, guest_gi)
        devices.append(_GraceDevice(dev, host_to_guest[host_node], guest_gi,
                                    facts.pci_capabilities(dev.source_address)))
    return devices, guest_to_host, total_hole


def pci_hole64_size_bytes(device: VerifiedDevice, bar_bytes: int) -> int:
    # NVIDIA's Grace I/O guide wants a power-of-two aperture; 512 GiB per GPU
    # makes 1, 2 and 4 GPUs round to 1, 2 and 4 TiB.
    floor = PCI_HOLE64_FLOOR_BYTES if is_nvidia_grace_gpu(device.vendor_id, device.device_id) else 0
    return max(bar_bytes, floor)


def _host_gi_nodes_by_device(verified: list[VerifiedDevice], facts: GraceFacts) -> tuple[dict[str, list[int]], bool]:
    by_device: dict[str, list[int]] = {}
    owners: dict[int, str] = {}
    any_correlated = False
    for dev in verified:
        nodes = sorted(facts.guest_initiator_host_nodes_for_device(dev.source_address))
        if not nodes:
            continue
        any_correlated = True
        if len(nodes) != GI_NODES_PER_GPU:
            raise GraceError(f"GraceIOVirtualization requires exactly {GI_NODES_PER_GPU} host Generic Initiator "
                             f'NUMA nodes for hostdev "{dev.alias}" at {dev.source_address}, found {len(nodes)}')
        for node in nodes:
            if node in owners:
                raise GraceError(f"Grace Generic Initiator NUMA node {node} is associated with multiple Grace "
                                 f"hostdevs ({owners[node]} and {dev.alias})")
            owners[node] = dev.alias
        by_device[dev.source_address] = nodes
    if not any_correlated:
        return {}, False
    if len(by_device) != len(verified):
        missing = ", ".join(f"{d.alias} at {d.source_address}" for d in verified if d.source_address not in by_device)
        raise GraceError("Grace Generic Initiator NUMA nodes were correlated for some but not all Grace hostdevs; "
                         f"missing correlations for {missing}")
    return by_device, True


def _place(domain: Domain, devices: list[_GraceDevice], ctx: Context) -> None:
    isolated = {}
    overrides = {}
    for dev in devices:
        caps = dev.capabilities
        isolated[dev.verified.source_address] = IOMMUDevice(model="smmuv3", driver=IOMMUDriver(
            accel=caps["accel"], ats=caps["ats"], ril=caps["ril"], ssid_size=caps["ssidSize"], oas=caps["oas"]))
        overrides[dev.verified.source_address] = dev.guest_numa_node
    try:
        place_pci_devices_with_numa_alignment(domain, ctx, isolated_devices=isolated, numa_overrides=overrides)
    except PCIPlacementError as err:
        raise GraceError(str(err)) from None


# ---------------------------------------------------------------- NUMA cells


def _cells(domain: Domain) -> list[NUMACell] | None:
    numa = domain.cpu.numa if domain.cpu is not None else None
    return None if numa is None else numa.cells


def cpu_guest_to_host_numa_map(domain: Domain) -> dict[int, int]:
    cells = _cells(domain)
    if not cells:
        raise GraceError("GraceIOVirtualization requires guest NUMA cells")
    if domain.numatune is None or not domain.numatune.memnodes:
        raise GraceError("GraceIOVirtualization requires NUMATune memnodes to map guest NUMA cells to host NUMA nodes")
    mapping: dict[int, int] = {}
    for mem_node in domain.numatune.memnodes:
        nodeset = "" if mem_node.nodeset is None else str(mem_node.nodeset)
        try:
            host_node = _single_node(nodeset)
        except ValueError as err:
            raise GraceError(f'invalid NUMATune memnode nodeset "{nodeset}" for guest cell '
                             f"{mem_node.cellid}: {err}") from None
        mapping[int(mem_node.cellid or 0)] = host_node
    for cell in cells:
        cell_id = parse_cell_id(cell.id)
        if cell_requires_host_mapping(cell) and cell_id not in mapping:
            raise GraceError(f"GraceIOVirtualization requires NUMATune memnode mapping for guest NUMA cell {cell_id}")
    return mapping


def _single_node(nodeset: str) -> int:
    if any(c in nodeset for c in ",- "):
        raise ValueError("nodeset must contain exactly one host NUMA node")
    if not re.fullmatch(r"\d+", nodeset) or int(nodeset) >= 2**32:
        raise ValueError(f'strconv.ParseUint: parsing "{nodeset}": invalid syntax')
    return int(nodeset)


def _host_to_guest(guest_to_host: dict[int, int]) -> dict[int, int]:
    host_to_guest: dict[int, int] = {}
    for guest, host in guest_to_host.items():
        if host in host_to_guest:
            raise GraceError(f"host NUMA node {host} maps to multiple guest NUMA cells "
                             f"({host_to_guest[host]} and {guest})")
        host_to_guest[host] = guest
    return host_to_guest


def parse_cell_id(cell_id: Any) -> int:
    text = "" if cell_id is None else str(cell_id)
    if not re.fullmatch(r"\d+", text) or int(text) >= 2**32:
        raise GraceError(f'invalid NUMA cell ID "{text}": strconv.ParseUint: parsing "{text}": invalid syntax')
    return int(text)


def cell_requires_host_mapping(cell: NUMACell) -> bool:
    """Cells with CPUs or memory need a host node; memoryless Grace GI cells do not."""
    if cell.cpus not in (None, ""):
        return True
    return cell.memory is None or int(cell.memory) > 0


def next_numa_cell_id(domain: Domain) -> int:
    cells = _cells(domain)
    if cells is None:
        raise GraceError("GraceIOVirtualization requires guest NUMA cells")
    return max((parse_cell_id(cell.id) for cell in cells), default=0) + 1


def _append_gi_cells(domain: Domain, nodes: list[int]) -> None:
    cells = _cells(domain)
    assert cells is not None
    cells.extend(NUMACell(id=str(node), memory=0, unit="KiB") for node in nodes)


def format_node_set(nodes: list[int]) -> str:
    if not nodes:
        return ""
    return str(nodes[0]) if len(nodes) == 1 else f"{nodes[0]}-{nodes[-1]}"


def _apply_numa_distances(domain: Domain, guest_to_host: dict[int, int], facts: GraceFacts) -> None:
    cells = _cells(domain)
    if cells is None:
        raise GraceError("GraceIOVirtualization requires guest NUMA cells for distance mapping")
    guest_ids = sorted(guest_to_host)
    for cell in cells:
        cell_id = parse_cell_id(cell.id)
        if cell_id not in guest_to_host:
            continue
        host_node = guest_to_host[cell_id]
        try:
            host_distances = facts.numa_distances(host_node)
        except GraceError as err:
            raise GraceError(f"failed to read host NUMA distances for node {host_node}: {err}") from None
        siblings = []
        for sibling in guest_ids:
            host_sibling = guest_to_host[sibling]
            if host_sibling not in host_distances:
                raise GraceError(f"missing host NUMA distance from node {host_node} to node {host_sibling}")
            distance = host_distances[host_sibling]
            # 10 means "local" to the guest; related but distinct host GI nodes may report it.
            if sibling != cell_id and distance == 10:
                distance = 11
            siblings.append(NUMACellSibling(id=str(sibling), value=distance))
        cell.distances = NUMACellDistances(siblings=siblings)


# ---------------------------------------------------------------- pcihole64


def calculate_pci_hole64_kib(size_bytes: int, margin_kib: int) -> int:
    """Bytes → KiB plus margin, rounded up to a power of two; 0 on uint64 overflow."""
    if size_bytes == 0:
        return 0
    size_kib = -(-size_bytes // 1024)
    if size_kib > _UINT64_MAX - margin_kib:
        return 0
    size_kib += margin_kib
    rounded = 1
    while rounded < size_kib:
        if rounded > _UINT64_MAX // 2:
            return 0
        rounded <<= 1
    return rounded


def apply_pci_hole64(domain: Domain, pci_hole_bytes: int) -> None:
    kib = calculate_pci_hole64_kib(pci_hole_bytes, PCI_HOLE64_MARGIN_KIB)
    if kib == 0 or kib > MAX_PCI_HOLE64_KIB or kib > _UINT_MAX:
        raise GraceError(f"invalid Grace pcihole64 size {kib} KiB")
    root = ensure_pcie_root_controller(domain)
    if root.pcihole64 is not None and str(root.pcihole64.value) == "0":
        raise GraceError("GraceIOVirtualization conflicts with disabled pcihole64 on the PCIe root controller")
    root.pcihole64 = PCIHole64(value=kib, unit="KiB")


def ensure_pcie_root_controller(domain: Domain) -> Controller:
    assert domain.devices is not None
    controllers = domain.devices.controllers
    for controller in controllers:
        if controller.type != PCI or controller.model != PCIE_ROOT:
            continue
        if controller.index in (None, ""):
            controller.index = "0"
        if str(controller.index) != "0":
            raise GraceError(f'GraceIOVirtualization requires the PCIe root controller at index 0, '
                             f'found index "{controller.index}"')
        return controller
    for controller in controllers:
        if controller.type == PCI and str(controller.index) == "0":
            raise GraceError(f"GraceIOVirtualization requires PCI controller index 0 to be pcie-root, "
                             f'found model "{controller.model or ""}"')
    root = Controller(type=PCI, index="0", model=PCIE_ROOT)
    controllers.append(root)
    return root


def configure_for(domain: Domain, ctx: Context) -> None:
    """The converter's Grace step, reading the host facts from the context."""
    configure(domain, ctx.grace_host_device_aliases, ctx.iommufd_enabled, GraceFacts(ctx.grace), ctx)
