"""Source stage of the migration XML: ported from KubeVirt virtwrap/live-migration-source_test.go."""

from __future__ import annotations

import pytest
from migration_helpers import JSON, SIZE, canonical, domain, element_xml, vmi

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.migration import MigratableXML, MigrationParams, SourceFacts, VolumeFacts, migratable_xml
from vmi_converter.converter.migration.source import backend_path, classify_volumes, dest_name, disks_to_copy

FS_IMAGE = "/var/run/kubevirt-private/vmi-disks/test/disk.img"
BLOCK_DEV = "/dev/test"
CBT_OVERLAY = "/var/lib/libvirt/qemu/cbt/test.qcow2"


def _sized(*names: str) -> SourceFacts:
    return SourceFacts(volumes={name: VolumeFacts(virtual_size=SIZE) for name in names})


# ---------------------------------------------------------------- migratableDomXML (exact strings)

# KubeVirt: live-migration-source_test.go Describe("migratableDomXML") "should parse the XML with the metadata"
def test_metadata_is_kept_byte_for_byte() -> None:
    xml = """<domain type="kvm" id="1">
  <name>kubevirt</name>
  <metadata>
    <kubevirt xmlns="http://kubevirt.io">
    </kubevirt>
   </metadata>
</domain>"""
    assert migratable_xml(xml, vmi()).domain_xml == xml


# KubeVirt: live-migration-source_test.go "should not modify CPU pinning (handled by premigration hook server)"
def test_source_stage_keeps_cpu_pinning() -> None:
    xml = """<domain type="kvm" id="1">
  <name>kubevirt</name>
  <vcpu placement="static">2</vcpu>
  <cputune>
    <vcpupin vcpu="0" cpuset="4"></vcpupin>
    <vcpupin vcpu="1" cpuset="5"></vcpupin>
  </cputune>
</domain>"""
    dedicated = vmi(spec={"domain": {"cpu": {"cores": 2, "dedicatedCpuPlacement": True}}})
    assert migratable_xml(xml, dedicated).domain_xml == xml


_SLICED = """<domain type="kvm" id="1">
  <name>kubevirt</name>
  <devices>
    <disk type="file" device="disk" model="virtio-non-transitional">
      <driver name="qemu" type="raw" cache="none" error_policy="stop" discard="unmap"></driver>
      <source file="/var/run/kubevirt-private/vmi-disks/datavolumedisk1/disk.img" index="1">
        <slices>
          <slice type="storage" offset="0" size="2028994560"></slice>
        </slices>
      </source>
      <backingStore></backingStore>
      <target dev="vda" bus="virtio"></target>
      <alias name="ua-datavolumedisk1"></alias>
      <address type="pci" domain="0x0000" bus="0x07" slot="0x00" function="0x0"></address>
    </disk>
  </devices>
</domain>"""

_UNSLICED_INPUT = """<domain type="kvm" id="1">
  <name>kubevirt</name>
  <devices>
    <disk type='file' device='disk' model='virtio-non-transitional'>
      <driver name='qemu' type='raw' cache='none' error_policy='stop' discard='unmap'/>
      <source file='/var/run/kubevirt-private/vmi-disks/datavolumedisk1/disk.img' index='1'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
      <alias name='ua-datavolumedisk1'/>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
    </disk>
  </devices>
</domain>"""

_SLICED_INPUT = """<domain type="kvm" id="1">
  <name>kubevirt</name>
  <devices>
    <disk type='file' device='disk' model='virtio-non-transitional'>
      <driver name='qemu' type='raw' cache='none' error_policy='stop' discard='unmap'/>
      <source file='/var/run/kubevirt-private/vmi-disks/datavolumedisk1/disk.img' index='1'>
        <slices>
          <slice type='storage' offset='0' size='2028994560'></slice>
        </slices>
      </source>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
      <alias name='ua-datavolumedisk1'/>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
    </disk>
  </devices>
</domain>"""


def _datavolume_vmi() -> JSON:
    migrated = {
        "volumeName": "datavolumedisk1",
        "sourcePVCInfo": {"claimName": "src-pvc", "volumeMode": "Filesystem"},
        "destinationPVCInfo": {"claimName": "dst-pvc", "volumeMode": "Filesystem"},
    }
    return vmi(spec={"volumes": [{"name": "datavolumedisk1", "dataVolume": {"name": "src-pvc"}}]},
               status={"migratedVolumes": [migrated]})


