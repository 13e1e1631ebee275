"""The converter context: KubeVirt's ConverterContext plus the host facts it probes.

Built from the JSON form of the request's `context` (Go field names with a
lower-case first letter, e.g. `isBlockPVC`, `disksInfo`). Everything KubeVirt
reads from the launcher's host during a conversion arrives here, so a
conversion never touches the host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vmi_converter.converter.common.arch import AMD64, ARCHES, Arch
from vmi_converter.converter.common.errors import ConversionError

JSON = dict[str, Any]

# KubeVirt's package defaults for the directories launcher flags normally set.
DEFAULT_PATHS = {
    "cloudInitDir": "/var/run/libvirt/cloud-init-dir",
    "ignitionDir": "/var/run/libvirt/ignition-dir",
    "containerDiskDir": "/var/run/kubevirt/container-disks",
    "ephemeralDiskDir": "/var/run/libvirt/kubevirt-ephemeral-disk",
    "virtiofsSocketDir": "/var/run/kubevirt/virtiofs-containers",
}


@dataclass(slots=True)
class Paths:
    cloud_init_dir: str = DEFAULT_PATHS["cloudInitDir"]
    ignition_dir: str = DEFAULT_PATHS["ignitionDir"]
    container_disk_dir: str = DEFAULT_PATHS["containerDiskDir"]
    ephemeral_disk_dir: str = DEFAULT_PATHS["ephemeralDiskDir"]
    virtiofs_socket_dir: str = DEFAULT_PATHS["virtiofsSocketDir"]


PATH_ATTRIBUTES = ("cloud_init_dir", "ignition_dir", "container_disk_dir", "ephemeral_disk_dir", "virtiofs_socket_dir")


@dataclass(slots=True)
class EFIConfiguration:
    efi_code: str = ""
    efi_vars: str = ""
    secure_loader: bool = False
    uses_firmware_auto_selection: bool = False


@dataclass(slots=True)
class DiskFacts:
    """Post-conversion host facts for one volume's backend (SetDriverCacheMode/SetOptimalIOMode)."""

    direct_io_supported: bool | None = None
    preallocated: bool | None = None


@dataclass(slots=True)
class Context:
    arch: Arch = ARCHES[AMD64]
    allow_emulation: bool = False
    hypervisor_device_available: bool = False
    cpu_set: list[int] = field(default_factory=list)
    is_block_pvc: dict[str, bool] = field(default_factory=dict)
    is_block_dv: dict[str, bool] = field(default_factory=dict)
    apply_cbt: dict[str, str] = field(default_factory=dict)
    hotplug_volumes: dict[str, JSON] = field(default_factory=dict)
    permanent_volumes: dict[str, JSON] = field(default_factory=dict)
    migrated_volumes: Any = None
    disks_info: dict[str, JSON] = field(default_factory=dict)
    smbios: JSON | None = None
    sriov_devices: list[str] = field(default_factory=list)
    generic_host_devices: list[str] = field(default_factory=list)
    gpu_host_devices: list[str] = field(default_factory=list)
    efi_configuration: EFIConfiguration | None = None
    mem_balloon_stats_period: int = 0
    use_virtio_transitional: bool = False
    volumes_discard_ignore: list[str] = field(default_factory=list)
    topology: JSON | None = None
    use_launch_security_sev: bool = False
    use_launch_security_tdx: bool = False
    use_launch_security_pv: bool = False
    free_page_reporting: bool = False
    bochs_for_efi_guests: bool = False
    serial_console_log: bool = False
    domain_attachment_by_interface_name: dict[str, str] = field(default_factory=dict)
    pci_numa_aware_topology_enabled: bool = False
    grace_io_virtualization_enabled: bool = False
    grace_host_device_aliases: list[str] = field(default_factory=list)
    hypervisor_name: str = ""
    iommufd_enabled: bool = False
    allow_cross_arch_emulation: bool = False
    host_architecture: str = ""
    # Host facts KubeVirt probes during or right after a conversion.
    vsock_namespace_mode: str = "global"
    launcher_log_verbosity: int = 0
    usb_resources: list[str] = field(default_factory=list)
    available_emulators: list[str] | None = None
    # Per volume: {"logical", "physical", "discardGranularity"} of a block device, or {"fsBlockSize"}.
    block_io: dict[str, JSON] = field(default_factory=dict)
    pci_numa_nodes: dict[str, int] = field(default_factory=dict)
    numa_node_cpus: dict[str, list[int]] = field(default_factory=dict)
    # Host-device facts (device-plugin env values, network-info, DRA attributes); None = not supplied.
    resource_addresses: dict[str, str] | None = None
    network_info: Any = None
    dra_devices: dict[str, Any] | None = None
    # Grace IO virtualization sysfs facts (converter/grace.py documents the shape).
    grace: JSON | None = None
    disk_facts: dict[str, DiskFacts] = field(default_factory=dict)
    paths: Paths = field(default_factory=Paths)
    raw: JSON = field(default_factory=dict)


# ---------------------------------------------------------------- reading the JSON form
# Each fact is read by a reader for its type: a value of the wrong type is refused naming its
# context path (a quoted boolean must not turn KVM on), an absent or null one keeps the default.

Reader = Callable[[Any, str], Any]


def _fail(path: str, expected: str, value: Any) -> ConversionError:
    return ConversionError(path, f"expected {expected}, got {type(value).__name__} {value!r:.60}")


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(path, "a boolean", value)
    return value


