"""Grace IO virtualization: ported from KubeVirt converter/grace_test.go.

KubeVirt's fake runtime-info provider becomes the `context.grace` facts. The three "Grace sysfs runtime info"
cases that parse sysfs files (has_generic_initiator, BDF symlinks, the PCI resource file) have no counterpart:
the caller supplies those results.
"""

from __future__ import annotations

from typing import Any

import pytest

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.context import context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.domain.model import (
    CPU,
    NUMA,
    Address,
    Controller,
    Domain,
    HostDevice,
    HostDeviceSource,
    MemNode,
    NUMACell,
    NUMACellSibling,
    NUMATune,
    PCIHole64,
)
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain
from vmi_converter.converter.placement import grace
from vmi_converter.converter.placement.pci import place_pci_devices

GIB = 1024 * 1024 * 1024


class Facts:
    """Builder for `context.grace`, shaped like KubeVirt's fakeGraceRuntimeInfoProvider."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {"smmuv3Available": True, "devices": {}, "giNodes": [], "numaDistances": {}}

    def add_gpu(self, bdf: str, numa_node: int, bar_bytes: int) -> Facts:
        self.data["devices"][bdf] = {"vendor": "0x10de", "device": "0x2342", "numaNode": numa_node,
                                     "bar64PrefBytes": bar_bytes}
        return self

    def gi_nodes(self, nodes: list[int]) -> Facts:
        self.data["giNodes"] = nodes
        return self

    def device_gi_nodes(self, bdf: str, nodes: list[int]) -> Facts:
        self.data["devices"][bdf]["giNodes"] = nodes
        return self

    def distances(self, nodes: list[int]) -> Facts:
        for src in nodes:
            self.data["numaDistances"][str(src)] = {str(dst): 10 if src == dst else 80 for dst in nodes}
        return self

    def distance(self, src: int, dst: int, value: int) -> Facts:
        self.data["numaDistances"][str(src)][str(dst)] = value
        return self

    def provider(self) -> grace.GraceFacts:
        return grace.GraceFacts(self.data)


def span(start: int, end: int) -> list[int]:
    return list(range(start, end + 1))


def gpu(alias: str, bus: str, device_type: str = "pci") -> HostDevice:
    return HostDevice(type=device_type, alias=user_alias(alias),
                      source=HostDeviceSource(address=Address(domain="0x0000", bus=bus, slot="0x00", function="0x0")))


def grace_domain(*hostdevs: HostDevice) -> Domain:
    domain = new_domain()
    domain.cpu = CPU(numa=NUMA(cells=[NUMACell(id="0", cpus="0-1", memory=1024, unit="KiB")]))
    domain.numatune = NUMATune(memnodes=[MemNode(cellid=0, mode="strict", nodeset="0")])
    assert domain.devices is not None
    domain.devices.controllers = [Controller(type="pci", index="0", model="pcie-root")]
    domain.devices.hostdevs = list(hostdevs)
    return domain


def root(domain: Domain) -> Controller:
    assert domain.devices is not None
    return next(c for c in domain.devices.controllers if c.model == "pcie-root")


def models(domain: Domain) -> list[str]:
    assert domain.devices is not None
    return [str(c.model) for c in domain.devices.controllers]


def expander_indexes(domain: Domain) -> list[str]:
    assert domain.devices is not None
    return [str(c.index) for c in domain.devices.controllers if c.model == "pcie-expander-bus"]


def cells(domain: Domain) -> list[NUMACell]:
    assert domain.cpu is not None and domain.cpu.numa is not None
    return domain.cpu.numa.cells


def sibling(cell: NUMACell, target: str) -> NUMACellSibling:
    assert cell.distances is not None
    return next(s for s in cell.distances.siblings if s.id == target)


def standard_facts(*bdfs: str, gi_end: int = 9) -> Facts:
    facts = Facts()
    for bdf in bdfs:
        facts.add_gpu(bdf, 0, 16 * GIB)
    return facts.gi_nodes(span(2, gi_end)).distances([0, *span(2, gi_end)])


# ---------------------------------------------------------------- "Grace host device verification"


# KubeVirt: grace_test.go "verifies admitted Grace host devices by assigned PCI identity"
def test_verifies_grace_device() -> None:
    domain = grace_domain(gpu("gpu-gpu0", "0x81"))
    verified = grace.verify_host_devices(domain, ["gpu-gpu0"], Facts().add_gpu("0000:81:00.0", 0, 1).provider())
    assert [(v.alias, v.source_address, v.vendor_id, v.device_id) for v in verified] == [
        ("gpu-gpu0", "0000:81:00.0", "10DE", "2342")]
    assert domain.devices is not None and verified[0].host_device is domain.devices.hostdevs[0]


@pytest.mark.parametrize(
    ("hostdevs", "facts", "message"),
    [
        pytest.param([], {}, "expected hostdev aliases gpu-gpu0",
                     id="fails when an admitted Grace alias is not assigned"),
        pytest.param([HostDevice(type="mdev", alias=user_alias("gpu-gpu0"))], {}, "requires PCI hostdev",
                     id="fails when an admitted Grace alias is not a PCI hostdev"),
        pytest.param([HostDevice(type="pci", alias=user_alias("gpu-gpu0"))], {},
                     "requires assigned PCI source address",
                     id="fails when an admitted Grace hostdev has no PCI source address"),
        pytest.param([gpu("gpu-gpu0", "0x81")],
                     {"devices": {"0000:81:00.0": {"vendor": "0x10de", "device": "0x20b0"}}},
                     "to be a supported NVIDIA Grace GPU, got vendor 10DE device 20B0",
                     id="fails when the assigned PCI device is not a supported Grace GPU"),
    ],
)
def test_verification_failures(hostdevs: list[HostDevice], facts: dict[str, Any], message: str) -> None:
    with pytest.raises(grace.GraceError, match=message):
        grace.verify_host_devices(grace_domain(*hostdevs), ["gpu-gpu0"], grace.GraceFacts(facts))


# ---------------------------------------------------------------- pcihole64 floor


# KubeVirt: grace_test.go DescribeTable "uses a Grace pcihole64 device floor"
@pytest.mark.parametrize("device_id", ["2342", "2348", "2941"], ids=["GB200", "supported Grace", "GH200"])
def test_pcihole64_floor(device_id: str) -> None:
    verified = grace.VerifiedDevice("a", "b", HostDevice(), "10de", device_id)
    assert grace.pci_hole64_size_bytes(verified, 16 * GIB) == grace.PCI_HOLE64_FLOOR_BYTES


# KubeVirt: grace_test.go "keeps BAR-derived pcihole64 sizing when it is larger than the Grace floor" and
# "does not apply the Grace pcihole64 device floor to non-Grace PCI IDs"
@pytest.mark.parametrize(("vendor", "device", "bar"), [("10de", "2342", 2 << 40), ("1af4", "1041", 16 * GIB)])
def test_pcihole64_bar_size_kept(vendor: str, device: str, bar: int) -> None:
    assert grace.pci_hole64_size_bytes(grace.VerifiedDevice("a", "b", HostDevice(), vendor, device), bar) == bar


# ---------------------------------------------------------------- "Grace conversion preflight"

GRACE_VMI: dict[str, Any] = {"metadata": {"annotations": {}},
                             "spec": {"domain": {"cpu": {"dedicatedCpuPlacement": True}}}}
GRACE_CTX: dict[str, Any] = {"architecture": "arm64", "graceIOVirtualizationEnabled": True,
                             "pciNUMAAwareTopologyEnabled": True, "iommufdEnabled": True,
                             "graceHostDeviceAliases": ["gpu-gpu0"]}


@pytest.mark.parametrize(
    ("annotation", "context", "message"),
    [
        pytest.param(None, {"iommufdEnabled": False}, "requires an IOMMUFD file descriptor",
                     id="fails closed when the IOMMUFD file descriptor was not received"),
        pytest.param("kubevirt.io/disablePCIHole64", {}, "requires the 64-bit PCI hole",
                     id="rejects disabling the 64-bit PCI hole"),
        pytest.param("kubevirt.io/placePCIDevicesOnRootComplex", {}, "root-complex placement",
                     id="rejects root-complex placement"),
        pytest.param(None, {"graceIOVirtualizationEnabled": False},
                     "^GraceIOVirtualization conversion requested without the GraceIOVirtualization feature gate$",
                     id="feature gate"),
        pytest.param(None, {"pciNUMAAwareTopologyEnabled": False}, "requires PCINUMAAwareTopology",
                     id="PCI NUMA-aware topology"),
        pytest.param(None, {"architecture": "s390x"}, "requires PCIe placement support on architecture s390x",
                     id="PCIe placement"),
    ],
)
def test_preflight(annotation: str | None, context: dict[str, Any], message: str) -> None:
    vmi = {"metadata": {"annotations": {annotation: "true"} if annotation else {}}, "spec": GRACE_VMI["spec"]}
    with pytest.raises(grace.GraceError, match=message):
        grace.validate_conversion(vmi, context_from_dict({**GRACE_CTX, **context}))


def test_preflight_requires_dedicated_cpus() -> None:
    vmi = {"spec": {"domain": {}}}
    with pytest.raises(ConversionError) as err:
        place_pci_devices(vmi, grace_domain(), context_from_dict(GRACE_CTX))
    assert (err.value.field, err.value.message) == (
        "context.graceHostDeviceAliases", "GraceIOVirtualization requires dedicated CPU placement")


# ---------------------------------------------------------------- "Grace domain conversion"


def configure(domain: Domain, aliases: list[str], facts: Facts, iommufd: bool = True) -> None:
    grace.configure(domain, aliases, iommufd, facts.provider())


# KubeVirt: grace_test.go "adds SMMUv3, hostdev ACPI, GI NUMA cells, distances, and pcihole64 for one Grace GPU"
def test_one_grace_gpu() -> None:
    facts = standard_facts("0000:81:00.0")
    facts.data["devices"]["0000:81:00.0"]["capabilities"] = {"ssidSize": "20", "oas": "48"}
    domain = grace_domain(gpu("gpu-gpu0", "0x81"))
    configure(domain, ["gpu-gpu0"], facts)
    assert domain.devices is not None
    assert to_xml(domain.devices.hostdevs[0]) == (
        '<hostdev type="pci">\n'
        "  <source>\n"
        '    <address domain="0x0000" bus="0x81" slot="0x00" function="0x0"/>\n'
        "  </source>\n"
        '  <driver iommufd="yes"/>\n'
        '  <acpi nodeset="1-8"/>\n'
        '  <alias name="ua-gpu-gpu0"/>\n'
        '  <address type="pci" domain="0x0000" bus="2" slot="0x00" function="0x0"/>\n'
        "</hostdev>\n")
    assert [to_xml(i) for i in domain.devices.iommus] == [
        '<iommu model="smmuv3">\n'
        '  <driver pciBus="1" accel="on" ats="on" ril="off" ssidSize="20" oas="48"/>\n'
        "</iommu>\n"]
    assert expander_indexes(domain) == ["1"]
    assert root(domain).pcihole64 == PCIHole64(value=1073741824, unit="KiB")
    assert len(cells(domain)) == 9
    assert (cells(domain)[1].memory, cells(domain)[1].unit) == (0, "KiB")
    assert sibling(cells(domain)[0], "1").value == 80 and sibling(cells(domain)[1], "0").value == 80
    assert sibling(cells(domain)[1], "1").value == 10 and sibling(cells(domain)[1], "2").value == 80


# KubeVirt: grace_test.go "adds default SMMUv3 address capabilities"
def test_default_capabilities() -> None:
    domain = grace_domain(gpu("gpu-gpu0", "0x81"))
    configure(domain, ["gpu-gpu0"], standard_facts("0000:81:00.0"))
    assert domain.devices is not None and domain.devices.iommus[0].driver is not None
    driver = domain.devices.iommus[0].driver
    assert (driver.ssid_size, driver.oas) == ("20", "48")


# KubeVirt: grace_test.go "creates an explicit PCIe root controller before placing Grace PCI devices"
def test_creates_root_controller() -> None:
    domain = grace_domain(gpu("gpu-gpu0", "0x81"))
    assert domain.devices is not None
    domain.devices.controllers = []
    configure(domain, ["gpu-gpu0"], standard_facts("0000:81:00.0"))
    assert domain.devices.controllers[0] == Controller(
        type="pci", index="0", model="pcie-root", pcihole64=PCIHole64(value=1073741824, unit="KiB"))
    assert models(domain).count("pcie-root") == 1 and models(domain).count("pcie-expander-bus") == 1


# KubeVirt: grace_test.go "uses one pcie-expander-bus and SMMUv3 IOMMU per Grace GPU"
def test_one_expander_bus_per_gpu() -> None:
    domain = grace_domain(gpu("gpu-gpu0", "0x81"), gpu("gpu-gpu1", "0x82"))
    configure(domain, ["gpu-gpu0", "gpu-gpu1"], standard_facts("0000:81:00.0", "0000:82:00.0", gi_end=17))
    assert domain.devices is not None and len(domain.devices.iommus) == 2
    assert sorted(str(i.driver.pci_bus) for i in domain.devices.iommus if i.driver) == sorted(expander_indexes(domain))
    assert len(expander_indexes(domain)) == 2
    assert [h.acpi.nodeset if h.acpi else None for h in domain.devices.hostdevs] == ["1-8", "9-16"]
    assert root(domain).pcihole64 == PCIHole64(value=2147483648, unit="KiB")


# KubeVirt: grace_test.go "sets 4 TiB pcihole64 for four Grace GPUs"
def test_four_gpus() -> None:
    bdfs = ["0000:81:00.0", "0000:82:00.0", "0000:83:00.0", "0000:84:00.0"]
    domain = grace_domain(*(gpu(f"gpu-gpu{i}", f"0x8{i + 1}") for i in range(4)))
    configure(domain, [f"gpu-gpu{i}" for i in range(4)], standard_facts(*bdfs, gi_end=33))
    assert domain.devices is not None and len(domain.devices.iommus) == 4
    assert root(domain).pcihole64 == PCIHole64(value=4294967296, unit="KiB")


# KubeVirt: grace_test.go "uses per-device correlated host Generic Initiator NUMA nodes"
def test_correlated_gi_nodes() -> None:
    facts = Facts().add_gpu("0000:81:00.0", 0, 16 * GIB).add_gpu("0000:82:00.0", 0, 16 * GIB)
    facts.device_gi_nodes("0000:81:00.0", span(10, 17)).device_gi_nodes("0000:82:00.0", span(2, 9))
    facts.distances([0, *span(2, 17)])
    for node in span(10, 17):
        facts.distance(0, node, 40)
    domain = grace_domain(gpu("gpu-gpu0", "0x81"), gpu("gpu-gpu1", "0x82"))
    configure(domain, ["gpu-gpu0", "gpu-gpu1"], facts)
    assert domain.devices is not None
    assert [h.acpi.nodeset if h.acpi else None for h in domain.devices.hostdevs] == ["1-8", "9-16"]
    assert sibling(cells(domain)[0], "1").value == 40 and sibling(cells(domain)[0], "9").value == 80


# KubeVirt: grace_test.go failure cases of "Grace domain conversion"
def test_partial_gi_correlation() -> None:
    # KubeVirt: grace_test.go "fails when Generic Initiator NUMA correlation is partial"
    facts = standard_facts("0000:81:00.0", "0000:82:00.0").device_gi_nodes("0000:81:00.0", span(2, 9))
    domain = grace_domain(gpu("gpu-gpu0", "0x81"), gpu("gpu-gpu1", "0x82"))
    with pytest.raises(grace.GraceError, match="correlated for some but not all Grace hostdevs"):
        configure(domain, ["gpu-gpu0", "gpu-gpu1"], facts)


@pytest.mark.parametrize(
    ("setup", "iommufd", "message"),
    [
        pytest.param(None, False, "requires an IOMMUFD file descriptor",
                     id="fails when the IOMMUFD file descriptor is not available"),
        pytest.param(lambda f, d: f.data.update(smmuv3Available=False), True, "requires SMMUv3",
                     id="fails when SMMUv3 is not available"),
        pytest.param(lambda f, d: f.gi_nodes(span(2, 4)), True, "requires 8 host Generic Initiator NUMA nodes",
                     id="fails when there are not enough host Generic Initiator NUMA nodes"),
        pytest.param(lambda f, d: setattr(d.cpu, "numa", None), True, "requires guest NUMA cells",
                     id="fails when guest NUMA cells are missing"),
        pytest.param(lambda f, d: setattr(d.numatune, "memnodes", []), True, "requires NUMATune memnodes",
                     id="fails when NUMATune memnodes are missing"),
        pytest.param(lambda f, d: (cells(d).append(NUMACell(id="1", cpus="2-3", memory=1024, unit="KiB")),
                                   d.numatune.memnodes.append(MemNode(cellid=1, mode="strict", nodeset="0"))),
                     True, "maps to multiple guest NUMA cells",
                     id="fails when NUMATune memnodes map one host NUMA node to multiple guest cells"),
        pytest.param(lambda f, d: f.data["devices"]["0000:81:00.0"].update(bar64PrefBytes=0), True,
                     "has no 64-bit prefetchable PCI BARs",
                     id="fails when a Grace GPU has no 64-bit prefetchable BARs"),
        pytest.param(lambda f, d: cells(d).append(NUMACell(id="99")), True,
                     "requires NUMATune memnode mapping for guest NUMA cell 99",
                     id="requires host mapping for NUMA cells with unspecified memory"),
    ],
)
def test_conversion_failures(setup: Any, iommufd: bool, message: str) -> None:
    facts = standard_facts("0000:81:00.0")
    domain = grace_domain(gpu("gpu-gpu0", "0x81"))
    if setup is not None:
        setup(facts, domain)
    with pytest.raises(grace.GraceError, match=message):
        configure(domain, ["gpu-gpu0"], facts, iommufd)


# KubeVirt: grace_test.go "fails when Grace GPU pcihole64 sizing overflows"
def test_pcihole64_overflow() -> None:
    facts = Facts().add_gpu("0000:81:00.0", 0, 2**64 - 1).add_gpu("0000:82:00.0", 0, 1).gi_nodes(span(2, 17))
    domain = grace_domain(gpu("gpu-gpu0", "0x81"), gpu("gpu-gpu1", "0x82"))
    with pytest.raises(grace.GraceError, match="pcihole64 size overflows"):
        configure(domain, ["gpu-gpu0", "gpu-gpu1"], facts)


# KubeVirt: grace_test.go "detects Grace pcihole64 sizing overflow before applying the controller value"
def test_pcihole64_kib_overflow() -> None:
    assert grace.calculate_pci_hole64_kib(2**64 - 1, 2**64 - 1) == 0


# KubeVirt: grace_test.go "fails when Grace pcihole64 sizing exceeds the maximum aperture"
def test_pcihole64_above_maximum() -> None:
    with pytest.raises(grace.GraceError, match="invalid Grace pcihole64 size"):
        grace.apply_pci_hole64(grace_domain(), grace.MAX_PCI_HOLE64_KIB * 1024)


# KubeVirt: grace_test.go "fails when Grace pcihole64 conflicts with a disabled root-controller aperture"
def test_pcihole64_conflicts_with_disabled_hole() -> None:
    domain = grace_domain()
    root(domain).pcihole64 = PCIHole64(value=0, unit="KiB")
    with pytest.raises(grace.GraceError, match="conflicts with disabled pcihole64"):
        grace.apply_pci_hole64(domain, 16 * GIB)


# KubeVirt: grace_test.go "creates a PCIe root controller when applying Grace pcihole64 to an implicit root complex"
# and "normalizes an existing PCIe root controller with an implicit index"
@pytest.mark.parametrize("existing", [[], [Controller(type="pci", model="pcie-root")]], ids=["implicit", "no index"])
def test_pcihole64_root_controller(existing: list[Controller]) -> None:
    domain = grace_domain()
    assert domain.devices is not None
    domain.devices.controllers = existing
    grace.apply_pci_hole64(domain, 16 * GIB)
    assert domain.devices.controllers == [
        Controller(type="pci", index="0", model="pcie-root", pcihole64=PCIHole64(value=33554432, unit="KiB"))]


# KubeVirt: grace_test.go "rejects a PCIe root controller with a non-zero index" and
# "rejects creating a duplicate PCI controller index zero"
@pytest.mark.parametrize(
    ("controller", "message"),
    [
        pytest.param(Controller(type="pci", index="3", model="pcie-root"),
                     "requires the PCIe root controller at index 0", id="non-zero index"),
        pytest.param(Controller(type="pci", index="0", model="pcie-root-port"),
                     "requires PCI controller index 0 to be pcie-root", id="duplicate index zero"),
    ],
)
def test_pcihole64_bad_root_controller(controller: Controller, message: str) -> None:
    domain = grace_domain()
    assert domain.devices is not None
    domain.devices.controllers = [controller]
    with pytest.raises(grace.GraceError, match=message):
        grace.apply_pci_hole64(domain, 16 * GIB)
    assert models(domain) == [controller.model]  # nothing was added


# KubeVirt: grace_test.go "does not require host mapping or distances for unmapped zero-memory NUMA cells"
def test_zero_memory_cell_needs_no_mapping() -> None:
    domain = grace_domain(gpu("gpu-gpu0", "0x81"))
    cells(domain).append(NUMACell(id="99", memory=0, unit="KiB"))
    configure(domain, ["gpu-gpu0"], standard_facts("0000:81:00.0"))
    assert next(c for c in cells(domain) if c.id == "99").distances is None


# KubeVirt: grace_test.go "documents which NUMA cells require host mapping"
def test_cells_requiring_host_mapping() -> None:
    assert not grace.cell_requires_host_mapping(NUMACell(id="1", memory=0))
    assert grace.cell_requires_host_mapping(NUMACell(id="1", memory=1024))
    assert grace.cell_requires_host_mapping(NUMACell(id="1"))
    assert grace.cell_requires_host_mapping(NUMACell(id="1", cpus="0"))


def test_grace_through_the_placement_step() -> None:
    # converter.go: with dedicated CPUs and Grace aliases the Grace path runs instead of the other placements.
    context = {**GRACE_CTX, "grace": standard_facts("0000:81:00.0").data}
    domain = grace_domain(gpu("gpu-gpu0", "0x81"))
    assert place_pci_devices(GRACE_VMI, domain, context_from_dict(context)) == []
    assert domain.devices is not None and domain.devices.hostdevs[0].acpi is not None