# KubeVirt: live-migration-source_test.go DescribeTable("slices section")
@pytest.mark.parametrize("xml", [
    pytest.param(_UNSLICED_INPUT, id="add slices section"),
    pytest.param(_SLICED_INPUT, id="slices section already set"),
])
def test_slices_section(xml: str) -> None:
    assert migratable_xml(xml, _datavolume_vmi(), _sized("datavolumedisk1")).domain_xml == _SLICED


# KubeVirt: live-migration-source_test.go "should generate correct xml for user data for copied disks during the
# migration"
def test_cloud_init_disk_is_only_reformatted() -> None:
    xml = """<domain type="kvm" id="1">
  <name>kubevirt</name>
  <devices>
    <disk type='file' device='disk' model='virtio-non-transitional'>
      <driver name='qemu' type='raw' cache='none' error_policy='stop' discard='unmap'/>
      <source file='/var/run/kubevirt-ephemeral-disks/cloud-init-data/default/vm-dv/noCloud.iso' index='1'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
      <alias name='ua-cloudinitdisk'/>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
    </disk>
  </devices>
</domain>"""
    expected = """<domain type="kvm" id="1">
  <name>kubevirt</name>
  <devices>
    <disk type="file" device="disk" model="virtio-non-transitional">
      <driver name="qemu" type="raw" cache="none" error_policy="stop" discard="unmap"></driver>
      <source file="/var/run/kubevirt-ephemeral-disks/cloud-init-data/default/vm-dv/noCloud.iso" index="1"></source>
      <backingStore></backingStore>
      <target dev="vda" bus="virtio"></target>
      <alias name="ua-cloudinitdisk"></alias>
      <address type="pci" domain="0x0000" bus="0x07" slot="0x00" function="0x0"></address>
    </disk>
  </devices>
</domain>"""
    cloud_init = vmi(spec={
        "domain": {"devices": {"disks": [{"name": "cloudinit", "cache": "writethrough", "io": "native",
                                          "disk": {"bus": "virtio"}}]}},
        "volumes": [{"name": "cloudinit", "cloudInitNoCloud": {"userDataBase64": "ZmFrZQp1c2VyCmRhdGEK",
                                                               "networkDataBase64": "RmFrZU5ldHdvcms="}}],
    })
    assert migratable_xml(xml, cloud_init).domain_xml == expected


# ---------------------------------------------------------------- configureLocalDiskToMigrate

_PVC = {"name": "test", "persistentVolumeClaim": {"claimName": "src"}}
_DV = {"name": "test", "dataVolume": {"name": "src"}}
_HOST_DISK = {"name": "test", "hostDisk": {"path": FS_IMAGE}}


def _mode(block: bool) -> str:
    return "Block" if block else "Filesystem"


def _migrating_vmi(volume: JSON, src_block: bool, dst_block: bool) -> JSON:
    migrated = {
        "volumeName": "test",
        "sourcePVCInfo": {"claimName": "src", "volumeMode": _mode(src_block)},
        "destinationPVCInfo": {"claimName": "src", "volumeMode": _mode(dst_block)},
    }
    return vmi(spec={"volumes": [volume]},
               status={"migratedVolumes": [migrated],
                       "volumeStatus": [{"name": "test", "persistentVolumeClaimInfo": {"claimName": "src"}}]})


def _source(block: bool, children: str = "") -> str:
    attribute = f'dev="{BLOCK_DEV}"' if block else f'file="{FS_IMAGE}"'
    return f"<source {attribute}>{children}</source>"


_SLICE = f'<slices><slice type="storage" offset="0" size="{SIZE}"/></slices>'


def _one_disk(kind: str, source: str) -> str:
    return (f'<domain><devices><disk type="{kind}">{source}<target dev="vda"/><alias name="ua-test"/></disk>'
            "</devices></domain>")