def _count(value: Any, path: str) -> int:
    """A non-negative integer (periods, verbosity)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(path, "a non-negative integer", value)
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise _fail(path, "a string", value)
    return value


def _object(value: Any, path: str) -> JSON:
    if not isinstance(value, dict):
        raise _fail(path, "a JSON object", value)
    return value


def _anything(value: Any, path: str) -> Any:
    return value


def _list_of(item: Reader) -> Reader:
    def read(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _fail(path, "a list", value)
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    return read


def _map_of(item: Reader) -> Reader:
    def read(value: Any, path: str) -> dict[str, Any]:
        return {k: item(v, f'{path}["{k}"]') for k, v in _object(value, path).items()}

    return read


# JSON name -> (Context attribute, reader). The one table of the context's simple facts; Explain
# names the facts it sees read by it.
FACTS: dict[str, tuple[str, Reader]] = {
    "allowEmulation": ("allow_emulation", _boolean),
    "hypervisorDeviceAvailable": ("hypervisor_device_available", _boolean),
    "cpuSet": ("cpu_set", _list_of(_count)),
    "isBlockPVC": ("is_block_pvc", _map_of(_boolean)),
    "isBlockDV": ("is_block_dv", _map_of(_boolean)),
    "applyCBT": ("apply_cbt", _map_of(_text)),
    "hotplugVolumes": ("hotplug_volumes", _map_of(_object)),
    "permanentVolumes": ("permanent_volumes", _map_of(_object)),
    "migratedVolumes": ("migrated_volumes", _anything),
    "disksInfo": ("disks_info", _map_of(_object)),
    "smbios": ("smbios", _object),
    "sriovDevices": ("sriov_devices", _list_of(_text)),
    "genericHostDevices": ("generic_host_devices", _list_of(_text)),
    "gpuHostDevices": ("gpu_host_devices", _list_of(_text)),
    "memBalloonStatsPeriod": ("mem_balloon_stats_period", _count),
    "useVirtioTransitional": ("use_virtio_transitional", _boolean),
    "volumesDiscardIgnore": ("volumes_discard_ignore", _list_of(_text)),
    "topology": ("topology", _object),
    "useLaunchSecuritySEV": ("use_launch_security_sev", _boolean),
    "useLaunchSecurityTDX": ("use_launch_security_tdx", _boolean),
    "useLaunchSecurityPV": ("use_launch_security_pv", _boolean),
    "freePageReporting": ("free_page_reporting", _boolean),
    "bochsForEFIGuests": ("bochs_for_efi_guests", _boolean),
    "serialConsoleLog": ("serial_console_log", _boolean),
    "domainAttachmentByInterfaceName": ("domain_attachment_by_interface_name", _map_of(_text)),
    "pciNUMAAwareTopologyEnabled": ("pci_numa_aware_topology_enabled", _boolean),
    "graceIOVirtualizationEnabled": ("grace_io_virtualization_enabled", _boolean),
    "graceHostDeviceAliases": ("grace_host_device_aliases", _list_of(_text)),
    "hypervisorName": ("hypervisor_name", _text),
    "iommufdEnabled": ("iommufd_enabled", _boolean),
    "allowCrossArchEmulation": ("allow_cross_arch_emulation", _boolean),
    "hostArchitecture": ("host_architecture", _text),
    "vsockNamespaceMode": ("vsock_namespace_mode", _text),
    "launcherLogVerbosity": ("launcher_log_verbosity", _count),
    "usbResources": ("usb_resources", _list_of(_text)),
    "availableEmulators": ("available_emulators", _list_of(_text)),
    "blockIO": ("block_io", _map_of(_object)),
    "pciNumaNodes": ("pci_numa_nodes", _map_of(_anything)),
    "numaNodeCpus": ("numa_node_cpus", _map_of(_anything)),
    "resourceAddresses": ("resource_addresses", _map_of(_anything)),
    "networkInfo": ("network_info", _anything),
    "draDevices": ("dra_devices", _object),
    "grace": ("grace", _object),
}


def context_from_dict(data: JSON | None) -> Context:
    """Build a Context from its JSON form; unknown keys are kept in `raw` only."""
    data = data or {}
    ctx = Context(raw=data)
    arch_name = data.get("architecture") or AMD64
    if arch_name not in ARCHES:
        raise ConversionError(
            "context.architecture",
            f"unsupported architecture {arch_name!r}: expected one of {', '.join(sorted(ARCHES))}",
        )
    ctx.arch = ARCHES[arch_name]
    # Walk the keys the request has (a handful) rather than every fact there is.
    for key, value in data.items():
        fact = FACTS.get(key)
        if fact is not None and value is not None:
            attribute, read = fact
            setattr(ctx, attribute, read(value, f"context.{key}"))
    efi = data.get("efiConfiguration")
    if isinstance(efi, dict):
        ctx.efi_configuration = EFIConfiguration(
            efi_code=str(efi.get("efiCode") or ""),
            efi_vars=str(efi.get("efiVars") or ""),
            secure_loader=efi.get("secureLoader") is True,
            uses_firmware_auto_selection=efi.get("usesFirmwareAutoSelection") is True,
        )
    for volume, facts in _map_of(_object)(data.get("diskFacts") or {}, "context.diskFacts").items():
        ctx.disk_facts[volume] = DiskFacts(
            direct_io_supported=facts.get("directIOSupported"),
            preallocated=facts.get("preallocated"),
        )
    paths = data.get("paths")
    if paths:
        ctx.paths = Paths(
            **{
                attr: paths.get(key) or default
                for (key, default), attr in zip(DEFAULT_PATHS.items(), PATH_ATTRIBUTES, strict=True)
            }
        )
    return ctx
