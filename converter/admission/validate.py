"""The VMI is checked before conversion: names that become paths, and values that become XML.

The VMI's name, namespace and UID are joined into paths
(`{cloudInitDir}/{namespace}/{name}/noCloud.iso`, `/var/run/kubevirt-private/{uid}/virt-vnc`), and
volume, disk, interface, network and filesystem names into paths and aliases. Kubernetes admits only
DNS-1123 names for objects and namespaces; KubeVirt admits looser device names (its own tests use
`ephemeral_pvc`), so those only have to be safe: never a path separator, `.`/`..`, or control characters.
"""

from __future__ import annotations

import re
from typing import Any

from vmi_converter.converter.common import quantity
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON, devices, items, metadata, obj, spec
from vmi_converter.converter.common.xml_chars import refuse_unencodable

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_LABEL = re.compile(f"^{_LABEL}$")
_DNS1123_SUBDOMAIN = re.compile(rf"^{_LABEL}(\.{_LABEL})*$")
_UID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")
_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")
# libvirt's schema for <serial> in a <disk>; KubeVirt only limits its length to 256.
_DISK_SERIAL = re.compile(r"^[A-Za-z0-9_.+\- ]{1,256}$")

_NAMED_LISTS = (
    ("spec.volumes", lambda vmi: spec(vmi).get("volumes")),
    ("spec.networks", lambda vmi: spec(vmi).get("networks")),
    ("spec.domain.devices.disks", lambda vmi: devices(vmi).get("disks")),
    ("spec.domain.devices.interfaces", lambda vmi: devices(vmi).get("interfaces")),
    ("spec.domain.devices.filesystems", lambda vmi: devices(vmi).get("filesystems")),
    ("spec.domain.devices.gpus", lambda vmi: devices(vmi).get("gpus")),
    ("spec.domain.devices.hostDevices", lambda vmi: devices(vmi).get("hostDevices")),
    ("spec.domain.devices.inputs", lambda vmi: devices(vmi).get("inputs")),
)


# Values KubeVirt's API allows (its admission refuses others); anything else would reach the XML
# as an attribute libvirt does not know. (path pattern with [*] for list items, allowed values)
_ENUMS: tuple[tuple[str, frozenset[str]], ...] = (
    ("spec.domain.devices.disks[*].disk.bus", frozenset({"virtio", "sata", "scsi", "usb"})),
    ("spec.domain.devices.disks[*].cdrom.bus", frozenset({"virtio", "sata", "scsi", "usb"})),
    ("spec.domain.devices.disks[*].lun.bus", frozenset({"virtio", "sata", "scsi", "usb"})),
    ("spec.domain.devices.disks[*].cdrom.tray", frozenset({"open", "closed"})),
    ("spec.domain.devices.disks[*].cache", frozenset({"none", "writethrough", "writeback"})),
    ("spec.domain.devices.disks[*].io", frozenset({"native", "threads"})),
    (
        "spec.domain.devices.interfaces[*].model",
        frozenset({"e1000", "e1000e", "igb", "ne2k_pci", "pcnet", "rtl8139", "virtio"}),
    ),
    ("spec.domain.clock.timer.hpet.tickPolicy", frozenset({"delay", "catchup", "merge", "discard"})),
    ("spec.domain.clock.timer.pit.tickPolicy", frozenset({"delay", "catchup", "discard"})),
    ("spec.domain.clock.timer.rtc.tickPolicy", frozenset({"delay", "catchup"})),
    ("spec.domain.clock.timer.rtc.track", frozenset({"guest", "wall"})),
    ("spec.domain.devices.watchdog.i6300esb.action", frozenset({"poweroff", "reset", "shutdown"})),
    ("spec.domain.devices.watchdog.diag288.action", frozenset({"poweroff", "reset", "shutdown"})),
    ("spec.domain.ioThreadsPolicy", frozenset({"shared", "auto", "supplementalPool"})),
)


def validate_vmi(vmi: JSON) -> None:
    """Refuse names and values that would escape a path or reach the XML as something libvirt refuses."""
    refuse_unencodable(vmi, "")
    meta = metadata(vmi)
    _check(meta.get("name"), "metadata.name", _DNS1123_SUBDOMAIN, 253, "a DNS-1123 subdomain")
    _check(meta.get("namespace"), "metadata.namespace", _DNS1123_LABEL, 63, "a DNS-1123 label")
    _check(meta.get("uid"), "metadata.uid", _UID, 128, "letters, digits and dashes")
    for path, get in _NAMED_LISTS:
        for index, entry in enumerate(items(get(vmi))):
            if isinstance(entry, dict):
                _check_device_name(entry.get("name"), f"{path}[{index}].name")
    for pattern, allowed in _ENUMS:
        for field, value in _values_at(vmi, pattern.split(".")):
            if value not in (None, "") and value not in allowed:
                raise ConversionError(field, f"{value!r} is not one of {', '.join(sorted(allowed))}")
    _check_boot_orders(vmi)
    _check_cpu_feature_policies(vmi)
    for index, disk in enumerate(items(devices(vmi).get("disks"))):
        serial = disk.get("serial") if isinstance(disk, dict) else None
        if serial not in (None, "") and not (isinstance(serial, str) and _DISK_SERIAL.match(serial)):
            raise ConversionError(
                f"spec.domain.devices.disks[{index}].serial",
                f"{serial!r}: a disk serial is 1 to 256 of A-Z a-z 0-9 _ . + - and space (libvirt's rule)",
            )