# KubeVirt: live-migration-source_test.go DescribeTable("replace filesystem and block migrated volumes")
@pytest.mark.parametrize(("src_block", "dst_block", "volume"), [
    pytest.param(False, False, _PVC, id="filesystem source and destination"),
    pytest.param(False, True, _PVC, id="filesystem source and block destination"),
    pytest.param(True, False, _PVC, id="block source and filesystem destination"),
    pytest.param(True, True, _PVC, id="block source and destination"),
    pytest.param(False, True, _DV, id="filesystem source and block destination with DV"),
    pytest.param(True, False, _DV, id="block source and filesystem destination with DV"),
    pytest.param(False, True, _HOST_DISK, id="filesystem source and block destination with hostdisks"),
    pytest.param(True, False, _HOST_DISK, id="block source and filesystem destination with hostdisks"),
])
def test_replace_filesystem_and_block_migrated_volumes(src_block: bool, dst_block: bool, volume: JSON) -> None:
    kind = "block" if src_block else "file"
    xml = _one_disk(kind, _source(src_block))
    result = migratable_xml(xml, _migrating_vmi(volume, src_block, dst_block), _sized("test"))
    expected_kind = "block" if dst_block else "file"
    assert canonical(result.domain_xml) == canonical(_one_disk(expected_kind, _source(dst_block, _SLICE)))


# KubeVirt: live-migration-source_test.go DescribeTable("replace filesystem and block migrated volumes with CBT
# overlay")
@pytest.mark.parametrize(("src_block", "dst_block"), [
    pytest.param(False, True, id="filesystem source and block destination"),
    pytest.param(True, False, id="block source and filesystem destination"),
    pytest.param(False, False, id="filesystem source and filesystem destination"),
    pytest.param(True, True, id="block source and block destination"),
])
def test_replace_migrated_volumes_behind_cbt_overlay(src_block: bool, dst_block: bool) -> None:
    def disk(block: bool, children: str) -> str:
        store = f'<dataStore type="{"block" if block else "file"}">{_source(block, children)}</dataStore>'
        return (f'<domain><devices><disk type="file"><source file="{CBT_OVERLAY}">{store}</source>'
                '<target dev="vda"/><alias name="ua-test"/></disk></devices></domain>')

    result = migratable_xml(disk(src_block, ""), _migrating_vmi(_PVC, src_block, dst_block), _sized("test"))
    assert canonical(result.domain_xml) == canonical(disk(dst_block, _SLICE))


# Hot-plugged volumes live under the hot-plug directory on both sides (configureLocalDiskToMigrate's hotplugVol).
@pytest.mark.parametrize(("src_block", "dst_block", "expected_source"), [
    pytest.param(False, True, '<source dev="/var/run/kubevirt/hotplug-disks/test">', id="filesystem to block"),
    pytest.param(True, False, '<source file="/var/run/kubevirt/hotplug-disks/test.img">', id="block to filesystem"),
])
def test_hotplug_volume_swaps_to_hotplug_paths(src_block: bool, dst_block: bool, expected_source: str) -> None:
    volume = {"name": "test", "persistentVolumeClaim": {"claimName": "src", "hotpluggable": True}}
    kind = "block" if src_block else "file"
    xml = _one_disk(kind, _source(src_block))
    result = migratable_xml(xml, _migrating_vmi(volume, src_block, dst_block), _sized("test"))
    expected_kind = "block" if dst_block else "file"
    assert canonical(result.domain_xml) == canonical(_one_disk(expected_kind, f"{expected_source}{_SLICE}</source>"))


def test_swap_keeps_other_source_attributes_and_drops_old_labels() -> None:
    xml = ('<domain><devices><disk type="file" device="disk">'
           f'<source file="{FS_IMAGE}" index="2"><seclabel model="dac" relabel="no"/></source>'
           '<target dev="vda"/><alias name="ua-test"/></disk></devices></domain>')
    result = migratable_xml(xml, _migrating_vmi(_PVC, False, True), _sized("test"))
    assert '<source dev="/dev/test" index="2">' in result.domain_xml
    assert canonical(result.domain_xml) == canonical(
        f'<domain><devices><disk type="block" device="disk"><source dev="{BLOCK_DEV}" index="2">{_SLICE}</source>'
        '<target dev="vda"/><alias name="ua-test"/></disk></devices></domain>')


def test_facts_override_the_volume_modes_of_the_status() -> None:
    xml = _one_disk("file", _source(False))
    facts = SourceFacts(volumes={"test": VolumeFacts(virtual_size=SIZE, target_is_block=True)})
    result = migratable_xml(xml, _migrating_vmi(_PVC, False, False), facts)
    assert canonical(result.domain_xml) == canonical(_one_disk("block", _source(True, _SLICE)))


