"""hotplug_disk end to end: live domain XML + updated VMI + facts → device XML lists.

Ported from KubeVirt's pkg/virt-launcher/virtwrap/manager_test.go (SyncVMI
hot-plug cases) and converter/storage/configurator_test.go (hot-plug CBT).
KubeVirt compares against `strings.ToLower(xml.Marshal(disk))`; we compare
canonically against the correctly-cased XML (see docs/differences.md).
"""

from __future__ import annotations

from typing import Any

import pytest
from hotplug_helpers import (
    HOTPLUG,
    PERM_VOLUME_DISK,
    hotplug_status,
    hp_volume1_vmi,
    live_domain,
    manager_vmi,
    same_xml,
    without_status,
)

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.hotplug import DiskChange, HotplugResult, VolumeFacts, hotplug_disk

READY = {"hpvolume1": VolumeFacts(ready=True, direct_io_supported=True)}

# libvirt's live view of hpvolume1 once attached (source@index and <backingStore/> are live-only).
HP_VOLUME1_LIVE = """    <disk type='file' device='disk'>
      <driver name='qemu' type='raw' cache='none' error_policy='stop' discard='unmap'/>
      <source file='/var/run/kubevirt/hotplug-disks/hpvolume1.img' index='3'/>
      <backingStore/>
      <target dev='sda' bus='scsi'/>
      <alias name='ua-hpvolume1'/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>"""

# KubeVirt's attachDisk / detachDisk of the SyncVMI tests, correctly cased.
HP_VOLUME1_ATTACH = f"""<disk device="disk" type="file">
  <source file="{HOTPLUG}/hpvolume1.img"/>
  <target bus="scsi" dev="sda"/>
  <driver cache="none" error_policy="stop" name="qemu" type="raw" discard="unmap"/>
  <alias name="ua-hpvolume1"/>
  <address type="drive" bus="0" controller="0" unit="0"/>
</disk>"""


def only(changes: list[DiskChange]) -> DiskChange:
    assert len(changes) == 1, changes
    return changes[0]


def test_hotplug_a_disk_if_a_volume_was_hotplugged() -> None:
    # KubeVirt: manager_test.go "should hotplug a disk if a volume was hotplugged"
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, READY)
    change = only(result.attach)
    assert (change.volume, change.target_dev) == ("hpvolume1", "sda")
    assert same_xml(change.device_xml, HP_VOLUME1_ATTACH), change.device_xml
    assert (result.detach, result.update, result.not_ready) == ([], [], [])


def test_unplug_a_disk_if_a_volume_was_unplugged() -> None:
    # KubeVirt: manager_test.go "should unplug a disk if a volume was unplugged"
    # The volume status is gone while the spec still lists the disk: it is no longer converted.
    vmi = without_status(hp_volume1_vmi(hotplug_status("hpvolume1")), "hpvolume1")
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK, HP_VOLUME1_LIVE), vmi, {}, READY)
    change = only(result.detach)
    assert (change.volume, change.target_dev) == ("hpvolume1", "sda")
    # The live element itself, live-only details included.
    assert same_xml(change.device_xml, HP_VOLUME1_LIVE), change.device_xml
    assert (result.attach, result.update, result.not_ready) == ([], [], [])


def test_no_plug_or_unplug_if_nothing_changed() -> None:
    # KubeVirt: manager_test.go "should not plug/unplug a disk if nothing changed"
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK, HP_VOLUME1_LIVE), vmi, {}, READY)
    assert result == HotplugResult()


@pytest.mark.parametrize(
    "volumes",
    [
        pytest.param({"hpvolume1": VolumeFacts(ready=False)}, id="probed-not-ready"),
        pytest.param({}, id="not-probed"),
    ],
)
def test_no_hotplug_while_the_disk_is_not_ready(volumes: dict[str, VolumeFacts]) -> None:
    # KubeVirt: manager_test.go "should not hotplug a disk if a volume was hotplugged, but the disk is not ready yet"
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, volumes)
    assert result == HotplugResult(not_ready=["hpvolume1"])