# KubeVirt's admission (vmi-create-admitter.go validCPUFeaturePolicies); libvirt's schema knows no other.
_CPU_FEATURE_POLICIES = frozenset({"force", "require", "optional", "disable", "forbid"})


def _check_cpu_feature_policies(vmi: JSON) -> None:
    features = obj(obj(obj(spec(vmi).get("domain")).get("cpu"))).get("features")
    for index, feature in enumerate(items(features)):
        policy = obj(feature).get("policy")
        if policy not in (None, "") and policy not in _CPU_FEATURE_POLICIES:
            raise ConversionError(
                f"spec.domain.cpu.features[{index}].policy",
                f"CPU feature {obj(feature).get('name')} uses policy {policy} that is not supported.",
            )


def _check_boot_orders(vmi: JSON) -> None:
    """KubeVirt's admission (storage/admitters/disks.go, vmi-create-admitter.go validateBootOrder): a boot
    order is at least 1 and used by one device only, disks first; libvirt refuses both too."""
    used: set[int] = set()
    for kind in ("disks", "interfaces"):
        for index, device in enumerate(items(devices(vmi).get(kind))):
            order = obj(device).get("bootOrder")
            if order is None:
                continue
            path = f"spec.domain.devices.{kind}[{index}]"
            if isinstance(order, bool) or not isinstance(order, int) or order < 1:
                raise ConversionError(f"{path}.bootOrder", f"{path} must have a boot order > 0, if supplied")
            if order in used:
                message = f"Boot order for {path}.bootOrder already set for a different device."
                raise ConversionError(f"{path}.bootOrder", message)
            used.add(order)


def _check(value: Any, field: str, pattern: re.Pattern[str], limit: int, what: str) -> None:
    if value is None or value == "":
        return
    if not isinstance(value, str) or len(value) > limit or not pattern.match(value):
        raise ConversionError(field, f"{value!r} is not {what} (at most {limit} characters)")


def _check_device_name(value: Any, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not value or len(value) > 253:
        raise ConversionError(field, "names must be non-empty strings of at most 253 characters")
    if value in (".", "..") or _UNSAFE.search(value):
        raise ConversionError(field, f"{value!r} cannot be used in a path: no slashes, '.', '..' or control characters")


def _values_at(value: Any, steps: list[str], path: str = "") -> list[tuple[str, Any]]:
    """(field path, value) for every match of a dotted pattern whose `[*]` steps walk list items."""
    if not steps:
        return [(path, value)]
    step, rest = steps[0], steps[1:]
    key = step.removesuffix("[*]")
    child = value.get(key) if isinstance(value, dict) else None
    child_path = f"{path}.{key}" if path else key
    if child is None:
        return []
    if step.endswith("[*]"):
        return [
            found
            for index, item in enumerate(items(child))
            for found in _values_at(item, rest, f"{child_path}[{index}]")
        ]
    return _values_at(child, rest, child_path)


# Above these, a domain would list more vCPUs / IOThreads than QEMU can run; refusing them also keeps a
# hostile request from making the converter build millions of <vcpu> or <iothread> elements.
MAX_VCPUS = 4096
MAX_IOTHREADS = 4096


def validate_counts(vmi: JSON) -> None:
    """Run on the defaulted VMI: CPU topology (defaulted from requests too) and IOThread counts."""
    dom = obj(spec(vmi).get("domain"))
    # The request first: defaulting derives the socket count from it.
    for kind in ("requests", "limits"):
        amount = obj(obj(dom.get("resources")).get(kind)).get("cpu")
        if amount is not None and _quantity_above(amount, MAX_VCPUS):
            raise ConversionError(f"spec.domain.resources.{kind}.cpu", f"more than {MAX_VCPUS} CPUs")
    cpu = obj(dom.get("cpu"))
    counts = {}
    for key in ("sockets", "cores", "threads", "maxSockets"):
        value = cpu.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_VCPUS:
            raise ConversionError(f"spec.domain.cpu.{key}", f"{value!r} is not a count from 0 to {MAX_VCPUS}")
        counts[key] = value or 1
    per_socket = counts.get("cores", 1) * counts.get("threads", 1)
    for key in ("sockets", "maxSockets"):
        if counts.get(key, 1) * per_socket > MAX_VCPUS:
            raise ConversionError(f"spec.domain.cpu.{key}", f"{key} * cores * threads is more than {MAX_VCPUS} vCPUs")
    threads = obj(dom.get("ioThreads")).get("supplementalPoolThreadCount")
    if threads is not None and (
        not isinstance(threads, int) or isinstance(threads, bool) or not 0 <= threads <= MAX_IOTHREADS
    ):
        raise ConversionError(
            "spec.domain.ioThreads.supplementalPoolThreadCount", f"{threads!r} is not a count from 0 to {MAX_IOTHREADS}"
        )


def _quantity_above(amount: Any, limit: int) -> bool:
    try:
        return quantity.parse(amount) > limit
    except quantity.QuantityError as err:
        raise ConversionError("spec.domain.resources", str(err)) from None