def test_facts_can_mark_a_volume_migrated_or_not() -> None:
    xml = _one_disk("file", _source(False))
    plain = vmi(spec={"volumes": [_PVC]})
    migrated = migratable_xml(xml, plain, SourceFacts(volumes={"test": VolumeFacts(migrated=True, virtual_size=7)}))
    assert '<slice type="storage" offset="0" size="7">' in migrated.domain_xml
    not_migrated = migratable_xml(xml, _migrating_vmi(_PVC, False, True),
                                  SourceFacts(volumes={"test": VolumeFacts(migrated=False)}))
    assert canonical(not_migrated.domain_xml) == canonical(xml)


def test_disk_without_alias_is_an_error_even_when_not_migrated() -> None:
    xml = '<domain><devices><disk type="file"><source file="/x"/><target dev="vda"/></disk></devices></domain>'
    with pytest.raises(ConversionError, match="empty alias") as err:
        migratable_xml(xml, vmi())
    assert err.value.field == "domainXml.devices.disk[0]"


def test_migrated_volume_needs_its_virtual_size() -> None:
    xml = _one_disk("file", _source(False))
    with pytest.raises(ConversionError, match="virtual size of migrated volume test") as err:
        migratable_xml(xml, _migrating_vmi(_PVC, False, True))
    assert err.value.field == 'sourceFacts.volumes["test"].virtualSize'


def test_domain_without_devices_is_left_alone() -> None:
    xml = '<domain type="kvm"><name>x</name></domain>'
    assert migratable_xml(xml, _migrating_vmi(_PVC, False, True)).domain_xml == (
        '<domain type="kvm">\n  <name>x</name>\n</domain>')


# ---------------------------------------------------------------- classifyVolumesForMigration

# KubeVirt: live-migration-source_test.go "should classify shared volumes to migrated when they are part of the
# migrated volumes set"
def test_shared_host_disk_in_migrated_volumes_is_copied() -> None:
    volume = {"name": "vol", "hostDisk": {"path": "/disk.img", "type": "DiskOrCreate", "capacity": "1G",
                                          "shared": True}}
    classes = classify_volumes(vmi(spec={"volumes": [volume]}, status={"migratedVolumes": [{"volumeName": "vol"}]}))
    assert (classes.shared, classes.generated, classes.local_to_migrate) == (set(), set(), {"vol"})


# ---------------------------------------------------------------- getDiskPathFromSource

# KubeVirt: live-migration-source_test.go DescribeTable("path resolution") — libvirt's disk/dataStore type picks
# the attribute that holds the path.
@pytest.mark.parametrize(("disk", "expected"), [
    pytest.param('<disk type="block"><source dev="/dev/vda"/></disk>', "/dev/vda", id="resolves block device path"),
    pytest.param('<disk type="file"><source file="/test/disk.img"/></disk>', "/test/disk.img",
                 id="resolves file path"),
    pytest.param('<disk type="file"><source file="/overlay/path"><dataStore type="block"><source dev="/base/path"/>'
                 "</dataStore></source></disk>", "/base/path", id="resolves DataStore source path"),
])
def test_disk_path_resolution(disk: str, expected: str) -> None:
    root = domain(disk)
    assert backend_path(root.findall("devices/disk")[0]) == expected


@pytest.mark.parametrize(("disk", "message"), [
    pytest.param('<disk type="file"><source file="/overlay/path"><dataStore type="file"/></source></disk>',
                 "disk has initialized datastore with no source", id="returns error when DataStore source is nil"),
    pytest.param('<disk type="file"><source file="/overlay/path"><dataStore><source/></dataStore></source></disk>',
                 "no path set", id="returns error when DataStore source has no path set"),
    pytest.param('<disk type="file"/>', "empty source for the disk", id="returns error for nil source"),
    pytest.param('<disk type="file"><source/></disk>', "no path set", id="returns error when no path is set in source"),
])
def test_disk_path_resolution_errors(disk: str, message: str) -> None:
    root = domain(disk)
    with pytest.raises(ValueError, match=message):
        backend_path(root.findall("devices/disk")[0])


def test_disk_path_error_is_reported_for_migrated_disk() -> None:
    xml = _one_disk("network", '<source protocol="nbd"/>')
    with pytest.raises(ConversionError, match="no path set") as err:
        migratable_xml(xml, _migrating_vmi(_PVC, False, False), _sized("test"))
    assert err.value.field == "domainXml.devices.disk[0]"


