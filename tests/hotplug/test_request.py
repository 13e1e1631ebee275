"""The JSON form of HotplugDisk, untrusted domain XML, and libvirt's schema verdict on the device XML."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from hotplug_helpers import HOTPLUG, PERM_VOLUME_DISK, hotplug_status, live_domain, manager_vmi, same_xml
from lxml import etree

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.hotplug import VolumeFacts, hotplug_disk, hotplug_disk_from_request

GONE_LIVE = f"""    <disk type='block' device='disk'>
      <driver name='qemu' type='raw' cache='none' error_policy='stop' io='native'/>
      <source dev='{HOTPLUG}/gone' index='4'/>
      <target dev='sdc' bus='scsi'/>
      <alias name='ua-gone'/>
      <address type='drive' controller='0' bus='0' target='0' unit='2'/>
    </disk>"""


def request() -> dict[str, Any]:
    vmi = manager_vmi(
        {"name": "hpvolume1", "disk": {"bus": "scsi"}},
        {"name": "hpvolume1", "persistentVolumeClaim": {"claimName": "claim1"}},
        hotplug_status("hpvolume1"),
        hotplug_status("hpvolume2"),
    )
    vmi["spec"]["domain"]["devices"]["disks"].append({"name": "hpvolume2", "disk": {"bus": "scsi"}})
    vmi["spec"]["volumes"].append({"name": "hpvolume2", "dataVolume": {"name": "dv2"}})
    return {
        "domainXml": live_domain(PERM_VOLUME_DISK, GONE_LIVE),
        "vmi": vmi,
        "context": {"volumesDiscardIgnore": ["hpvolume1"]},
        "volumes": {
            "hpvolume1": {"isBlock": True, "ready": True, "directIOSupported": False, "preallocated": True},
            "hpvolume2": {"ready": False},
        },
    }


def test_request_and_response_shapes() -> None:
    response = hotplug_disk_from_request(request())
    assert sorted(response) == ["attach", "detach", "notReady", "update"]
    assert response["update"] == []
    assert response["notReady"] == ["hpvolume2"]
    [detach] = response["detach"]
    assert (detach["volume"], detach["targetDev"]) == ("gone", "sdc")
    assert same_xml(detach["deviceXml"], GONE_LIVE)
    [attach] = response["attach"]
    assert (attach["volume"], attach["targetDev"]) == ("hpvolume1", "sda")
    # No O_DIRECT: writethrough, so no native IO even on a block device; preallocated: no discard.
    assert same_xml(
        attach["deviceXml"],
        f"""<disk device="disk" type="block">
  <source dev="{HOTPLUG}/hpvolume1"/>
  <target bus="scsi" dev="sda"/>
  <driver cache="writethrough" error_policy="stop" name="qemu" type="raw"/>
  <alias name="ua-hpvolume1"/>
  <address type="drive" bus="0" controller="0" unit="0"/>
</disk>""",
    ), attach["deviceXml"]


def test_volume_facts_from_json() -> None:
    assert VolumeFacts.from_dict(
        {"isBlock": True, "ready": True, "directIOSupported": False, "preallocated": True, "cbtOverlayPath": "/o"},
        "volumes",
    ) == VolumeFacts(is_block=True, ready=True, direct_io_supported=False, preallocated=True, cbt_overlay_path="/o")
    assert VolumeFacts.from_dict({}, "volumes") == VolumeFacts(ready=False)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"domainXml": 42}, "domainXml"),
        ({"vmi": None}, "vmi"),
        ({"vmi": []}, "vmi"),
        ({"context": "x"}, "context"),
        ({"volumes": []}, "volumes"),
        ({"volumes": {"hpvolume1": True}}, 'volumes["hpvolume1"]'),
        ({"volumes": {"hpvolume1": {"ready": "yes"}}}, 'volumes["hpvolume1"].ready'),
        ({"volumes": {"hpvolume1": {"isBlock": 1}}}, 'volumes["hpvolume1"].isBlock'),
        ({"volumes": {"hpvolume1": {"cbtOverlayPath": 7}}}, 'volumes["hpvolume1"].cbtOverlayPath'),
        ({"context": {"architecture": "mips"}}, "context.architecture"),
    ],
)
def test_bad_request_fields(change: dict[str, Any], field: str) -> None:
    document = request() | change
    with pytest.raises(ConversionError) as err:
        hotplug_disk_from_request(document)
    assert err.value.field == field


def test_request_must_be_an_object() -> None:
    with pytest.raises(ConversionError, match="expected the request as a JSON object"):
        hotplug_disk_from_request([])  # type: ignore[arg-type]


# ---------------------------------------------------------------- untrusted domain XML

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE domain [
  <!ENTITY a "aaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
]>
<domain><name>&c;</name><devices/></domain>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<domain><name>&x;</name><devices/></domain>"""

