"""The converter context: KubeVirt's ConverterContext plus the host facts it probes.

Built from the JSON form of the request's `context` (Go field names with a
lower-case first letter, e.g. `isBlockPVC`, `disksInfo`). Everything KubeVirt
reads from the launcher's host during a conversion arrives here, so a
conversion never touches the host.
"""

from __future__ import annotations

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


_SIMPLE = {
    "allowEmulation": "allow_emulation",
    "hypervisorDeviceAvailable": "hypervisor_device_available",
    "cpuSet": "cpu_set",
    "isBlockPVC": "is_block_pvc",
    "isBlockDV": "is_block_dv",
    "applyCBT": "apply_cbt",
    "hotplugVolumes": "hotplug_volumes",
    "permanentVolumes": "permanent_volumes",
    "migratedVolumes": "migrated_volumes",
    "disksInfo": "disks_info",
    "smbios": "smbios",
    "sriovDevices": "sriov_devices",
    "genericHostDevices": "generic_host_devices",
    "gpuHostDevices": "gpu_host_devices",
    "memBalloonStatsPeriod": "mem_balloon_stats_period",
    "useVirtioTransitional": "use_virtio_transitional",
    "volumesDiscardIgnore": "volumes_discard_ignore",
    "topology": "topology",
    "useLaunchSecuritySEV": "use_launch_security_sev",
    "useLaunchSecurityTDX": "use_launch_security_tdx",
    "useLaunchSecurityPV": "use_launch_security_pv",
    "freePageReporting": "free_page_reporting",
    "bochsForEFIGuests": "bochs_for_efi_guests",
    "serialConsoleLog": "serial_console_log",
    "domainAttachmentByInterfaceName": "domain_attachment_by_interface_name",
    "pciNUMAAwareTopologyEnabled": "pci_numa_aware_topology_enabled",
    "graceIOVirtualizationEnabled": "grace_io_virtualization_enabled",
    "graceHostDeviceAliases": "grace_host_device_aliases",
    "hypervisorName": "hypervisor_name",
    "iommufdEnabled": "iommufd_enabled",
    "allowCrossArchEmulation": "allow_cross_arch_emulation",
    "hostArchitecture": "host_architecture",
    "vsockNamespaceMode": "vsock_namespace_mode",
    "launcherLogVerbosity": "launcher_log_verbosity",
    "usbResources": "usb_resources",
    "availableEmulators": "available_emulators",
    "blockIO": "block_io",
    "pciNumaNodes": "pci_numa_nodes",
    "numaNodeCpus": "numa_node_cpus",
    "resourceAddresses": "resource_addresses",
    "networkInfo": "network_info",
    "draDevices": "dra_devices",
    "grace": "grace",
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
    # Walk the keys the request has (a handful) rather than every key there is.
    for key, value in data.items():
        attr = _SIMPLE.get(key)
        if attr is not None and value is not None:
            setattr(ctx, attr, value)
    ctx.mem_balloon_stats_period = int(ctx.mem_balloon_stats_period)
    ctx.launcher_log_verbosity = int(ctx.launcher_log_verbosity)
    efi = data.get("efiConfiguration")
    if isinstance(efi, dict):
        ctx.efi_configuration = EFIConfiguration(
            efi_code=str(efi.get("efiCode") or ""),
            efi_vars=str(efi.get("efiVars") or ""),
            secure_loader=efi.get("secureLoader") is True,
            uses_firmware_auto_selection=efi.get("usesFirmwareAutoSelection") is True,
        )
    for volume, facts in (data.get("diskFacts") or {}).items():
        ctx.disk_facts[volume] = DiskFacts(
            direct_io_supported=facts.get("directIOSupported"),
            preallocated=facts.get("preallocated"),
        )
    paths = data.get("paths")
    if paths:
        ctx.paths = Paths(
            **{
                attr: paths.get(key) or default
                for (key, default), attr in zip(DEFAULT_PATHS.items(), Paths.__slots__, strict=True)
            }
        )
    return ctx
