"""The VirtualMachineInstance inside each KubeVirt object that carries one.

A `VirtualMachine`, a `VirtualMachinePool` and a `VirtualMachineInstanceReplicaSet`
hold a VMI template; their controllers turn it into the VMI that is converted. The
VMI built here carries the name, namespace, labels, annotations and owner that
KubeVirt's controllers give it (pkg/virt-controller/watch/vm/vm.go SetupVMIFromVM,
pool/pool.go, replicaset/replicaset.go at d923fdb8), so the domain is the one the
launcher would get. A Kubernetes `List` carries several of them.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from vmi_converter.converter.common.errors import ConversionError

JSON = dict[str, Any]

VMI_KIND = "VirtualMachineInstance"
KINDS = (
    VMI_KIND,
    "VirtualMachine",
    "VirtualMachinePool",
    "VirtualMachineInstanceReplicaSet",
    "List",
)
# virt-controller's namespace for the stable firmware UUID of a VM's VMI (firmware.go).
_FIRMWARE_UUID_NAMESPACE = uuid.UUID("6a1a24a1-4061-4607-8bf4-a3963d0c5895")
_GENERATION_ANNOTATION = "kubevirt.io/vm-generation"


def vmis_in(document: Any, field: str) -> list[JSON]:
    """Every VMI `document` carries, in order; an object of another kind is refused."""
    if not isinstance(document, dict):
        raise ConversionError(field or "vmi", f"expected {_kinds()}")
    kind = document.get("kind")
    if kind is None or kind == VMI_KIND:
        return [document]
    if kind == "List" or (isinstance(kind, str) and kind.endswith("List") and "items" in document):
        items = document.get("items")
        if not isinstance(items, list):
            raise ConversionError(_join(field, "items"), "expected a list of KubeVirt objects")
        return [vmi for i, item in enumerate(items) for vmi in vmis_in(item, _join(field, f"items[{i}]"))]
    unwrap = _UNWRAP.get(kind) if isinstance(kind, str) else None
    if unwrap is None:
        raise ConversionError(_join(field, "kind"), f"expected {_kinds()}, got {kind!r}")
    return [unwrap(document, field)]


def vmi_from_vm(vm: JSON, field: str) -> JSON:
    """SetupVMIFromVM: the template with the VM's name and namespace, a stable firmware UUID,
    the generation annotation, the VM as controller, and a disk for every volume without one."""
    metadata, template = _object(vm, "metadata", field), _template(vm, ("spec", "template"), field)
    name = _name(metadata, field)
    vmi = _vmi(template, name=name, namespace=metadata.get("namespace"), field=_join(field, "spec.template"))
    spec = vmi["spec"]
    firmware = _ensure(_ensure(spec, "domain"), "firmware")
    if not firmware.get("uuid"):
        firmware["uuid"] = str(uuid.uuid5(_FIRMWARE_UUID_NAMESPACE, name))
    if "generation" in metadata:
        vmi["metadata"].setdefault("annotations", {})[_GENERATION_ANNOTATION] = str(metadata["generation"])
    vmi["metadata"]["ownerReferences"] = [_controller_ref(vm, "VirtualMachine")]
    _default_volume_disks(spec)
    return vmi


def _vmi_from_pool(pool: JSON, field: str) -> JSON:
    """The pool's first VM (`NAME-0`, with the pool's VM template labels and annotations), then its VMI."""
    metadata = _object(pool, "metadata", field)
    vm_template = _template(pool, ("spec", "virtualMachineTemplate"), field)
    vm = {
        "apiVersion": pool.get("apiVersion"),
        "kind": "VirtualMachine",
        "metadata": {
            **copy.deepcopy(_object(vm_template, "metadata", _join(field, "spec.virtualMachineTemplate"))),
            "name": f"{_name(metadata, field)}-0",
            "namespace": metadata.get("namespace"),
        },
        "spec": copy.deepcopy(vm_template.get("spec") or {}),
    }
    return vmi_from_vm(vm, _join(field, "spec.virtualMachineTemplate"))


def _vmi_from_replica_set(replica_set: JSON, field: str) -> JSON:
    """A replica: the template's metadata; the API server would add a random suffix to the
    generated name, the conversion uses the base name itself."""
    metadata = _object(replica_set, "metadata", field)
    template = _template(replica_set, ("spec", "template"), field)
    template_field = _join(field, "spec.template")
    template_meta = _object(template, "metadata", template_field)
    base = template_meta.get("name") or template_meta.get("generateName") or _name(metadata, field)
    if not isinstance(base, str):
        raise ConversionError(_join(template_field, "metadata.generateName"), "expected a string")
    vmi = _vmi(template, name=base, namespace=metadata.get("namespace"), field=template_field)
    vmi["metadata"]["generateName"] = base
    vmi["metadata"]["ownerReferences"] = [_controller_ref(replica_set, "VirtualMachineInstanceReplicaSet")]
    return vmi


_UNWRAP = {
    "VirtualMachine": vmi_from_vm,
    "VirtualMachinePool": _vmi_from_pool,
    "VirtualMachineInstanceReplicaSet": _vmi_from_replica_set,
}


def _vmi(template: JSON, name: str, namespace: Any, field: str) -> JSON:
    """The template's metadata and spec as a VMI's; `field` is the template's path, for errors."""
    metadata = copy.deepcopy(_object(template, "metadata", field))
    spec = copy.deepcopy(_object(template, "spec", field))
    domain = _object(spec, "domain", _join(field, "spec"))
    for key in ("devices", "firmware"):  # the parts filled in below
        _object(domain, key, _join(field, "spec.domain"))
    metadata.pop("generateName", None)
    metadata["name"] = name
    if namespace is not None:
        metadata["namespace"] = namespace
    else:
        metadata.pop("namespace", None)
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": VMI_KIND,
        "metadata": metadata,
        "spec": spec,
    }


