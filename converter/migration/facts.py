"""Facts a migration request carries: what the source and target launchers would probe.

Every fact is optional where KubeVirt reads the same information from the VMI
(`status.migratedVolumes`, `status.migrationState`): a fact given here wins,
an absent one falls back to the VMI. JSON keys are camelCase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON

MDEV = "mdev"
PCI = "pci"


def _object(value: Any, path: str) -> JSON:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConversionError(path, "expected an object")
    return value


def _optional_bool(value: Any, path: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ConversionError(path, "expected a boolean")


def _optional_str(value: Any, path: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ConversionError(path, "expected a string")


def _integer(value: Any, path: str) -> int:
    """A non-negative integer; protojson writes 64-bit values as strings."""
    if isinstance(value, bool):
        raise ConversionError(path, "expected a non-negative integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isdigit():
        number = int(value)
    else:
        raise ConversionError(path, "expected a non-negative integer")
    if number < 0:
        raise ConversionError(path, "expected a non-negative integer")
    return number


def _key(name: str) -> str:
    return f'["{name}"]'


@dataclass(frozen=True, slots=True)
class VolumeFacts:
    """One volume on the source side."""

    virtual_size: int | None = None  # qemu-img virtual size of the backend, for <slices>
    migrated: bool | None = None  # None: listed in status.migratedVolumes
    source_is_block: bool | None = None  # None: status.migratedVolumes[].sourcePVCInfo.volumeMode
    target_is_block: bool | None = None  # None: status.migratedVolumes[].destinationPVCInfo.volumeMode
    virtual_size_error: str | None = None  # why qemu-img could not size the backend

    @classmethod
    def from_dict(cls, data: Any, path: str) -> VolumeFacts:
        data = _object(data, path)
        size = data.get("virtualSize")
        return cls(
            virtual_size=None if size is None else _integer(size, f"{path}.virtualSize"),
            migrated=_optional_bool(data.get("migrated"), f"{path}.migrated"),
            source_is_block=_optional_bool(data.get("sourceIsBlock"), f"{path}.sourceIsBlock"),
            target_is_block=_optional_bool(data.get("targetIsBlock"), f"{path}.targetIsBlock"),
            virtual_size_error=_optional_str(data.get("virtualSizeError"), f"{path}.virtualSizeError"),
        )


@dataclass(frozen=True, slots=True)
class SourceFacts:
    volumes: dict[str, VolumeFacts] = field(default_factory=dict)
    target_uid: str | None = None  # None: status.migrationState.targetState.virtualMachineInstanceUID

    @classmethod
    def from_dict(cls, data: Any, path: str = "sourceFacts") -> SourceFacts:
        data = _object(data, path)
        volumes = _object(data.get("volumes"), f"{path}.volumes")
        return cls(
            volumes={
                str(name): VolumeFacts.from_dict(facts, f"{path}.volumes{_key(str(name))}")
                for name, facts in volumes.items()
            },
            target_uid=_optional_str(data.get("targetVmiUid"), f"{path}.targetVmiUid"),
        )


@dataclass(frozen=True, slots=True)
class GPUDevice:
    """A GPU the target launcher was given (KubeVirt's ConverterContext.GPUHostDevices)."""

    type: str  # "mdev" or "pci"
    uuid: str = ""  # mdev UUID
    pci_address: str = ""

    @property
    def has_address(self) -> bool:
        return bool(self.uuid if self.type == MDEV else self.pci_address)

    @classmethod
    def from_dict(cls, data: Any, path: str) -> GPUDevice:
        data = _object(data, path)
        kind = _optional_str(data.get("type"), f"{path}.type")
        if not kind:
            raise ConversionError(f"{path}.type", "expected the device type (mdev or pci)")
        return cls(
            type=kind,
            uuid=_optional_str(data.get("uuid"), f"{path}.uuid") or "",
            pci_address=_optional_str(data.get("pciAddress"), f"{path}.pciAddress") or "",
        )


@dataclass(frozen=True, slots=True)
class TargetFacts:
    """The target pod and node, for the hooks KubeVirt runs in the target launcher."""

    cpu_set: tuple[int, ...] = ()
    topology: JSON | None = None  # kubevirt.cmd.v1.Topology in protojson form
    domain_namespace: str | None = None  # None: status.migrationState.targetState.domainNamespace
    upgrade_ordinal_ifaces: bool = False  # launcher flag --upgrade-ordinal-ifaces
    pod_interface_names: dict[str, str] | None = None  # None: hashed names of the VMI's networks
    vgpu_hook: bool = False  # launcher flag --vgpu-dedicated-hook
    gpu_devices: tuple[GPUDevice, ...] = ()

    @classmethod
    def from_dict(cls, data: Any, path: str = "targetFacts") -> TargetFacts:
        data = _object(data, path)
        gpus = _gpu_devices(data, path)
        vgpu_hook = _optional_bool(data.get("vgpuDedicatedHook"), f"{path}.vgpuDedicatedHook")
        return cls(
            cpu_set=_cpu_set(data.get("cpuSet"), f"{path}.cpuSet"),
            topology=_object(data.get("topology"), f"{path}.topology") or None,
            domain_namespace=_optional_str(data.get("namespace"), f"{path}.namespace"),
            upgrade_ordinal_ifaces=_optional_bool(
                data.get("upgradeOrdinalIfaces"), f"{path}.upgradeOrdinalIfaces") is True,
            pod_interface_names=_names(data.get("podInterfaceNames"), f"{path}.podInterfaceNames"),
            vgpu_hook=bool(gpus) if vgpu_hook is None else vgpu_hook,
            gpu_devices=gpus,
        )


def _cpu_set(value: Any, path: str) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConversionError(path, "expected a list of CPU ids")
    return tuple(_integer(cpu, f"{path}[{index}]") for index, cpu in enumerate(value))


def _names(value: Any, path: str) -> dict[str, str] | None:
    if value is None:
        return None
    names = _object(value, path)
    for name, iface in names.items():
        if not isinstance(iface, str) or len(iface) < 3:
            raise ConversionError(f"{path}{_key(str(name))}", "expected a pod interface name")
    return {str(name): iface for name, iface in names.items()}


def _gpu_devices(data: JSON, path: str) -> tuple[GPUDevice, ...]:
    """`gpuDevices` in full, or `mdevUuids` as a shorthand for mdev devices."""
    devices = data.get("gpuDevices")
    uuids = data.get("mdevUuids")
    if devices is not None and uuids is not None:
        raise ConversionError(f"{path}.mdevUuids", "give either gpuDevices or mdevUuids, not both")
    if uuids is not None:
        if not isinstance(uuids, list) or not all(isinstance(u, str) for u in uuids):
            raise ConversionError(f"{path}.mdevUuids", "expected a list of strings")
        return tuple(GPUDevice(type=MDEV, uuid=u) for u in uuids)
    if devices is None:
        return ()
    if not isinstance(devices, list):
        raise ConversionError(f"{path}.gpuDevices", "expected a list")
    return tuple(GPUDevice.from_dict(d, f"{path}.gpuDevices[{i}]") for i, d in enumerate(devices))