EXTERNAL_DTD = """<!DOCTYPE domain SYSTEM "http://127.0.0.1:1/domain.dtd"><domain><devices/></domain>"""


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        pytest.param(BILLION_LAUGHS, "must not contain a DOCTYPE", id="entity-expansion"),
        pytest.param(EXTERNAL_ENTITY, "must not contain a DOCTYPE", id="external-entity"),
        pytest.param(EXTERNAL_DTD, "must not contain a DOCTYPE", id="external-dtd"),
        pytest.param("<domain><devices><disk>", "malformed domain XML", id="malformed"),
        pytest.param("", "domain XML is empty", id="empty"),
        pytest.param("<disk device='disk'/>", "expected a <domain> root element", id="not-a-domain"),
        pytest.param("<domain>" + " " * (4 * 1024 * 1024) + "</domain>", "larger than", id="over-4MiB"),
    ],
)
def test_hostile_or_broken_domain_xml_is_rejected(xml: str, message: str) -> None:
    vmi = manager_vmi({"name": "x", "disk": {"bus": "virtio"}}, {"name": "x", "dataVolume": {"name": "x"}})
    with pytest.raises(ConversionError, match=message) as err:
        hotplug_disk(xml, vmi, {}, {})
    assert err.value.field == "domainXml"


# ---------------------------------------------------------------- libvirt's schema

SCHEMA = Path("/usr/share/libvirt/schemas/domain.rng")


@functools.cache
def _schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(SCHEMA)))


def schema_valid(device_xml: str) -> bool:
    """The `<disk>` is valid in a minimal domain under libvirt's RelaxNG schema."""
    domain = (
        '<domain type="kvm"><name>t</name><memory>1048576</memory><os><type>hvm</type></os>'
        f"<devices>{device_xml}</devices></domain>"
    )
    return bool(_schema().validate(etree.fromstring(domain.encode())))


def cbt_attach_xml() -> str:
    vmi = {
        "metadata": {"name": "testvmi", "namespace": "myns", "uid": "1234"},
        "spec": {
            "domain": {
                "devices": {"disks": [{"name": "hotplug-pvc", "disk": {"bus": "virtio"}, "serial": "Serial-A"}]}
            },
            "volumes": [{"name": "hotplug-pvc", "persistentVolumeClaim": {"claimName": "c"}}],
        },
        "status": {"volumeStatus": [hotplug_status("hotplug-pvc", phase="MountedToPod")]},
    }
    facts = {
        "hotplug-pvc": VolumeFacts(ready=True, direct_io_supported=True, cbt_overlay_path="/cbt/hotplug-pvc.qcow2")
    }
    [change] = hotplug_disk(live_domain(), vmi, {}, facts).attach
    return change.device_xml


@pytest.mark.skipif(not SCHEMA.exists(), reason="libvirt's schemas are not installed")
def test_device_xml_is_valid_libvirt_xml() -> None:
    document = request()
    response = hotplug_disk_from_request(document)
    cdrom_vmi = manager_vmi(
        {"name": "cd", "cdrom": {"bus": "sata"}}, None, hotplug_status("cd"),
    )
    loaded = f"""<disk type='file' device='cdrom'><driver name='qemu' type='raw'/>
      <source file='{HOTPLUG}/cd.img' index='1'/><backingStore/><target dev='sda' bus='sata'/><readonly/>
      <alias name='ua-cd'/></disk>"""
    [eject] = hotplug_disk(live_domain(PERM_VOLUME_DISK, loaded), cdrom_vmi, {}, {}).update
    # (A CBT disk's <dataStore> is newer than the libvirt 9.0 schema installed here.)
    for xml in [response["detach"][0]["deviceXml"], response["attach"][0]["deviceXml"], eject.device_xml]:
        assert schema_valid(xml), xml


def test_device_xml_keeps_its_case() -> None:
    """KubeVirt lower-cases the whole device XML (<datastore>, serials, paths); see docs/differences.md."""
    xml = cbt_attach_xml()
    assert "<dataStore " in xml
    assert "<serial>Serial-A</serial>" in xml
