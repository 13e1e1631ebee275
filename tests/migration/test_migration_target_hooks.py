"""Target-side hooks: ported from KubeVirt premigration-hook-server/{disk,network,vgpuhook}/*_test.go."""

from __future__ import annotations

import pytest
from lxml import etree
from migration_helpers import JSON, canonical, domain, element_xml, vmi

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.safe_xml import parse_domain
from vmi_converter.converter.migration import GPUDevice, TargetFacts, migratable_xml
from vmi_converter.converter.migration.target_hooks import (
    disk_source_path_hook,
    upgrade_ordinal_naming_scheme,
    vgpu_live_migration,
)
from vmi_converter.converter.migration.xml_edit import serialize

# ---------------------------------------------------------------- DiskSourcePathHook

SOURCE_NS = "source-ns"
TARGET_NS = "target-ns"
CLOUD_INIT_SRC = "/var/run/libvirt/cloud-init-dir/source-ns/vmi-test/noCloud.iso"
CLOUD_INIT_DST = "/var/run/libvirt/cloud-init-dir/target-ns/vmi-test/noCloud.iso"
PVC_DISK = "/var/run/kubevirt-private/vmi-disks/pvc/disk.img"


def _cross_namespace_vmi(migration_state: JSON | None = None) -> JSON:
    if migration_state is None:
        migration_state = {"sourceState": {"domainNamespace": SOURCE_NS},
                           "targetState": {"domainNamespace": TARGET_NS}}
    return vmi("vmi-test", SOURCE_NS, status={"migrationState": migration_state})


def _file_disk(path: str, alias: str = "ua-cloudinit") -> str:
    return f'<disk><alias name="{alias}"/><source file="{path}"/></disk>'


def _first_disk(root: etree._Element) -> str:
    return element_xml(root.findall("devices/disk")[0])


# KubeVirt: disk/source_path_test.go "should replace namespace in file paths"
def test_namespace_is_replaced_in_file_paths() -> None:
    root = domain(_file_disk(CLOUD_INIT_SRC))
    disk_source_path_hook(root, _cross_namespace_vmi(), TargetFacts())
    assert _first_disk(root) == canonical(_file_disk(CLOUD_INIT_DST))


# KubeVirt: disk/source_path_test.go "should not modify paths that don't contain the namespace"
def test_paths_without_the_namespace_are_kept() -> None:
    root = domain(_file_disk(PVC_DISK, "ua-pvc"))
    disk_source_path_hook(root, _cross_namespace_vmi(), TargetFacts())
    assert _first_disk(root) == canonical(_file_disk(PVC_DISK, "ua-pvc"))


# KubeVirt: disk/source_path_test.go "should replace namespace in datastore file paths"
def test_namespace_is_replaced_in_datastore_paths() -> None:
    def cbt_disk(path: str) -> str:
        store = f'<dataStore><source file="{path}"/></dataStore>'
        return f'<disk><alias name="ua-cbt-disk"/><source>{store}</source></disk>'

    root = domain(cbt_disk(CLOUD_INIT_SRC))
    disk_source_path_hook(root, _cross_namespace_vmi(), TargetFacts())
    assert _first_disk(root) == canonical(cbt_disk(CLOUD_INIT_DST))


# KubeVirt: disk/source_path_test.go "should return nil when domain has no devices"
def test_domain_without_devices() -> None:
    root = parse_domain("<domain><name>x</name></domain>")
    disk_source_path_hook(root, _cross_namespace_vmi(), TargetFacts())
    assert serialize(root) == "<domain>\n  <name>x</name>\n</domain>"


# KubeVirt: disk/source_path_test.go Context("early-return when migration state is incomplete")
@pytest.mark.parametrize("migration_state", [
    pytest.param({}, id="should return nil when MigrationState is nil"),
    pytest.param({"targetState": None}, id="should return nil when TargetState is nil"),
    pytest.param({"targetState": {"domainNamespace": None}}, id="should return nil when DomainNamespace is nil"),
    pytest.param({"targetState": {"domainNamespace": SOURCE_NS}},
                 id="should return nil when source and target namespace are the same"),
])
def test_no_rewrite_without_a_different_target_namespace(migration_state: JSON) -> None:
    root = domain(_file_disk(CLOUD_INIT_SRC))
    disk_source_path_hook(root, _cross_namespace_vmi(migration_state), TargetFacts())
    assert _first_disk(root) == canonical(_file_disk(CLOUD_INIT_SRC))


def test_target_namespace_fact_wins_and_block_devices_are_not_touched() -> None:
    root = domain(_file_disk(CLOUD_INIT_SRC) + '<disk type="block"><source dev="/dev/source-ns/x"/></disk>')
    disk_source_path_hook(root, vmi("vmi-test", SOURCE_NS), TargetFacts(domain_namespace=TARGET_NS))
    disks = root.findall("devices/disk")
    assert element_xml(disks[0]) == canonical(_file_disk(CLOUD_INIT_DST))
    assert element_xml(disks[1]) == canonical('<disk type="block"><source dev="/dev/source-ns/x"/></disk>')