def test_volume_not_yet_mounted_is_not_a_candidate() -> None:
    # KubeVirt: configurator_test.go "should exclude hotplug volumes that are not ready" (phase Bound)
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1", phase="Bound"))
    assert hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, READY) == HotplugResult()


CDROM_EMPTY_LIVE = """    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw' cache='none' error_policy='stop' discard='unmap'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
      <alias name='ua-cdrom-volume'/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>"""

CDROM_LOADED_LIVE = f"""    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw' cache='none' error_policy='stop' discard='unmap'/>
      <source file='{HOTPLUG}/cdrom-volume.img' index='3'/>
      <backingStore/>
      <target dev='sda' bus='sata'/>
      <readonly/>
      <alias name='ua-cdrom-volume'/>
      <address type='drive' controller='0' bus='0' target='0' unit='0'/>
    </disk>"""

CDROM_DISK = {"name": "cdrom-volume", "cdrom": {"bus": "sata"}, "cache": "none"}
CDROM_VOLUME = {"name": "cdrom-volume", "dataVolume": {"name": "dv2", "hotpluggable": True}}


def test_inject_a_cdrom() -> None:
    # KubeVirt: manager_test.go "should inject a cd-rom"
    vmi = manager_vmi(CDROM_DISK, CDROM_VOLUME, hotplug_status("cdrom-volume"))
    facts = {"cdrom-volume": VolumeFacts(ready=True, direct_io_supported=True)}
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK, CDROM_EMPTY_LIVE), vmi, {}, facts)
    change = only(result.update)
    assert (change.volume, change.target_dev) == ("cdrom-volume", "sda")
    assert same_xml(
        change.device_xml,
        f"""<disk type="file" device="cdrom">
  <driver name="qemu" type="raw" cache="none" error_policy="stop" discard="unmap"/>
  <source file="{HOTPLUG}/cdrom-volume.img"/>
  <target dev="sda" bus="sata"/>
  <readonly/>
  <alias name="ua-cdrom-volume"/>
  <address type="drive" controller="0" bus="0" target="0" unit="0"/>
</disk>""",
    ), change.device_xml
    assert (result.attach, result.detach, result.not_ready) == ([], [], [])


def test_inject_into_a_drive_that_started_empty() -> None:
    # A CD-ROM converted without a volume has no alias; the change is named by the medium going in.
    live = """    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>"""
    vmi = manager_vmi(CDROM_DISK, CDROM_VOLUME, hotplug_status("cdrom-volume"))
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK, live), vmi, {}, {"cdrom-volume": VolumeFacts(ready=True)})
    change = only(result.update)
    assert (change.volume, change.target_dev) == ("cdrom-volume", "sda")
    assert same_xml(
        change.device_xml,
        f"""<disk type="file" device="cdrom">
  <driver name="qemu" type="raw"/>
  <source file="{HOTPLUG}/cdrom-volume.img"/>
  <target dev="sda" bus="sata"/>
  <readonly/>
</disk>""",
    ), change.device_xml


def test_inject_waits_for_the_medium() -> None:
    # KubeVirt: manager.go syncDisks skips an update whose new medium is not ready yet.
    vmi = manager_vmi(CDROM_DISK, CDROM_VOLUME, hotplug_status("cdrom-volume"))
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK, CDROM_EMPTY_LIVE), vmi, {}, {})
    assert result == HotplugResult(not_ready=["cdrom-volume"])


def test_loaded_cdrom_with_the_same_medium_is_left_alone() -> None:
    # KubeVirt: manager_test.go getUpdatedDisks "be empty with empty old and new being identical",
    # on libvirt's live view (source@index is not part of the comparison)
    vmi = manager_vmi(CDROM_DISK, CDROM_VOLUME, hotplug_status("cdrom-volume"))
    facts = {"cdrom-volume": VolumeFacts(ready=True)}
    assert hotplug_disk(live_domain(PERM_VOLUME_DISK, CDROM_LOADED_LIVE), vmi, {}, facts) == HotplugResult()


