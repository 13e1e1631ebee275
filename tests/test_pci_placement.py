"""PCI placement: ported from KubeVirt converter/pci-placement_test.go and the matching converter_test.go cases
("when all addresses should be placed at the root complex", "PCIe topology with NUMA alignment")."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from vmi_converter.converter.common.aliases import user_alias
from vmi_converter.converter.common.context import Context, context_from_dict
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.pci import (
    PCIPlacementError,
    new_pci_address,
    pci_address_field,
    pci_address_to_string,
)
from vmi_converter.converter.domain.model import (
    CPU,
    NUMA,
    Address,
    Controller,
    CPUTune,
    CPUTuneVCPUPin,
    Disk,
    DiskTarget,
    Domain,
    HostDevice,
    HostDeviceSource,
    Input,
    Interface,
    IOMMUDevice,
    IOMMUDriver,
    MemBalloon,
    MemNode,
    NUMACell,
    NUMATune,
    Rng,
    Watchdog,
)
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain
from vmi_converter.converter.placement.numa_expander import (
    MAX_EXPANDER_BUS_NR,
    _ExpanderBusAssigner,
    _HostFacts,
    current_controller_index,
    parse_cpuset,
    place_pci_devices_with_numa_alignment,
)
from vmi_converter.converter.placement.pci import place_pci_devices
from vmi_converter.converter.placement.root_complex import count_pci_devices, place_pci_devices_on_root_complex

# The fake sysfs of pci-placement_test.go: device → host NUMA node, node → CPUs.
SYSFS: dict[str, Any] = {
    "pciNumaNodes": {"0000:01:00.0": 0, "0000:02:00.0": 1, "0000:03:00.0": 0, "0000:04:00.0": 1, "0000:05:00.0": 0},
    "numaNodeCpus": {"0": "0-3", "1": [4, 5, 6, 7]},
}
CTX = context_from_dict(SYSFS)
DEFAULT_CELLS = [("0", "0-1"), ("1", "2-3")]
DEFAULT_PINS = [(0, "0"), (2, "4")]


def numa_domain(cells: list[tuple[str, str]] | None = None, pins: list[tuple[int, str]] | None = None) -> Domain:
    cells = DEFAULT_CELLS if cells is None else cells
    pins = DEFAULT_PINS if pins is None else pins
    domain = new_domain()
    if cells:
        domain.cpu = CPU(numa=NUMA(cells=[NUMACell(id=i, cpus=c) for i, c in cells]))
    if pins:
        domain.cputune = CPUTune(vcpupins=[CPUTuneVCPUPin(vcpu=v, cpuset=c) for v, c in pins])
    return domain


def pci_device(alias: str, bus: str) -> HostDevice:
    return HostDevice(type="pci", alias=user_alias(alias),
                      source=HostDeviceSource(address=Address(domain="0x0000", bus=bus, slot="0x00", function="0x0")))


def with_guest_address(device: HostDevice, bus: str, slot: str) -> HostDevice:
    device.address = new_pci_address(bus, slot)
    return device


def controllers(domain: Domain) -> list[Controller]:
    assert domain.devices is not None
    return domain.devices.controllers


def models(domain: Domain) -> list[str]:
    return [str(c.model) for c in controllers(domain)]


def hostdevs(domain: Domain) -> list[HostDevice]:
    assert domain.devices is not None
    return domain.devices.hostdevs


# ---------------------------------------------------------------- helpers


def test_pci_address_field() -> None:
    assert to_xml(pci_address_field("0000:81:01.0"), "address") == (
        '<address type="pci" domain="0x0000" bus="0x81" slot="0x01" function="0x0"/>\n')
    assert pci_address_to_string(pci_address_field("0000:81:01.0")) == "0000:81:01.0"


@pytest.mark.parametrize("bad", ["0000:81:01", "0000:81:01.8", "000:81:01.0", "invalid-pci-address"])
def test_pci_address_field_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match=f"^failed to parse pci address {bad}$"):
        pci_address_field(bad)


def test_parse_cpuset() -> None:
    assert parse_cpuset("0-3,8,10-11") == [0, 1, 2, 3, 8, 10, 11]
    with pytest.raises(ValueError, match="invalid syntax"):
        parse_cpuset("a-b")


# KubeVirt: pci-placement_test.go Describe "getCurrentControllerIndex"
def test_current_controller_index() -> None:
    domain = new_domain()
    controllers(domain).extend([Controller(model="pcie-root", index="0"),
                                Controller(model="pcie-root-port", index="4")])
    assert current_controller_index(domain) == 4


# ---------------------------------------------------------------- expanderBusAssigner addDevices


# KubeVirt: pci-placement_test.go DescribeTable "addDevices"
@pytest.mark.parametrize(
    ("devices", "domain", "expected"),
    [
        pytest.param([pci_device("pci1", "0x01"), HostDevice(type="usb"), pci_device("pci2", "0x02"),
                      HostDevice(type="scsi")], None, 2, id="filters non-PCI devices"),
        pytest.param([pci_device("pci1", "0x01"), HostDevice(type="pci")], None, 1,
                     id="filters devices without source address"),
        pytest.param([pci_device("pci1", "0x01"), with_guest_address(pci_device("pci2", "0x02"), "0x00", "0x07")],
                     None, 1, id="filters devices with existing guest PCI addresses"),
        pytest.param([pci_device("pci1", "0x01"),
                      HostDevice(type="pci", address=Address(type="pci", bus="0x00"),
                                 source=pci_device("", "0x02").source)],
                     None, 1, id="filters devices with partial guest PCI addresses"),
        pytest.param([pci_device("pci1", "0x01")], numa_domain([], []), 0, id="filters devices without NUMA affinity"),
        pytest.param([pci_device("device1", "0x01"), pci_device("device2", "0x02")], None, 2,
                     id="accepts PCI devices with NUMA affinity"),
    ],
)
def test_add_devices(devices: list[HostDevice], domain: Domain | None, expected: int) -> None:
    assigner = _ExpanderBusAssigner(domain or numa_domain(), _HostFacts(CTX))
    assigner.add_devices(devices)
    assert len(assigner.devices) == expected


# ---------------------------------------------------------------- PlaceNumaAlignedDevices


# KubeVirt: pci-placement_test.go DescribeTable "PlaceNumaAlignedDevices"
@pytest.mark.parametrize(
    ("devices", "domain", "expected_models"),
    [
        pytest.param([], None, [], id="handles empty device list"),
        pytest.param([pci_device("device1", "0x01")], None, ["pcie-expander-bus", "pcie-root-port"],
                     id="places single device on single NUMA node"),
        pytest.param([pci_device("device1", "0x01"), pci_device("device2", "0x03")], None,
                     ["pcie-expander-bus", "pcie-root-port", "pcie-root-port"],
                     id="places multiple devices on same NUMA node"),
        pytest.param([pci_device("device_numa0", "0x01"), pci_device("device_numa1", "0x02")], None,
                     ["pcie-expander-bus", "pcie-root-port", "pcie-expander-bus", "pcie-root-port"],
                     id="places devices on different NUMA nodes"),
        pytest.param([pci_device("device1", "0x01")], numa_domain([], []), [],
                     id="handles domain spec without NUMA topology"),
        pytest.param([pci_device("device1", "0x01")], numa_domain([("0", "0-1")], []), [],
                     id="handles domain spec without CPU affinity"),
    ],
)
def test_place_numa_aligned_devices(devices: list[HostDevice], domain: Domain | None,
                                    expected_models: list[str]) -> None:
    domain = domain or numa_domain()
    hostdevs(domain).extend(devices)
    place_pci_devices_with_numa_alignment(domain, CTX)
    assert models(domain) == expected_models


def expander_bus(domain: Domain, index: Any) -> Controller:
    return next(c for c in controllers(domain) if c.model == "pcie-expander-bus" and str(c.index) == str(index))


# KubeVirt: pci-placement_test.go "places isolated devices with IOMMU on the assigned expander bus"
def test_isolated_device_with_iommu() -> None:
    domain = numa_domain()
    hostdevs(domain).append(pci_device("isolated", "0x01"))
    iommu = IOMMUDevice(model="smmuv3", driver=IOMMUDriver(ats="on"))
    place_pci_devices_with_numa_alignment(domain, CTX, isolated_devices={"0000:01:00.0": iommu})
    assert domain.devices is not None
    assert [to_xml(i, "iommu") for i in domain.devices.iommus] == [
        '<iommu model="smmuv3">\n  <driver pciBus="1" ats="on"/>\n</iommu>\n']
    bus = expander_bus(domain, 1)
    assert bus.target is not None and bus.target.bus_nr == 254 and bus.target.numa_node == 0
    assert hostdevs(domain)[0].address == new_pci_address("2", "0x00")


# KubeVirt: pci-placement_test.go "splits isolated and normal devices on the same NUMA node"
def test_isolated_and_normal_devices() -> None:
    domain = numa_domain()
    hostdevs(domain).extend([pci_device("isolated", "0x01"), pci_device("normal", "0x03")])
    isolated = {"0000:01:00.0": IOMMUDevice(model="smmuv3", driver=IOMMUDriver())}
    place_pci_devices_with_numa_alignment(domain, CTX, isolated_devices=isolated)
    assert domain.devices is not None and len(domain.devices.iommus) == 1
    assert sorted(models(domain)) == ["pcie-expander-bus"] * 2 + ["pcie-root-port"] * 2
    assert all(dev.address is not None for dev in hostdevs(domain))


# KubeVirt: pci-placement_test.go "uses NUMA overrides when placing isolated devices"
def test_isolated_device_numa_override() -> None:
    domain = numa_domain()
    hostdevs(domain).append(pci_device("isolated", "0x01"))
    iommu = IOMMUDevice(model="smmuv3", driver=IOMMUDriver())
    place_pci_devices_with_numa_alignment(domain, CTX, isolated_devices={"0000:01:00.0": iommu},
                                          numa_overrides={"0000:01:00.0": 1})
    assert iommu.driver is not None
    bus = expander_bus(domain, iommu.driver.pci_bus)
    assert bus.target is not None and bus.target.numa_node == 1


# ---------------------------------------------------------------- PlacePCIDevicesWithNUMAAlignment


# KubeVirt: pci-placement_test.go "should return error when controller index exceeds the last expander bus number"
def test_controller_index_exhausted() -> None:
    domain = numa_domain()
    controllers(domain).append(Controller(model="pcie-root-port", index=str(MAX_EXPANDER_BUS_NR)))
    hostdevs(domain).append(pci_device("device1", "0x01"))
    before = copy.deepcopy(domain)
    with pytest.raises(PCIPlacementError) as err:
        place_pci_devices_with_numa_alignment(domain, CTX)
    assert str(err.value) == (
        "failed to create PCIe topology with NUMA alignment: failed to place device 0000:01:00.0: insufficient bus "
        "numbers for NUMA-aligned PCIe topology: current controller index 256, last assigned expander bus number 255")
    assert domain == before


# KubeVirt: pci-placement_test.go "should assign bus numbers for expander buses calculated as
# maxBusNr - controllerCount + 1" and "should assign devices to correct root ports"
def test_bus_numbers_and_root_ports() -> None:
    domain = numa_domain()
    hostdevs(domain).extend([pci_device("device1", "0x01"), pci_device("device2", "0x02")])
    place_pci_devices_with_numa_alignment(domain, CTX)
    xml = [to_xml(c, "controller") for c in controllers(domain)]
    assert xml == [
        '<controller type="pci" index="1" model="pcie-expander-bus">\n'
        '  <target busNr="254">\n    <node>0</node>\n  </target>\n</controller>\n',
        '<controller type="pci" index="2" model="pcie-root-port">\n'
        '  <address type="pci" domain="0x0000" bus="1" slot="0x00" function="0x0"/>\n</controller>\n',
        '<controller type="pci" index="3" model="pcie-expander-bus">\n'
        '  <target busNr="252">\n    <node>1</node>\n  </target>\n</controller>\n',
        '<controller type="pci" index="4" model="pcie-root-port">\n'
        '  <address type="pci" domain="0x0000" bus="3" slot="0x00" function="0x0"/>\n</controller>\n',
    ]
    assert [dev.address for dev in hostdevs(domain)] == [new_pci_address("2", "0x00"), new_pci_address("4", "0x00")]


# KubeVirt: pci-placement_test.go "should preserve existing hostdev guest PCI addresses"
def test_preserves_guest_addresses() -> None:
    domain = numa_domain()
    hostdevs(domain).extend([with_guest_address(pci_device("addressed", "0x01"), "0x00", "0x07"),
                             pci_device("unaddressed", "0x02")])
    place_pci_devices_with_numa_alignment(domain, CTX)
    assert models(domain) == ["pcie-expander-bus", "pcie-root-port"]
    assert controllers(domain)[0].target is not None and controllers(domain)[0].target.numa_node == 1
    assert [dev.address for dev in hostdevs(domain)] == [new_pci_address("0x00", "0x07"), new_pci_address("2", "0x00")]


# KubeVirt: pci-placement_test.go "should leave devices without host NUMA affinity for default placement"
def test_device_without_numa_affinity() -> None:
    domain = numa_domain()
    hostdevs(domain).append(pci_device("missing_numa", "0x06"))
    place_pci_devices_with_numa_alignment(domain, CTX)
    assert controllers(domain) == [] and hostdevs(domain)[0].address is None


# KubeVirt: pci-placement_test.go "should place only devices with host NUMA affinity"
def test_only_devices_with_numa_affinity() -> None:
    domain = numa_domain()
    hostdevs(domain).extend([pci_device("missing_numa", "0x06"), pci_device("numa0", "0x01")])
    place_pci_devices_with_numa_alignment(domain, CTX)
    assert models(domain) == ["pcie-expander-bus", "pcie-root-port"]
    assert controllers(domain)[0].target is not None and controllers(domain)[0].target.numa_node == 0
    assert [dev.address for dev in hostdevs(domain)] == [None, new_pci_address("2", "0x00")]


# KubeVirt: pci-placement_test.go strict placement failures
@pytest.mark.parametrize(
    ("domain", "device", "message"),
    [
        pytest.param(None, pci_device("missing_numa", "0x06"),
                     "strict PCI NUMA-aware placement failed: device 0000:06:00.0 cannot be placed on a NUMA-aware "
                     "PCIe topology: failed to read host NUMA affinity: open "
                     "/sys/bus/pci/devices/0000:06:00.0/numa_node: no such file or directory",
                     id="should fail strict placement when a device has no host NUMA affinity"),
        pytest.param(None, with_guest_address(pci_device("addressed", "0x01"), "0x00", "0x07"),
                     "strict PCI NUMA-aware placement failed: device 0000:01:00.0 already has a guest PCI address, "
                     "skipping pcie-expander-bus assignment",
                     id="should fail strict placement when a device has an explicit guest PCI address"),
        pytest.param(numa_domain([("0", "0-1")], [(0, "4")]), pci_device("numa0", "0x01"),
                     "strict PCI NUMA-aware placement failed: device 0000:01:00.0 cannot be placed on a NUMA-aware "
                     "PCIe topology: host NUMA node 0 cannot be mapped to a guest NUMA cell",
                     id="should fail strict placement when a device NUMA node cannot be mapped to a guest NUMA cell"),
    ],
)
def test_strict_failures(domain: Domain | None, device: HostDevice, message: str) -> None:
    domain = domain or numa_domain()
    device = copy.deepcopy(device)
    hostdevs(domain).append(device)
    address_before = copy.deepcopy(device.address)
    with pytest.raises(PCIPlacementError) as err:
        place_pci_devices_with_numa_alignment(domain, CTX, strict=True)
    assert str(err.value) == message
    assert controllers(domain) == [] and hostdevs(domain)[0].address == address_before


def memnodes(*pairs: tuple[int, str]) -> NUMATune:
    return NUMATune(memnodes=[MemNode(cellid=cell, mode="strict", nodeset=nodes) for cell, nodes in pairs])


# KubeVirt: pci-placement_test.go "should prefer NUMATune memnode mapping for guest NUMA placement"
def test_numatune_memnodes_preferred() -> None:
    domain = numa_domain()
    domain.numatune = memnodes((1, "0"))
    hostdevs(domain).append(pci_device("numa0", "0x01"))
    place_pci_devices_with_numa_alignment(domain, CTX)
    assert models(domain) == ["pcie-expander-bus", "pcie-root-port"]
    assert controllers(domain)[0].target is not None and controllers(domain)[0].target.numa_node == 1
    assert hostdevs(domain)[0].address == new_pci_address("2", "0x00")


# KubeVirt: pci-placement_test.go "should fall back to vCPU pinning for ambiguous NUMATune memnode mapping"
def test_ambiguous_memnodes_fall_back_to_pinning() -> None:
    domain = numa_domain()
    domain.numatune = memnodes((0, "0"), (1, "0"))
    hostdevs(domain).append(pci_device("numa0", "0x01"))
    place_pci_devices_with_numa_alignment(domain, CTX)
    assert controllers(domain)[0].target is not None and controllers(domain)[0].target.numa_node == 0
    assert hostdevs(domain)[0].address == new_pci_address("2", "0x00")


# KubeVirt: pci-placement_test.go "should fail strict placement for ambiguous NUMATune memnode mapping"
def test_ambiguous_memnodes_strict() -> None:
    domain = numa_domain()
    domain.numatune = memnodes((0, "0"), (1, "0"))
    hostdevs(domain).append(pci_device("numa0", "0x01"))
    with pytest.raises(PCIPlacementError, match="mapped to multiple guest NUMA cells"):
        place_pci_devices_with_numa_alignment(domain, CTX, strict=True)
    assert controllers(domain) == [] and hostdevs(domain)[0].address is None


# KubeVirt: pci-placement_test.go "should place NUMA groups and devices in deterministic order"
def test_deterministic_order() -> None:
    domain = numa_domain()
    hostdevs(domain).extend([pci_device("numa1_b", "0x04"), pci_device("numa0_b", "0x03"),
                             pci_device("numa0_a", "0x01"), pci_device("numa1_a", "0x02")])
    place_pci_devices_with_numa_alignment(domain, CTX)
    summary = [
        (c.model, c.index, c.target.numa_node if c.target else None, c.target.bus_nr if c.target else None,
         (c.address.bus, c.address.slot) if c.address else None)
        for c in controllers(domain)
    ]
    assert summary == [
        ("pcie-expander-bus", "1", 0, 253, None),
        ("pcie-root-port", "2", None, None, ("1", "0x00")),
        ("pcie-root-port", "3", None, None, ("1", "0x01")),
        ("pcie-expander-bus", "4", 1, 250, None),
        ("pcie-root-port", "5", None, None, ("4", "0x00")),
        ("pcie-root-port", "6", None, None, ("4", "0x01")),
    ]
    by_source = {pci_address_to_string(d.source.address if d.source else None): d.address.bus if d.address else None
                 for d in hostdevs(domain)}
    assert by_source == {"0000:01:00.0": "2", "0000:03:00.0": "3", "0000:02:00.0": "5", "0000:04:00.0": "6"}


# KubeVirt: pci-placement_test.go "should allocate new controller indexes after existing controllers"
def test_indexes_after_existing_controllers() -> None:
    domain = numa_domain()
    controllers(domain).extend([Controller(model="pcie-root", index="0"),
                                Controller(model="pcie-root-port", index="7")])
    hostdevs(domain).append(pci_device("device1", "0x01"))
    place_pci_devices_with_numa_alignment(domain, CTX)
    assert [(c.model, c.index) for c in controllers(domain)[2:]] == [("pcie-expander-bus", "8"),
                                                                     ("pcie-root-port", "9")]
    assert hostdevs(domain)[0].address == new_pci_address("9", "0x00")


# ---------------------------------------------------------------- root complex


def root_complex_domain() -> Domain:
    domain = new_domain()
    assert domain.devices is not None
    devices = domain.devices
    devices.interfaces = [Interface(type="ethernet"),
                          Interface(type="ethernet", address=pci_address_field("0000:05:01.0"))]
    devices.hostdevs = [HostDevice(type="pci"), HostDevice(type="usb"), HostDevice(type="mdev")]
    devices.controllers = [Controller(type="pci", index="0", model="pcie-root"),
                           Controller(type="usb", index="0", model="qemu-xhci"),
                           Controller(type="virtio-serial", index="0", model="virtio-non-transitional",
                                      address=Address(type="ccw", cssid="0xfe"))]
    devices.disks = [Disk(device="disk", target=DiskTarget(bus="virtio")),
                     Disk(device="disk", target=DiskTarget(bus="sata"))]
    devices.inputs = [Input(type="tablet", bus="virtio"), Input(type="tablet", bus="usb")]
    devices.watchdogs = [Watchdog(model="i6300esb")]
    devices.rng = Rng(model="virtio")
    devices.memballoon = MemBalloon(model="virtio", address=Address(type="pci"))
    return domain


def slot_of(element: Any) -> str | None:
    return None if element.address is None else element.address.slot


# KubeVirt: converter_test.go "when all addresses should be placed at the root complex" (the whole-domain check is
# tests/test_golden.py golden-amd64-root); here every device kind of iteratePCIAddresses
def test_root_complex_slots() -> None:
    domain = root_complex_domain()
    assert count_pci_devices(domain) == 9
    place_pci_devices_on_root_complex(domain)
    d = domain.devices
    assert d is not None
    assert [slot_of(i) for i in d.interfaces] == ["0x02", "0x01"]  # the explicit address is kept
    assert [slot_of(h) for h in d.hostdevs] == ["0x03", None, None]
    assert [slot_of(c) for c in d.controllers] == [None, "0x04", None]  # pcie-root and ccw are left alone
    assert [slot_of(x) for x in d.disks] == ["0x05", None]
    assert [slot_of(x) for x in d.inputs] == ["0x06", None]
    assert (slot_of(d.watchdogs[0]), slot_of(d.rng), slot_of(d.memballoon)) == ("0x07", "0x08", "0x09")
    assert d.rng is not None and d.rng.address is not None
    assert to_xml(d.rng.address, "address") == (
        '<address type="pci" domain="0x0000" bus="0x00" slot="0x08" function="0x0"/>\n')


def test_root_complex_skips_reserved_slots_and_runs_out() -> None:
    domain = new_domain()
    assert domain.devices is not None
    domain.devices.watchdogs = [Watchdog(model="i6300esb") for _ in range(28)]
    place_pci_devices_on_root_complex(domain)
    slots = [slot_of(w) for w in domain.devices.watchdogs]
    assert "0x1b" not in slots and "0x1f" not in slots and slots[-1] == "0x1e" and len(set(slots)) == 28
    domain.devices.watchdogs.append(Watchdog(model="i6300esb"))
    for w in domain.devices.watchdogs:
        w.address = None
    with pytest.raises(PCIPlacementError, match=r"^No space left on the root PCI bus\.$"):
        place_pci_devices_on_root_complex(domain)


ROOT_ANNOTATION = {"metadata": {"annotations": {"kubevirt.io/placePCIDevicesOnRootComplex": "true"}}}


@pytest.mark.parametrize(("arch", "placed"), [("amd64", True), ("arm64", True), ("s390x", False)])
def test_root_complex_annotation_per_arch(arch: str, placed: bool) -> None:
    domain = root_complex_domain()
    place_pci_devices(ROOT_ANNOTATION, domain, context_from_dict({"architecture": arch}))
    assert domain.devices is not None and (slot_of(domain.devices.interfaces[0]) == "0x02") is placed


def test_root_complex_annotation_must_be_true() -> None:
    domain = root_complex_domain()
    place_pci_devices({"metadata": {"annotations": {"kubevirt.io/placePCIDevicesOnRootComplex": "yes"}}},
                      domain, Context())
    assert domain.devices is not None and domain.devices.interfaces[0].address is None


def test_root_complex_error_path() -> None:
    domain = new_domain()
    assert domain.devices is not None
    domain.devices.watchdogs = [Watchdog(model="i6300esb") for _ in range(29)]
    with pytest.raises(ConversionError) as err:
        place_pci_devices(ROOT_ANNOTATION, domain, Context())
    assert err.value.field == 'metadata.annotations["kubevirt.io/placePCIDevicesOnRootComplex"]'
    assert err.value.message == "No space left on the root PCI bus."


# ---------------------------------------------------------------- converter_test.go "PCIe topology with NUMA alignment"

# The VMI of configureNUMAAwareVMI: 2 dedicated cores with a NUMA passthrough, two GPUs and two host devices.
NUMA_VMI: dict[str, Any] = {"spec": {"domain": {"cpu": {
    "cores": 2, "sockets": 1, "threads": 1, "dedicatedCpuPlacement": True, "numa": {"guestMappingPassthrough": {}}}}}}
NUMA_DEVICES = ["0000:81:01.0", "0000:81:02.0", "0000:82:01.0", "0000:82:02.0"]


def dedicated_domain(sources: list[str]) -> Domain:
    """What the builder and the dedicated-CPU adjustments leave: one cell, vCPUs pinned to host CPUs 0-1."""
    domain = numa_domain([("0", "0-1")], [(0, "0"), (1, "1")])
    domain.numatune = memnodes((0, "0"))
    hostdevs(domain).extend(HostDevice(type="pci", managed="no", source=HostDeviceSource(address=pci_address_field(s)))
                            for s in sources)
    return domain


def numa_ctx(arch: str, enabled: bool, numa_nodes: list[str]) -> Context:
    return context_from_dict({"architecture": arch, "pciNUMAAwareTopologyEnabled": enabled,
                              "pciNumaNodes": dict.fromkeys(numa_nodes, 0), "numaNodeCpus": {"0": [0, 1]}})


# KubeVirt: converter_test.go "should create PCIe controllers for NUMA-aligned devices"
def test_numa_aligned_controllers() -> None:
    domain = dedicated_domain(NUMA_DEVICES)
    assert place_pci_devices(NUMA_VMI, domain, numa_ctx("amd64", True, NUMA_DEVICES)) == []
    buses = [c for c in controllers(domain) if c.model == "pcie-expander-bus"]
    ports = [c for c in controllers(domain) if c.model == "pcie-root-port"]
    assert len(buses) == 1 and len(ports) == 4
    assert all(p.address is not None and p.address.bus == buses[0].index for p in ports)


# KubeVirt: converter_test.go "should fail conversion when guest NUMA passthrough host devices cannot be NUMA placed"
def test_strict_numa_placement_fails_conversion() -> None:
    domain = dedicated_domain(NUMA_DEVICES)
    with pytest.raises(ConversionError) as err:
        place_pci_devices(NUMA_VMI, domain, numa_ctx("amd64", True, NUMA_DEVICES[:3]))
    assert err.value.field == "spec.domain.cpu.numa.guestMappingPassthrough"
    assert err.value.message.startswith("failed to process strict PCIe NUMA-aware topology: ")
    assert "0000:82:02.0" in err.value.message


def test_relaxed_numa_placement_failure_is_a_warning() -> None:
    vmi = copy.deepcopy(NUMA_VMI)
    del vmi["spec"]["domain"]["cpu"]["numa"]
    domain = dedicated_domain(NUMA_DEVICES)
    controllers(domain).append(Controller(model="pcie-root-port", index=str(MAX_EXPANDER_BUS_NR)))
    warnings = place_pci_devices(vmi, domain, numa_ctx("amd64", True, NUMA_DEVICES))
    assert len(warnings) == 1 and "falling back to default placement" in warnings[0]
    assert [c.model for c in controllers(domain)] == ["pcie-root-port"]


# KubeVirt: converter_test.go "with PCINUMAAwareTopology feature gate disabled" / "... enabled for s390x architecture"
@pytest.mark.parametrize(("arch", "enabled"), [("amd64", False), ("s390x", True)], ids=["gate disabled", "s390x"])
def test_no_numa_placement(arch: str, enabled: bool) -> None:
    domain = dedicated_domain(NUMA_DEVICES)
    place_pci_devices(NUMA_VMI, domain, numa_ctx(arch, enabled, NUMA_DEVICES))
    assert controllers(domain) == []

