"""Small builders for storage tests, shaped like KubeVirt's libvmi options."""

from __future__ import annotations

import copy
from typing import Any

from vmi_converter.converter.common.build import BuildState
from vmi_converter.converter.common.context import Context, context_from_dict
from vmi_converter.converter.domain.model import Domain
from vmi_converter.converter.domain.xmlmodel import to_xml
from vmi_converter.converter.pipeline import new_domain
from vmi_converter.converter.storage import disks, host_io, virtiofs

JSON = dict[str, Any]
Pair = tuple[JSON | None, JSON | None]


def disk(name: str, bus: str = "virtio", kind: str = "disk", **options: Any) -> JSON:
    spec: JSON = {"name": name, kind: {"bus": bus}}
    spec.update(options)
    return spec


def pvc(name: str, bus: str = "virtio", **options: Any) -> Pair:
    return disk(name, bus, **options), {"name": name, "persistentVolumeClaim": {"claimName": name + "-claim"}}


def data_volume(name: str, bus: str = "virtio", **options: Any) -> Pair:
    return disk(name, bus, **options), {"name": name, "dataVolume": {"name": name}}


def lun_pvc(name: str, reservation: bool = False) -> Pair:
    target: JSON = {"bus": "scsi"}
    if reservation:
        target["reservation"] = True
    return {"name": name, "lun": target}, {"name": name, "persistentVolumeClaim": {"claimName": name}}


def host_disk(name: str, path: str = "/data/disk.img") -> Pair:
    volume = {"name": name, "hostDisk": {"path": path, "type": "DiskOrCreate", "capacity": "1Gi"}}
    return disk(name), volume


def ephemeral(name: str, bus: str = "sata") -> Pair:
    return disk(name, bus), {"name": name, "ephemeral": {"persistentVolumeClaim": {"claimName": name}}}


def volume_only(name: str, source: str, value: JSON | None = None) -> Pair:
    return None, {"name": name, source: value or {}}


def vmi(*pairs: Pair, name: str = "testvmi", namespace: str = "default", **domain: Any) -> JSON:
    """A VMI with the given (disk, volume) pairs; extra keyword arguments go into spec.domain."""
    disks_: list[JSON] = [d for d, _ in pairs if d is not None]
    volumes = [v for _, v in pairs if v is not None]
    spec_domain: JSON = {"devices": {"disks": disks_}}
    for key, value in domain.items():
        if key == "devices":
            spec_domain["devices"].update(value)
        else:
            spec_domain[key] = value
    return {
        "metadata": {"name": name, "namespace": namespace, "uid": "1234"},
        "spec": {"domain": spec_domain, "volumes": volumes},
    }


def with_status(vmi_: JSON, *statuses: JSON) -> JSON:
    result = copy.deepcopy(vmi_)
    result["status"] = {"volumeStatus": list(statuses)}
    return result


def ctx(
    arch: str = "amd64",
    permanent: tuple[str, ...] = (),
    hotplug: dict[str, str] | None = None,
    **context: Any,
) -> Context:
    """A context like the storage tests' newConverterContext: explicit (possibly empty) volume sets."""
    data: JSON = {
        "architecture": arch,
        "permanentVolumes": {name: {} for name in permanent},
        "hotplugVolumes": {name: {"phase": phase} for name, phase in (hotplug or {}).items()},
    }
    data.update(context)
    return context_from_dict(data)


def configure(vmi_: JSON, context: Context) -> Domain:
    domain = new_domain()
    disks.configure(vmi_, domain, context, BuildState())
    return domain


def disk_xmls(vmi_: JSON, context: Context) -> list[str]:
    return [to_xml(d) for d in configure(vmi_, context).devices.disks]


def single_disk_xml(vmi_: JSON, context: Context) -> str:
    found = disk_xmls(vmi_, context)
    assert len(found) == 1, found
    return found[0]


def storage_pipeline(vmi_: JSON, context: Context) -> Domain:
    """The storage steps of a conversion: virtiofs, disks, then the host I/O pass."""
    domain, state = new_domain(), BuildState()
    virtiofs.configure(vmi_, domain, context, state)
    disks.configure(vmi_, domain, context, state)
    host_io.configure(vmi_, domain, context, state)
    return domain