def test_only_the_first_namespace_segment_is_replaced() -> None:
    root = domain(_file_disk("/a/source-ns/b/source-ns/c"))
    disk_source_path_hook(root, _cross_namespace_vmi(), TargetFacts())
    assert _first_disk(root) == canonical(_file_disk("/a/target-ns/b/source-ns/c"))


# ---------------------------------------------------------------- UpgradeOrdinalNamingScheme

PRIMARY_TAP = "tap0"
HASHED_1 = "tapbf1967901de"
HASHED_2 = "tap00a86454af9"


def _iface(network: str, dev: str) -> str:
    return f'<interface type="ethernet"><alias name="ua-{network}"/><target dev="{dev}"/></interface>'


def _networks_vmi(secondary: bool) -> JSON:
    interfaces: list[JSON] = [{"name": "default", "masquerade": {}}]
    networks: list[JSON] = [{"name": "default", "pod": {}}]
    if secondary:
        for index in (1, 2):
            interfaces.append({"name": f"secondary{index}", "bridge": {}})
            networks.append({"name": f"secondary{index}", "multus": {"networkName": f"nad{index}"}})
    return vmi(spec={"domain": {"devices": {"interfaces": interfaces}}, "networks": networks})


def _renamed(devices: str, spec_vmi: JSON, facts: TargetFacts | None = None) -> str:
    root = domain(devices)
    upgrade_ordinal_naming_scheme(root, spec_vmi, facts or TargetFacts(upgrade_ordinal_ifaces=True))
    return element_xml(root)


# KubeVirt: network/ordinal_naming_test.go "should do nothing if there aren't any interfaces"
def test_no_interfaces() -> None:
    assert _renamed("", vmi()) == element_xml(domain())


# KubeVirt: network/ordinal_naming_test.go "should do nothing if there is only a primary interface with a tap based
# binding"
def test_primary_tap_is_kept() -> None:
    devices = _iface("default", PRIMARY_TAP)
    assert _renamed(devices, _networks_vmi(False)) == element_xml(domain(devices))


# KubeVirt: network/ordinal_naming_test.go "should do nothing if there are secondary networks with hashed naming
# scheme"
def test_hashed_names_are_kept() -> None:
    devices = _iface("default", PRIMARY_TAP) + _iface("secondary1", HASHED_1) + _iface("secondary2", HASHED_2)
    assert _renamed(devices, _networks_vmi(True)) == element_xml(domain(devices))


# KubeVirt: network/ordinal_naming_test.go "should convert the ordinal to hashed naming scheme"
def test_ordinal_names_become_hashed() -> None:
    before = _iface("default", PRIMARY_TAP) + _iface("secondary1", "tap1") + _iface("secondary2", "tap2")
    after = _iface("default", PRIMARY_TAP) + _iface("secondary1", HASHED_1) + _iface("secondary2", HASHED_2)
    assert _renamed(before, _networks_vmi(True)) == element_xml(domain(after))


# KubeVirt: network/ordinal_naming.go error paths
@pytest.mark.parametrize(("interface", "message"), [
    pytest.param('<interface type="ethernet"><target dev="tap1"/></interface>', "alias cannot be nil", id="no alias"),
    pytest.param('<interface type="ethernet"><alias name="net1"/><target dev="tap1"/></interface>',
                 "invalid alias format", id="alias without ua- prefix"),
    pytest.param(_iface("unknown", "tap3"), "could not find pod interface name", id="unknown network"),
])
def test_ordinal_naming_errors(interface: str, message: str) -> None:
    with pytest.raises(ConversionError, match=message) as err:
        _renamed(interface, _networks_vmi(True))
    assert err.value.field == "domainXml.devices.interface[0]"


def test_pod_interface_names_fact_overrides_the_computed_names() -> None:
    facts = TargetFacts(upgrade_ordinal_ifaces=True, pod_interface_names={"secondary1": "podcustom1234"})
    assert _renamed(_iface("secondary1", "tap1"), _networks_vmi(True), facts) == element_xml(
        domain(_iface("secondary1", "tapcustom1234")))


def test_ordinal_hook_needs_devices() -> None:
    with pytest.raises(ConversionError, match="has no <devices>"):
        upgrade_ordinal_naming_scheme(parse_domain("<domain/>"), vmi(), TargetFacts(upgrade_ordinal_ifaces=True))


def test_ordinal_hook_runs_only_with_the_flag() -> None:
    xml = f"<domain><devices>{_iface('secondary1', 'tap1')}</devices></domain>"
    unchanged = migratable_xml(xml, _networks_vmi(True), target=TargetFacts())
    assert canonical(unchanged.domain_xml) == canonical(xml)
    renamed = migratable_xml(xml, _networks_vmi(True), target=TargetFacts(upgrade_ordinal_ifaces=True))
    assert canonical(renamed.domain_xml) == canonical(f"<domain><devices>{_iface('secondary1', HASHED_1)}</devices>"
                                                      "</domain>")


# ---------------------------------------------------------------- VGPULiveMigration

