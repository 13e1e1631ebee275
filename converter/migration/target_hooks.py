"""The target launcher's pre-migration hooks (KubeVirt's premigration-hook-server).

libvirt hands the incoming domain XML to the target launcher, which adapts it
to the target pod: dedicated CPUs (converter.migration.cpu_hook), disk paths
that embed the namespace, tap names of pods that moved to the hashed
interface naming scheme, and the mdev UUID of a vGPU. Hooks edit the lxml
document in place.
"""

from __future__ import annotations

import hashlib
import re

from lxml import etree

from vmi_converter.converter.common.aliases import user_alias_name
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, dig, items, metadata, obj, spec, status
from vmi_converter.converter.migration.facts import MDEV, TargetFacts

_ORDINAL_TAP = re.compile(r"^tap\d+$")
_PRIMARY_TAP = "tap0"
_PRIMARY_POD_IFACE = "eth0"
_HASHED_IFACE_PREFIX = "pod"
_MAX_IFACE_NAME = 11  # kernel limit (15) minus the "-nic" suffix of bridge bindings


def _devices(root: etree._Element, hook: str) -> etree._Element:
    devices = root.find("devices")
    if devices is None:
        raise ConversionError("domainXml", f"{hook}: the domain has no <devices>")
    return devices


# ---------------------------------------------------------------- disk paths


def source_namespace(vmi: JSON) -> str:
    namespace = dig(status(vmi), "migrationState", "sourceState", "domainNamespace")
    return str(namespace if namespace is not None else metadata(vmi).get("namespace") or "")


def target_namespace(vmi: JSON, facts: TargetFacts) -> str:
    if facts.domain_namespace is not None:
        return facts.domain_namespace
    namespace = dig(status(vmi), "migrationState", "targetState", "domainNamespace")
    return "" if namespace is None else str(namespace)


def disk_source_path_hook(root: etree._Element, vmi: JSON, facts: TargetFacts) -> None:
    """Swap the first `/<source ns>/` segment of file paths for `/<target ns>/` (cross-namespace migration)."""
    if root.find("devices") is None:
        return
    old, new = source_namespace(vmi), target_namespace(vmi, facts)
    if not new or old == new:
        return
    old_segment, new_segment = f"/{old}/", f"/{new}/"
    for disk in root.findall("devices/disk"):
        source = disk.find("source")
        if source is None:
            continue
        if disk.get("type", "file") == "file":
            _replace_in_file(source, old_segment, new_segment)
        store = source.find("dataStore")
        store_source = None if store is None else store.find("source")
        if store is not None and store_source is not None and store.get("type", "file") == "file":
            _replace_in_file(store_source, old_segment, new_segment)


def _replace_in_file(source: etree._Element, old: str, new: str) -> None:
    path = source.get("file")
    if path and old in path:
        source.set("file", path.replace(old, new, 1))


# ---------------------------------------------------------------- interface names


def hashed_interface_name(network_name: str) -> str:
    digest = hashlib.sha256(network_name.encode()).hexdigest()
    return _HASHED_IFACE_PREFIX + digest[:_MAX_IFACE_NAME]


def hashed_pod_interface_names(vmi: JSON) -> dict[str, str]:
    """Network name → pod interface name: hashed for secondary Multus networks, eth0 for the default one."""
    networks = [obj(n) for n in items(spec(vmi).get("networks"))]
    names = {
        str(n.get("name")): hashed_interface_name(str(n.get("name")))
        for n in networks
        if "multus" in n and obj(n.get("multus")).get("default") is not True
    }
    for network in networks:
        if "pod" in network or obj(network.get("multus")).get("default") is True:
            names[str(network.get("name"))] = _PRIMARY_POD_IFACE
            break
    return names


def upgrade_ordinal_naming_scheme(root: etree._Element, vmi: JSON, facts: TargetFacts) -> None:
    """Rename ordinal secondary taps (tap1, tap2...) after the target pod's hashed interface names."""
    devices = _devices(root, "upgrade ordinal interface names")
    pod_names = facts.pod_interface_names
    if pod_names is None:
        pod_names = hashed_pod_interface_names(vmi)
    for index, interface in enumerate(devices.findall("interface")):
        location = f"domainXml.devices.interface[{index}]"
        target = interface.find("target")
        dev = "" if target is None else target.get("dev", "")
        if target is None or not dev or dev == _PRIMARY_TAP or not _ORDINAL_TAP.match(dev):
            continue
        network = _network_from_alias(interface.find("alias"), location)
        pod_iface = pod_names.get(network)
        if pod_iface is None:
            raise ConversionError(location, "could not find pod interface name")
        target.set("dev", "tap" + pod_iface[3:])


def _network_from_alias(alias: etree._Element | None, location: str) -> str:
    if alias is None:
        raise ConversionError(location, "alias cannot be nil")
    name = user_alias_name(alias.get("name", ""))
    if name is None:
        raise ConversionError(location, "invalid alias format")
    return name


# ---------------------------------------------------------------- vGPU


def vgpu_live_migration(root: etree._Element, facts: TargetFacts) -> None:
    """Give the single mdev vGPU the UUID of the mdev the target node allocated."""
    gpus = facts.gpu_devices
    if not gpus:
        return
    hostdevs = _devices(root, "vGPU live migration").findall("hostdev")
    if not hostdevs:
        return
    if len(hostdevs) > 1 or len(gpus) > 1:
        raise ConversionError("domainXml.devices.hostdev", "the migrating vmi should only have one vGPU")
    gpu = gpus[0]
    if not gpu.has_address:
        raise ConversionError("target.gpuDevices[0]", "failed to retrieve host GPU address")
    if gpu.type != MDEV:
        raise ConversionError("target.gpuDevices[0].type", f"unsupporting gpu type for migration: {gpu.type}")
    hostdev = hostdevs[0]
    address = hostdev.find("source/address")
    if hostdev.get("mode") != "subsystem" or hostdev.get("type") != MDEV or address is None:
        raise ConversionError("domainXml.devices.hostdev[0]", "failed to retrieve mdev vGPU from domain")
    address.set("uuid", gpu.uuid)
