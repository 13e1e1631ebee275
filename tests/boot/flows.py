"""The launcher flows, played against a running domain: what a launcher probes and hands libvirt.

The test stands in for a launcher written in another language: it reads the
running domain's XML from libvirt, probes the host the way KubeVirt's launcher
does (stat, open, O_DIRECT, `qemu-img info`), asks the converter's flows
(HotplugDisk, MigratableXML, through their JSON request form) and applies the
answers with libvirt's own calls. Host paths the boot moved into the work
directory (`Prepared.rewritten`) are put back before the converter sees the
XML, and moved again before libvirt gets the converter's answer, so the
converter only ever sees KubeVirt's paths.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from vmi_converter.converter.hotplug import hotplug_disk_from_request
from vmi_converter.converter.migration import migratable_xml_from_request

from .harness import PATH_NODES, SecondHost, libvirt, prepare_host, release_host

JSON = dict[str, Any]

HOTPLUG_DIR = "/var/run/kubevirt/hotplug-disks"
# KubeVirt's affectDeviceLiveAndConfigLibvirtFlags: every device change goes to both definitions.
LIVE_AND_CONFIG = 1 | 2  # VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG


@dataclass
class HostPaths:
    """Where KubeVirt's host paths live on this test host, for one launcher's work directory."""

    workdir: Path
    moved: dict[str, str] = field(default_factory=dict)  # KubeVirt path -> host path
    loop_devices: list[str] = field(default_factory=list)

    def kubevirt_xml(self, xml: str) -> str:
        """`xml` with the host paths the test moved put back where KubeVirt has them."""
        return _replace_paths(xml, {host: original for original, host in self.moved.items()})

    def host_disk_xml(self, xml: str) -> str:
        """A `<disk>` document from the converter with its paths on this host, its backend created."""
        prepared = prepare_host(f"<domain><devices>{xml}</devices></domain>", self.workdir)
        self._record(prepared.rewritten, prepared.loop_devices)
        disk = etree.fromstring(prepared.xml.encode()).find("devices/disk")
        return etree.tostring(disk, encoding="unicode")

    def mount(self, volume: str, block: bool) -> None:
        """What virt-handler does for a hot-plugged volume: its image file, or a device node."""
        kind, attribute, name = ("block", "dev", volume) if block else ("file", "file", f"{volume}.img")
        disk = f"<disk type='{kind}'><source {attribute}='{HOTPLUG_DIR}/{name}'/></disk>"
        self.host_disk_xml(disk)

    def release(self) -> None:
        for device in self.loop_devices:
            subprocess.run(["losetup", "--detach", device], check=False)
        self.loop_devices.clear()

    def _record(self, moved: dict[str, str], loops: list[str]) -> None:
        self.moved.update(moved)
        self.loop_devices.extend(loops)


def _replace_paths(xml: str, mapping: dict[str, str]) -> str:
    root = etree.fromstring(xml.encode())
    for xpath, attribute in PATH_NODES:
        for node in root.xpath(xpath):
            value = node.text if attribute is None else node.get(attribute)
            if value in mapping:
                if attribute is None:
                    node.text = mapping[value]
                else:
                    node.set(attribute, mapping[value])
    return etree.tostring(root, encoding="unicode")


# --- disk hot-plug -------------------------------------------------------------------------------


def probe_hotplug_volume(host: HostPaths, volume: str) -> JSON:
    """The launcher's facts for a hot-plug volume: device or file, the readiness check, O_DIRECT."""
    device = host.moved.get(f"{HOTPLUG_DIR}/{volume}")
    block = device is not None and os.path.exists(device) and stat.S_ISBLK(os.stat(device).st_mode)
    path = device if block else host.moved.get(f"{HOTPLUG_DIR}/{volume}.img", "")
    try:
        os.stat(path)
    except FileNotFoundError as err:
        return {"isBlock": block, "probeError": {"message": str(err), "notFound": True}}
    return {"isBlock": block, "ready": _opens(path, os.O_RDONLY if block else os.O_RDWR),
            "directIOSupported": _opens(path, os.O_RDONLY | os.O_DIRECT)}


def _opens(path: str, flags: int) -> bool:
    try:
        os.close(os.open(path, flags))
    except OSError:
        return False
    return True


def hotplug_sync(dom: Any, vmi: JSON, context: JSON, host: HostPaths) -> JSON:
    """One sync of KubeVirt's syncDisks: ask HotplugDisk, then detach, attach and update in that order."""
    volumes = [v["name"] for v in vmi["spec"]["volumes"] if _hotpluggable(v)]
    answer = hotplug_disk_from_request({
        "domainXml": host.kubevirt_xml(dom.XMLDesc(0)),
        "vmi": vmi,
        "context": context,
        "volumes": {name: probe_hotplug_volume(host, name) for name in volumes},
    })
    for change in answer["detach"]:
        dom.detachDeviceFlags(host.host_disk_xml(change["deviceXml"]), LIVE_AND_CONFIG)
    for change in answer["attach"]:
        dom.attachDeviceFlags(host.host_disk_xml(change["deviceXml"]), LIVE_AND_CONFIG)
    for change in answer["update"]:
        dom.updateDeviceFlags(host.host_disk_xml(change["deviceXml"]), LIVE_AND_CONFIG)
    return answer