SOURCE_UUID = "bb4a98d8-60c1-40c6-b39b-866b1e82bd8c"
SOURCE_UUID_2 = "19dcdf19-0ef0-496b-be3b-c591109ca572"
TARGET_UUID = "05b59010-d19c-47d2-9477-33b4579edc90"


def _mdev(uuid: str, alias: str, slot: str) -> str:
    return (f'<hostdev mode="subsystem" type="mdev" managed="no" model="vfio-pci"><source><address uuid="{uuid}"/>'
            f'</source><alias name="{alias}"/><address type="pci" domain="0x0000" bus="0x09" slot="{slot}" '
            'function="0x0"/></hostdev>')


def _pci_gpu(alias: str) -> str:
    return ('<hostdev mode="subsystem" type="pci" managed="yes"><source><address domain="0x0000" bus="0x01" '
            f'slot="0x00" function="0x0"/></source><alias name="{alias}"/><address type="pci" domain="0x0000" '
            'bus="0x09" slot="0x00" function="0x0"/></hostdev>')


def _vgpu_facts(*gpus: GPUDevice) -> TargetFacts:
    return TargetFacts(vgpu_hook=True, gpu_devices=gpus)


# KubeVirt: vgpuhook/vgpu_hook_test.go "should update vGPU mdev uuid according to target node config"
def test_vgpu_uuid_is_replaced() -> None:
    root = domain(_mdev(SOURCE_UUID, "ua-gpu-gpu1", "0x00"))
    vgpu_live_migration(root, _vgpu_facts(GPUDevice(type="mdev", uuid=TARGET_UUID)))
    assert element_xml(root) == element_xml(domain(_mdev(TARGET_UUID, "ua-gpu-gpu1", "0x00")))


# KubeVirt: vgpuhook/vgpu_hook_test.go "should fail if there is more than 1 vGPU"
def test_more_than_one_vgpu_fails() -> None:
    root = domain(_mdev(SOURCE_UUID, "ua-gpu-gpu1", "0x00") + _mdev(SOURCE_UUID_2, "ua-gpu-gpu2", "0x01"))
    facts = _vgpu_facts(GPUDevice(type="mdev", uuid=SOURCE_UUID), GPUDevice(type="mdev", uuid=SOURCE_UUID_2))
    with pytest.raises(ConversionError) as err:
        vgpu_live_migration(root, facts)
    assert (err.value.field, err.value.message) == ("domainXml.devices.hostdev",
                                                    "the migrating vmi should only have one vGPU")


# KubeVirt: vgpuhook/vgpu_hook_test.go "should fail if GPU is not an mdev vGPU"
def test_pci_gpu_fails() -> None:
    root = domain(_pci_gpu("ua-gpu-gpu1"))
    with pytest.raises(ConversionError) as err:
        vgpu_live_migration(root, _vgpu_facts(GPUDevice(type="pci", pci_address="0000:01:00.0")))
    assert err.value.message == "unsupporting gpu type for migration: pci"


# KubeVirt: vgpuhook/vgpu_hook.go remaining paths
def test_gpu_without_address_fails() -> None:
    root = domain(_mdev(SOURCE_UUID, "ua-gpu-gpu1", "0x00"))
    with pytest.raises(ConversionError, match="failed to retrieve host GPU address"):
        vgpu_live_migration(root, _vgpu_facts(GPUDevice(type="mdev")))


def test_non_mdev_hostdev_fails() -> None:
    root = domain(_pci_gpu("ua-gpu-gpu1"))
    with pytest.raises(ConversionError, match="failed to retrieve mdev vGPU from domain") as err:
        vgpu_live_migration(root, _vgpu_facts(GPUDevice(type="mdev", uuid=TARGET_UUID)))
    assert err.value.field == "domainXml.devices.hostdev[0]"


@pytest.mark.parametrize(("devices", "facts"), [
    pytest.param(_mdev(SOURCE_UUID, "ua-gpu-gpu1", "0x00"), TargetFacts(vgpu_hook=True), id="no target GPU"),
    pytest.param("", _vgpu_facts(GPUDevice(type="mdev", uuid=TARGET_UUID)), id="no hostdev"),
])
def test_vgpu_hook_is_a_no_op_without_gpus_or_hostdevs(devices: str, facts: TargetFacts) -> None:
    root = domain(devices)
    vgpu_live_migration(root, facts)
    assert element_xml(root) == element_xml(domain(devices))


def test_vgpu_hook_runs_only_when_enabled() -> None:
    xml = f"<domain><devices>{_mdev(SOURCE_UUID, 'ua-gpu-gpu1', '0x00')}</devices></domain>"
    gpu = GPUDevice(type="mdev", uuid=TARGET_UUID)
    disabled = migratable_xml(xml, vmi(), target=TargetFacts(vgpu_hook=False, gpu_devices=(gpu,)))
    assert SOURCE_UUID in disabled.domain_xml
    enabled = migratable_xml(xml, vmi(), target=TargetFacts(vgpu_hook=True, gpu_devices=(gpu,)))
    assert canonical(enabled.domain_xml) == canonical(
        f"<domain><devices>{_mdev(TARGET_UUID, 'ua-gpu-gpu1', '0x00')}</devices></domain>")