def test_eject_a_cdrom() -> None:
    # KubeVirt: manager_test.go "should eject a cd-rom" (the volume left the spec, the drive stays)
    vmi = manager_vmi(CDROM_DISK, None, hotplug_status("cdrom-volume"))
    result = hotplug_disk(live_domain(PERM_VOLUME_DISK, CDROM_LOADED_LIVE), vmi, {}, {})
    change = only(result.update)
    assert (change.volume, change.target_dev) == ("cdrom-volume", "sda")
    assert same_xml(
        change.device_xml,
        """<disk type="block" device="cdrom">
  <driver name="qemu" type="raw" cache="none" error_policy="stop" discard="unmap"/>
  <source/>
  <target dev="sda" bus="sata"/>
  <readonly/>
  <alias name="ua-cdrom-volume"/>
  <address type="drive" controller="0" bus="0" target="0" unit="0"/>
</disk>""",
    ), change.device_xml
    assert (result.attach, result.detach, result.not_ready) == ([], [], [])


# ---------------------------------------------------------------- facts folded into the conversion


def hotplug_pvc_vmi() -> dict[str, Any]:
    return {
        "metadata": {"name": "testvmi", "namespace": "myns", "uid": "1234"},
        "spec": {
            "domain": {"devices": {"disks": [{"name": "hotplug-pvc", "disk": {"bus": "virtio"}}]}},
            "volumes": [{"name": "hotplug-pvc", "persistentVolumeClaim": {"claimName": "my-claim"}}],
        },
        "status": {"volumeStatus": [hotplug_status("hotplug-pvc", phase="MountedToPod")]},
    }


@pytest.mark.parametrize(
    ("is_block", "data_store", "io"),
    [
        # KubeVirt: configurator_test.go "should convert a hotplug PVC with CBT in filesystem mode"
        pytest.param(
            False, f'<dataStore type="file"><format type="raw"/><source file="{HOTPLUG}/hotplug-pvc.img"/></dataStore>',
            "", id="filesystem",
        ),
        # KubeVirt: configurator_test.go "should convert a hotplug PVC with CBT in block mode";
        # converter_test.go "dataStore block + cache none -> native"
        pytest.param(
            True, f'<dataStore type="block"><format type="raw"/><source dev="{HOTPLUG}/hotplug-pvc"/></dataStore>',
            ' io="native"', id="block",
        ),
    ],
)
def test_hotplug_pvc_with_cbt(is_block: bool, data_store: str, io: str) -> None:
    facts = VolumeFacts(
        is_block=is_block, ready=True, direct_io_supported=True, cbt_overlay_path="/cbt/hotplug-pvc.qcow2"
    )
    result = hotplug_disk(live_domain(), hotplug_pvc_vmi(), {}, {"hotplug-pvc": facts})
    change = only(result.attach)
    assert (change.volume, change.target_dev) == ("hotplug-pvc", "vda")
    assert same_xml(
        change.device_xml,
        f"""<disk device="disk" type="file" model="virtio-non-transitional">
  <source file="/cbt/hotplug-pvc.qcow2">{data_store}</source>
  <target bus="virtio" dev="vda"/>
  <driver cache="none" error_policy="stop"{io} name="qemu" type="qcow2" discard="unmap"/>
  <alias name="ua-hotplug-pvc"/>
</disk>""",
    ), change.device_xml
    assert "<dataStore" in change.device_xml  # never KubeVirt's lower-cased <datastore>


def test_cbt_disk_is_detached_as_libvirt_reports_it() -> None:
    # KubeVirt: manager.go getDetachedDisks resolves the backend through <dataStore> (disksource.Resolve)
    live_cbt = f"""    <disk type='file' device='disk' model='virtio-non-transitional'>
      <driver name='qemu' type='qcow2' cache='none' error_policy='stop' discard='unmap'/>
      <source file='/cbt/hotplug-pvc.qcow2' index='1'>
        <dataStore type='file'>
          <format type='raw'/>
          <source file='{HOTPLUG}/hotplug-pvc.img'/>
        </dataStore>
      </source>
      <target dev='vda' bus='virtio'/>
      <alias name='ua-hotplug-pvc'/>
    </disk>"""
    vmi = hotplug_pvc_vmi()
    vmi["status"]["volumeStatus"] = []
    vmi["spec"]["domain"]["devices"]["disks"] = []
    vmi["spec"]["volumes"] = []
    change = only(hotplug_disk(live_domain(live_cbt), vmi, {}, {}).detach)
    assert (change.volume, change.target_dev) == ("hotplug-pvc", "vda")
    assert same_xml(change.device_xml, live_cbt)
    assert "<dataStore" in change.device_xml