def _default_volume_disks(spec: JSON) -> None:
    """SetDefaultVolumeDisk: a volume with neither a disk nor a filesystem gets a disk of its name."""
    devices = _ensure(_ensure(spec, "domain"), "devices")
    disks, volumes = devices.setdefault("disks", []), spec.get("volumes") or []
    if not isinstance(disks, list) or not isinstance(volumes, list):
        return  # the VMI's own checks name the field
    used = {d.get("name") for key in ("disks", "filesystems") for d in _items(devices.get(key)) if isinstance(d, dict)}
    for volume in volumes:
        if isinstance(volume, dict) and volume.get("name") not in used:
            disks.append({"name": volume.get("name")})
    if not disks:
        del devices["disks"]


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(metadata: JSON, field: str) -> str:
    name = metadata.get("name") or ""
    if not isinstance(name, str):
        raise ConversionError(_join(field, "metadata.name"), "expected a string")
    return name


def _controller_ref(owner: JSON, kind: str) -> JSON:
    metadata = owner.get("metadata") or {}
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": kind,
        "name": metadata.get("name") or "",
        "uid": metadata.get("uid") or "",
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _object(document: JSON, key: str, field: str) -> JSON:
    value = document.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConversionError(_join(field, key), "expected an object")
    return value


def _template(document: JSON, keys: tuple[str, ...], field: str) -> JSON:
    value: Any = document
    for depth, key in enumerate(keys):
        value = value.get(key) if isinstance(value, dict) else None
        if not isinstance(value, dict):
            path = _join(field, ".".join(keys[: depth + 1]))
            raise ConversionError(path, f"a {document.get('kind')} needs {'.'.join(keys)}")
    return value


def _ensure(parent: JSON, key: str) -> JSON:
    value = parent.get(key)
    if not isinstance(value, dict):
        value = parent[key] = {}
    return value


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def _kinds() -> str:
    return f"a {', '.join(KINDS[:-2])} or {KINDS[-2]}, or a List of them"