# ---------------------------------------------------------------- getDiskTargetsForMigration

# KubeVirt's virtwrap/testdata/migration_domain.xml
_MIGRATION_DOMAIN = """<domain type="kvm" xmlns:qemu="http://libvirt.org/schemas/domain/qemu/1.0">
  <devices>
    <disk device="disk" type="block">
      <source dev="/dev/pvc_block_test"></source>
      <target bus="virtio" dev="vda"></target>
      <driver cache="writethrough" name="qemu" type="raw" iothread="1"></driver>
      <alias name="ua-myvolume"></alias>
    </disk>
    <disk device="disk" type="file">
      <source file="/var/run/libvirt/kubevirt-ephemeral-disk/ephemeral_pvc/disk.qcow2"></source>
      <target bus="virtio" dev="vdb"></target>
      <driver cache="none" name="qemu" type="qcow2" iothread="1"></driver>
      <alias name="ua-myvolume1"></alias>
      <backingStore type="file">
        <format type="raw"></format>
        <source file="/var/run/kubevirt-private/vmi-disks/ephemeral_pvc/disk.img"></source>
      </backingStore>
    </disk>
    <disk device="disk" type="file">
      <source file="/var/run/kubevirt-private/vmi-disks/myvolume/disk.img"></source>
      <target bus="virtio" dev="vdc"></target>
      <driver name="qemu" type="raw" iothread="2"></driver>
      <alias name="ua-myvolumehost"></alias>
    </disk>
    <disk device="disk" type="file">
      <source file="/var/run/libvirt/cloud-init-dir/mynamespace/testvmi/noCloud.iso"></source>
      <target bus="virtio" dev="vdd"></target>
      <driver name="qemu" type="raw" iothread="3"></driver>
      <alias name="ua-cloudinit"></alias>
      <readonly/>
    </disk>
  </devices>
</domain>"""


def _disk_targets_vmi() -> JSON:
    return vmi("testvmi", "mynamespace", spec={
        "domain": {"devices": {"disks": [{"name": "cloudinit", "disk": {"bus": "virtio"}}]}},
        "volumes": [
            {"name": "myvolume", "persistentVolumeClaim": {"claimName": "testblock"}},
            {"name": "myvolume1", "ephemeral": {"persistentVolumeClaim": {"claimName": "testclaim"}}},
            {"name": "myvolumehost", "hostDisk": {"path": "/var/run/kubevirt-private/vmi-disks/volume3/disk.img",
                                                  "type": "DiskOrCreate", "capacity": "1Gi", "shared": True}},
            {"name": "cloudinit", "cloudInitNoCloud": {"userDataBase64": "ZmFrZQp1c2VyCmRhdGEK"}},
        ],
    })


# KubeVirt: live-migration-source_test.go "should correctly collect a list of disks for migration"
def test_disks_to_copy() -> None:
    from vmi_converter.converter.common.safe_xml import parse_domain

    copied = disks_to_copy(parse_domain(_MIGRATION_DOMAIN), _disk_targets_vmi(), SourceFacts())
    assert sorted(copied) == ["vdb", "vdd"]


def test_disks_to_copy_come_from_the_live_xml_when_given() -> None:
    migratable = '<domain><devices><disk type="file"><source file="/a"/><target dev="vdz"/><alias name="ua-x"/>' \
                 "</disk></devices></domain>"
    result = migratable_xml(migratable, _disk_targets_vmi(), live_xml=_MIGRATION_DOMAIN)
    assert sorted(result.disks_to_copy) == ["vdb", "vdd"]
    assert migratable_xml(migratable, _disk_targets_vmi()).disks_to_copy == ["vdz"]


def test_cdroms_are_never_copied() -> None:
    xml = ('<domain><devices><disk type="file" device="cdrom"><source file="/a.iso"/><target dev="sda"/>'
           '<alias name="ua-cd"/></disk></devices></domain>')
    assert migratable_xml(xml, vmi()).disks_to_copy == []


# ---------------------------------------------------------------- generateMigrationParams: UID and DestName

_UID = "1c2f3a44-5a8e-4f0b-9bd1-9d3c9d8e0a11"
_TARGET_UID = "7e8d9c0b-1a2b-4c3d-8e9f-0a1b2c3d4e5f"