def test_block_hotplug_data_volume_gets_native_io() -> None:
    # KubeVirt: configurator_test.go "should convert a hotplug DataVolume in block mode";
    # converter_test.go SetOptimalIOMode "block device + cache none -> native"
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    facts = {"hpvolume1": VolumeFacts(is_block=True, ready=True, direct_io_supported=True)}
    change = only(hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, facts).attach)
    assert same_xml(
        change.device_xml,
        f"""<disk device="disk" type="block">
  <source dev="{HOTPLUG}/hpvolume1"/>
  <target bus="scsi" dev="sda"/>
  <driver cache="none" error_policy="stop" io="native" name="qemu" type="raw" discard="unmap"/>
  <alias name="ua-hpvolume1"/>
  <address type="drive" bus="0" controller="0" unit="0"/>
</disk>""",
    ), change.device_xml


@pytest.mark.parametrize(
    ("direct_io", "preallocated", "cache", "io"),
    [
        # KubeVirt: converter_test.go "Driver Cache and IO Settings" entries, on the attached disk
        pytest.param(True, False, "none", None, id="dio-sparse"),
        pytest.param(False, False, "writethrough", None, id="no-dio"),
        pytest.param(True, True, "none", "native", id="dio-preallocated"),
        pytest.param(False, True, "writethrough", None, id="no-dio-preallocated"),
    ],
)
def test_cache_and_io_of_an_attached_disk(direct_io: bool, preallocated: bool, cache: str, io: str | None) -> None:
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    del vmi["spec"]["domain"]["devices"]["disks"][1]["cache"]
    facts = {"hpvolume1": VolumeFacts(ready=True, direct_io_supported=direct_io, preallocated=preallocated)}
    change = only(hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, facts).attach)
    io_attr = f' io="{io}"' if io else ""
    assert same_xml(
        change.device_xml,
        f"""<disk device="disk" type="file">
  <source file="{HOTPLUG}/hpvolume1.img"/>
  <target bus="scsi" dev="sda"/>
  <driver cache="{cache}" error_policy="stop"{io_attr} name="qemu" type="raw" discard="unmap"/>
  <alias name="ua-hpvolume1"/>
  <address type="drive" bus="0" controller="0" unit="0"/>
</disk>""",
    ), change.device_xml


def test_cache_none_without_direct_io_fails() -> None:
    # KubeVirt: converter_test.go SetDriverCacheMode "(none, false) -> error", reached from syncDisks
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    facts = {"hpvolume1": VolumeFacts(ready=True, direct_io_supported=False)}
    with pytest.raises(ConversionError, match="Unable to use 'none' cache mode, file system where "
                       f"{HOTPLUG}/hpvolume1.img is stored does not support direct I/O") as err:
        hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, facts)
    assert err.value.field == "spec.domain.devices.disks[1].cache"


def test_discard_ignore_from_the_context() -> None:
    # KubeVirt: configurator_test.go "should omit discard for hotplug DataVolumes in the discard-ignore list"
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    context = {"volumesDiscardIgnore": ["hpvolume1"]}
    change = only(hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, context, READY).attach)
    assert 'discard="unmap"' not in change.device_xml
    assert same_xml(change.device_xml, HP_VOLUME1_ATTACH.replace(' discard="unmap"', ""))


def test_the_vmi_is_not_modified() -> None:
    vmi = hp_volume1_vmi(hotplug_status("hpvolume1"))
    before = repr(vmi)
    hotplug_disk(live_domain(PERM_VOLUME_DISK), vmi, {}, READY)
    assert repr(vmi) == before