def _hotpluggable(volume: JSON) -> bool:
    return any(isinstance(volume.get(kind), dict) and volume[kind].get("hotpluggable")
               for kind in ("persistentVolumeClaim", "dataVolume"))


def live_disks(xml: str) -> list[tuple[str, ...]]:
    """The disks of a live domain as (alias, device, type, target dev, bus, source path, cache, io)."""
    rows = []
    for disk in etree.fromstring(xml.encode()).findall("devices/disk"):
        source = disk.find("source")
        path = "" if source is None else source.get("file") or source.get("dev") or ""
        alias, target, driver = disk.find("alias"), disk.find("target"), disk.find("driver")
        rows.append((
            "" if alias is None else alias.get("name", ""), disk.get("device", ""), disk.get("type", ""),
            target.get("dev", ""), target.get("bus", ""), path,
            "" if driver is None else driver.get("cache", ""), "" if driver is None else driver.get("io", ""),
        ))
    return rows


# --- live migration ------------------------------------------------------------------------------


def virtual_size(path: str) -> int:
    """`qemu-img info`'s virtual size, as KubeVirt's getDiskVirtualSize reads it."""
    info = subprocess.run(["qemu-img", "info", "--output", "json", "-U", path], check=True, capture_output=True)
    return int(json.loads(info.stdout)["virtual-size"])


def storage_migration(vmi: JSON, live_xml: str) -> tuple[list[JSON], dict[str, int]]:
    """Every PVC and DataVolume copied to new storage of the other volume mode, and their sizes."""
    migrated, sizes = [], {}
    disks = {}
    for disk in etree.fromstring(live_xml.encode()).findall("devices/disk"):
        alias = disk.find("alias")
        if alias is not None:
            disks[alias.get("name", "").removeprefix("ua-")] = disk
    for volume in vmi["spec"].get("volumes", []):
        kind = "persistentVolumeClaim" if "persistentVolumeClaim" in volume else "dataVolume"
        disk = disks.get(volume["name"])
        if kind not in volume or disk is None or disk.get("device") != "disk":
            continue
        source = disk.find("source")
        block = disk.get("type") == "block"
        modes = ("Block", "Filesystem") if block else ("Filesystem", "Block")
        migrated.append({
            "volumeName": volume["name"],
            "sourcePVCInfo": {"claimName": volume["name"], "volumeMode": modes[0]},
            "destinationPVCInfo": {"claimName": f"{volume['name']}-copy", "volumeMode": modes[1]},
        })
        sizes[volume["name"]] = virtual_size(source.get("dev") if block else source.get("file"))
    return migrated, sizes


@dataclass
class Migration:
    request: JSON
    answer: JSON
    target: JSON  # second_host.start_paused's answer


def migrate_to_second_host(dom: Any, vmi: JSON, host: HostPaths, second: SecondHost, target_dir: Path) -> Migration:
    """MigratableXML for the running domain, its destination XML started paused on the second libvirt.

    The VMI migrates to another namespace and UID with every PVC/DataVolume
    copied to storage of the other volume mode, so the rewrite and the target
    hooks all have work to do.
    """
    host_live = dom.XMLDesc(0)
    migrated, sizes = storage_migration(vmi, host_live)
    namespace, name = vmi["metadata"]["namespace"], vmi["metadata"]["name"]
    vmi = json.loads(json.dumps(vmi))
    vmi.setdefault("status", {}).update(
        migratedVolumes=migrated,
        migrationState={"targetState": {"domainName": name, "domainNamespace": f"{namespace}-target",
                                        "virtualMachineInstanceUID": str(uuid.uuid4())}},
    )
    state, _ = dom.state()
    request = {
        "domainXml": host.kubevirt_xml(dom.XMLDesc(libvirt.VIR_DOMAIN_XML_MIGRATABLE)),
        "liveDomainXml": host.kubevirt_xml(host_live),
        "vmi": vmi,
        "sourceFacts": {"volumes": {volume: {"virtualSize": size} for volume, size in sizes.items()}},
        "targetFacts": {},
        "migrationOptions": {"bandwidth": "64Mi", "allowAutoConverge": True},
        "domainPaused": state == libvirt.VIR_DOMAIN_PAUSED,
    }
    answer = migratable_xml_from_request(request)
    destination = etree.fromstring(answer["domainXml"].encode())
    destination.find("name").text = answer["destName"]  # libvirt's VIR_MIGRATE_PARAM_DEST_NAME
    # The target pod has its own volumes: paths under the source's work directory move to the target's.
    prepared = prepare_host(etree.tostring(destination, encoding="unicode"), target_dir,
                            path_map={str(host.workdir): str(target_dir)})
    try:
        target = second.start_paused(prepared.xml)
    finally:
        release_host(prepared)
    return Migration(request, answer, target)


def copied_disks_with_slices(xml: str) -> list[str]:
    """Target devs of the disks whose source carries a storage slice."""
    root = etree.fromstring(xml.encode())
    return [disk.find("target").get("dev") for disk in root.findall("devices/disk")
            if disk.find("source/slices/slice[@type='storage']") is not None]
