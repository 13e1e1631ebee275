"""The converter context: KubeVirt's ConverterContext plus the host facts it probes.

Built from the JSON form of the request's `context` (Go field names with a
lower-case first letter, e.g. `isBlockPVC`, `disksInfo`). Everything KubeVirt
reads from the launcher's host during a conversion arrives here, so a
conversion never touches the host.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from vmi_converter.converter.common.arch import AMD64, ARCHES, Arch
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.xml_chars import refuse_unencodable

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


def fact(json_name: str, read: Reader, default: Any = None, factory: Callable[[], Any] | None = None) -> Any:
    """A Context field read from the context's JSON key `json_name` by `read` (absent or null: default)."""
    metadata = {"json": json_name, "read": read}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(slots=True)
class Context:
    arch: Arch = ARCHES[AMD64]
    allow_emulation: bool = fact("allowEmulation", _boolean, False)
    hypervisor_device_available: bool = fact("hypervisorDeviceAvailable", _boolean, False)
    cpu_set: list[int] = fact("cpuSet", _list_of(_count), factory=list)
    is_block_pvc: MutableMapping[str, bool] = fact("isBlockPVC", _map_of(_boolean), factory=dict)
    is_block_dv: MutableMapping[str, bool] = fact("isBlockDV", _map_of(_boolean), factory=dict)
    apply_cbt: MutableMapping[str, str] = fact("applyCBT", _map_of(_text), factory=dict)
    hotplug_volumes: MutableMapping[str, JSON] = fact("hotplugVolumes", _map_of(_object), factory=dict)
    permanent_volumes: MutableMapping[str, JSON] = fact("permanentVolumes", _map_of(_object), factory=dict)
    migrated_volumes: Any = fact("migratedVolumes", _anything, None)
    disks_info: MutableMapping[str, JSON] = fact("disksInfo", _map_of(_object), factory=dict)
    smbios: JSON | None = fact("smbios", _object, None)
    sriov_devices: list[str] = fact("sriovDevices", _list_of(_text), factory=list)
    generic_host_devices: list[str] = fact("genericHostDevices", _list_of(_text), factory=list)
    gpu_host_devices: list[str] = fact("gpuHostDevices", _list_of(_text), factory=list)
    efi_configuration: EFIConfiguration | None = None
    mem_balloon_stats_period: int = fact("memBalloonStatsPeriod", _count, 0)
    use_virtio_transitional: bool = fact("useVirtioTransitional", _boolean, False)
    volumes_discard_ignore: list[str] = fact("volumesDiscardIgnore", _list_of(_text), factory=list)
    topology: JSON | None = fact("topology", _object, None)
    use_launch_security_sev: bool = fact("useLaunchSecuritySEV", _boolean, False)
    use_launch_security_tdx: bool = fact("useLaunchSecurityTDX", _boolean, False)
    use_launch_security_pv: bool = fact("useLaunchSecurityPV", _boolean, False)
    free_page_reporting: bool = fact("freePageReporting", _boolean, False)
    bochs_for_efi_guests: bool = fact("bochsForEFIGuests", _boolean, False)
    serial_console_log: bool = fact("serialConsoleLog", _boolean, False)
    domain_attachment_by_interface_name: MutableMapping[str, str] = fact(
        "domainAttachmentByInterfaceName", _map_of(_text), factory=dict
    )
    pci_numa_aware_topology_enabled: bool = fact("pciNUMAAwareTopologyEnabled", _boolean, False)
    grace_io_virtualization_enabled: bool = fact("graceIOVirtualizationEnabled", _boolean, False)
    grace_host_device_aliases: list[str] = fact("graceHostDeviceAliases", _list_of(_text), factory=list)
    hypervisor_name: str = fact("hypervisorName", _text, "")
    iommufd_enabled: bool = fact("iommufdEnabled", _boolean, False)
    allow_cross_arch_emulation: bool = fact("allowCrossArchEmulation", _boolean, False)
    host_architecture: str = fact("hostArchitecture", _text, "")
    # Host facts KubeVirt probes during or right after a conversion.
    vsock_namespace_mode: str = fact("vsockNamespaceMode", _text, "global")
    launcher_log_verbosity: int = fact("launcherLogVerbosity", _count, 0)
    usb_resources: list[str] = fact("usbResources", _list_of(_text), factory=list)
    available_emulators: list[str] | None = fact("availableEmulators", _list_of(_text), None)
    # Per volume: {"logical", "physical", "discardGranularity"} of a block device, or {"fsBlockSize"}.
    block_io: MutableMapping[str, JSON] = fact("blockIO", _map_of(_object), factory=dict)
    pci_numa_nodes: MutableMapping[str, int] = fact("pciNumaNodes", _map_of(_anything), factory=dict)
    numa_node_cpus: MutableMapping[str, list[int]] = fact("numaNodeCpus", _map_of(_anything), factory=dict)
    # Host-device facts (device-plugin env values, network-info, DRA attributes); None = not supplied.
    resource_addresses: MutableMapping[str, str] | None = fact("resourceAddresses", _map_of(_anything), None)
    network_info: Any = fact("networkInfo", _anything, None)
    dra_devices: MutableMapping[str, Any] | None = fact("draDevices", _object, None)
    # Grace IO virtualization sysfs facts (converter/grace.py documents the shape).
    grace: JSON | None = fact("grace", _object, None)
    disk_facts: MutableMapping[str, DiskFacts] = field(default_factory=dict)
    paths: Paths = field(default_factory=Paths)
    raw: JSON = field(default_factory=dict)


