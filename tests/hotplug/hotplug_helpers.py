"""Builders and the canonical XML comparison for the hot-plug tests."""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

JSON = dict[str, Any]

HOTPLUG = "/var/run/kubevirt/hotplug-disks"


def canonical(xml: str) -> str:
    """C14N of `xml` without whitespace-only text: attribute order and `<x/>` vs `<x></x>` do not matter."""
    root = etree.fromstring(xml.encode())
    for node in root.iter():
        if node.text is not None and not node.text.strip():
            node.text = None
        if node.tail is not None and not node.tail.strip():
            node.tail = None
    return etree.tostring(root, method="c14n").decode()


def same_xml(got: str, want: str) -> bool:
    return canonical(got) == canonical(want)


def live_domain(*disks: str) -> str:
    """A running domain as libvirt's GetXMLDesc(0) prints it, with the given `<disk>` elements."""
    body = "\n".join(disks)
    return f"""<domain type='kvm' id='1' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>myns_testvmi</name>
  <metadata>
    <kubevirt xmlns="http://kubevirt.io">
      <uid>1234</uid>
    </kubevirt>
  </metadata>
  <devices>
    <emulator>/usr/libexec/qemu-kvm</emulator>
{body}
    <controller type='scsi' index='0' model='virtio-non-transitional'/>
  </devices>
  <qemu:commandline/>
</domain>"""


# The permanent disk of every manager_test.go hot-plug case, as libvirt reports it.
PERM_VOLUME_DISK = """    <disk type='file' device='disk' model='virtio-non-transitional'>
      <driver name='qemu' type='raw' cache='none' error_policy='stop'/>
      <source file='/var/run/kubevirt-private/vmi-disks/permvolume1/disk.img' index='2'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
      <alias name='ua-permvolume1'/>
      <address type='pci' domain='0x0000' bus='0x07' slot='0x00' function='0x0'/>
    </disk>"""


def manager_vmi(second: JSON, second_volume: JSON | None, *statuses: JSON) -> JSON:
    """The VMI of manager_test.go's hot-plug cases: `permvolume1` (virtio, DV dv1) plus one more disk."""
    volumes: list[JSON] = [{"name": "permvolume1", "dataVolume": {"name": "dv1"}}]
    if second_volume is not None:
        volumes.append(second_volume)
    return {
        "metadata": {"name": "testvmi", "namespace": "myns", "uid": "1234"},
        "spec": {
            "domain": {
                "devices": {
                    "disks": [{"name": "permvolume1", "disk": {"bus": "virtio"}, "cache": "none"}, second]
                }
            },
            "volumes": volumes,
        },
        "status": {"volumeStatus": [{"name": "permvolume1", "phase": "Ready"}, *statuses]},
    }


def hotplug_status(name: str, phase: str = "Ready") -> JSON:
    return {"name": name, "phase": phase, "hotplugVolume": {"attachPodName": "testpod1", "attachPodUID": "abcd"}}


def hp_volume1_vmi(*statuses: JSON) -> JSON:
    """`hpvolume1`: a scsi disk with cache none on DataVolume dv2."""
    return manager_vmi(
        {"name": "hpvolume1", "disk": {"bus": "scsi"}, "cache": "none"},
        {"name": "hpvolume1", "dataVolume": {"name": "dv2"}},
        *statuses,
    )


def without_status(vmi: JSON, name: str) -> JSON:
    result = copy.deepcopy(vmi)
    result["status"]["volumeStatus"] = [s for s in result["status"]["volumeStatus"] if s["name"] != name]
    return result
