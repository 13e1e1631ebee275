"""Names that become file paths or XML are checked before anything is converted.

The VMI's name, namespace and UID are joined into paths
(`{cloudInitDir}/{namespace}/{name}/noCloud.iso`, `/var/run/kubevirt-private/{uid}/virt-vnc`), and
volume, disk, interface, network and filesystem names into paths and aliases. Kubernetes admits only
DNS-1123 names for objects and namespaces; KubeVirt admits looser device names (its own tests use
`ephemeral_pvc`), so those only have to be safe: never a path separator, `.`/`..`, or control characters.
"""

from __future__ import annotations

import re
from typing import Any

from converter.errors import ConversionError
from converter.vmi import JSON, devices, items, metadata, spec

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


def validate_names(vmi: JSON) -> None:
    meta = metadata(vmi)
    _check(meta.get("name"), "metadata.name", _DNS1123_SUBDOMAIN, 253, "a DNS-1123 subdomain")
    _check(meta.get("namespace"), "metadata.namespace", _DNS1123_LABEL, 63, "a DNS-1123 label")
    _check(meta.get("uid"), "metadata.uid", _UID, 128, "letters, digits and dashes")
    for path, get in _NAMED_LISTS:
        for index, entry in enumerate(items(get(vmi))):
            if isinstance(entry, dict):
                _check_device_name(entry.get("name"), f"{path}[{index}].name")
    for index, disk in enumerate(items(devices(vmi).get("disks"))):
        serial = disk.get("serial") if isinstance(disk, dict) else None
        if serial not in (None, "") and not (isinstance(serial, str) and _DISK_SERIAL.match(serial)):
            raise ConversionError(
                f"spec.domain.devices.disks[{index}].serial",
                f"{serial!r}: a disk serial is 1 to 256 of A-Z a-z 0-9 _ . + - and space (libvirt's rule)",
            )


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