# The facts a context's JSON form may carry: Context's fields declared with `fact`.
FACT_FIELDS = tuple(f for f in dataclasses.fields(Context) if "json" in f.metadata)


# Each Context attribute's name in the request, as errors, explanations and warnings name it.
FACT_NAMES = {f.name: f"context.{f.metadata['json']}" for f in FACT_FIELDS} | {
    "arch": "context.architecture",
    "efi_configuration": "context.efiConfiguration",
    "disk_facts": "context.diskFacts",
    "paths": "context.paths",
}

# answer(attribute, fact name, value) -> the value the conversion sees.
Answer = Callable[[str, str, Any], Any]


def observed_context(ctx: Context, answer: Answer) -> Context:
    """A copy of `ctx` whose every fact read goes through `answer`: Explain records the
    reads, the CLI's typical host fills in the facts a request leaves out."""

    class ObservedContext(Context):
        def __getattribute__(self, name: str) -> Any:
            value = object.__getattribute__(self, name)
            fact = FACT_NAMES.get(name)
            return value if fact is None else answer(name, fact, value)

    values = {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx)}
    return ObservedContext(**values)


def context_from_dict(data: JSON | None) -> Context:
    """Build a Context from its JSON form; unknown keys are kept in `raw` only."""
    data = data or {}
    refuse_unencodable(data, "context")
    arch_name = data.get("architecture") or AMD64
    if arch_name not in ARCHES:
        raise ConversionError(
            "context.architecture",
            f"unsupported architecture {arch_name!r}: expected one of {', '.join(sorted(ARCHES))}",
        )
    facts = {}
    for declared in FACT_FIELDS:
        value = data.get(declared.metadata["json"])
        if value is not None:
            facts[declared.name] = declared.metadata["read"](value, f"context.{declared.metadata['json']}")
    ctx = Context(arch=ARCHES[arch_name], raw=data, **facts)
    efi = data.get("efiConfiguration")
    if isinstance(efi, dict):
        ctx.efi_configuration = EFIConfiguration(
            efi_code=str(efi.get("efiCode") or ""),
            efi_vars=str(efi.get("efiVars") or ""),
            secure_loader=efi.get("secureLoader") is True,
            uses_firmware_auto_selection=efi.get("usesFirmwareAutoSelection") is True,
        )
    for volume, probed in _map_of(_object)(data.get("diskFacts") or {}, "context.diskFacts").items():
        ctx.disk_facts[volume] = DiskFacts(
            direct_io_supported=probed.get("directIOSupported"),
            preallocated=probed.get("preallocated"),
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