def _uid_xml(uid: str) -> str:
    return (f'<domain type="kvm"><name>kubevirt</name><metadata><kubevirt xmlns="http://kubevirt.io"><uid>{uid}</uid>'
            f'</kubevirt></metadata><devices><disk type="file"><source file="/var/run/kubevirt/{uid}/disk.img"/>'
            '<target dev="vda"/><alias name="ua-disk0"/></disk></devices></domain>')


def _uid_vmi(uid: str, target: JSON | None) -> JSON:
    result = vmi("vm", "ns", status={"migrationState": {"targetState": target}} if target is not None else {})
    result["metadata"]["uid"] = uid
    return result


# KubeVirt: live-migration-source.go generateMigrationParams — every occurrence of the VMI UID is swapped.
def test_vmi_uid_is_replaced_by_the_target_uid() -> None:
    result = migratable_xml(_uid_xml(_UID), _uid_vmi(_UID, {"virtualMachineInstanceUID": _TARGET_UID}))
    assert canonical(result.domain_xml) == canonical(_uid_xml(_TARGET_UID))


@pytest.mark.parametrize(("uid", "target"), [
    pytest.param("", {"virtualMachineInstanceUID": _TARGET_UID}, id="empty source uid"),
    pytest.param(_UID, {"virtualMachineInstanceUID": ""}, id="empty target uid"),
    pytest.param(_UID, {}, id="no target uid"),
    pytest.param(_UID, None, id="no target state"),
])
def test_uid_replacement_guards(uid: str, target: JSON | None) -> None:
    result = migratable_xml(_uid_xml(_UID), _uid_vmi(uid, target))
    assert canonical(result.domain_xml) == canonical(_uid_xml(_UID))


def test_target_uid_fact_wins() -> None:
    result = migratable_xml(_uid_xml(_UID), _uid_vmi(_UID, {"virtualMachineInstanceUID": "other"}),
                            SourceFacts(target_uid=_TARGET_UID))
    assert canonical(result.domain_xml) == canonical(_uid_xml(_TARGET_UID))


@pytest.mark.parametrize(("target", "expected"), [
    pytest.param({"domainName": "new", "domainNamespace": "other"}, "other_new", id="target state names"),
    pytest.param({"domainName": "new"}, "ns_vm", id="namespace missing"),
    pytest.param({"domainName": "", "domainNamespace": "other"}, "ns_vm", id="empty name"),
    pytest.param(None, "ns_vm", id="no target state"),
])
def test_dest_name(target: JSON | None, expected: str) -> None:
    assert dest_name(_uid_vmi(_UID, target)) == expected


def test_result_to_dict() -> None:
    params = MigrationParams(
        flags=["VIR_MIGRATE_LIVE"], flags_mask=1, migration_uri="unix:///m", disks_uri="unix:///d",
        dest_connection_uri="qemu+unix:///system?socket=/c", bandwidth_mib=5, compression="zstd",
        parallel_connections=None, warnings=["w"],
    )
    result = MigratableXML(domain_xml="<domain></domain>", dest_name="ns_vm", disks_to_copy=["vda"], params=params)
    assert result.to_dict() == {
        "domainXml": "<domain></domain>", "destName": "ns_vm", "disksToCopy": ["vda"], "flags": ["VIR_MIGRATE_LIVE"],
        "flagsMask": 1, "migrationUri": "unix:///m", "disksUri": "unix:///d",
        "destConnectionUri": "qemu+unix:///system?socket=/c", "bandwidthMib": 5, "compression": "zstd",
        "warnings": ["w"],
    }


def test_unchanged_elements_keep_their_text_and_order() -> None:
    xml = ('<domain type="kvm"><name>n</name><description>  two  spaces </description><devices>'
           '<disk type="file"><source file="/f"/><target dev="vda"/><alias name="ua-d"/></disk>'
           '<unknown-device foo="bar"><x/></unknown-device></devices><on_crash>destroy</on_crash></domain>')
    result = migratable_xml(xml, vmi())
    assert canonical(result.domain_xml) == canonical(xml)
    assert "<description>  two  spaces </description>" in result.domain_xml
    assert element_xml(domain()) == canonical('<domain type="kvm"><name>kubevirt</name><devices/></domain>')
