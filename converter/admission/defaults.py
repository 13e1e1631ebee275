"""VMI defaulting: what a VMI carries once KubeVirt has admitted it.

A port of the defaulting KubeVirt (commit d923fdb8) performs before a VMI
reaches virt-launcher's converter, applied in KubeVirt's own order. It is what
`pkg/defaults.SetDefaultVirtualMachineInstance` does when virt-api's mutating
webhook (`mutators/vmi-mutator.go`) admits a new VMI:

1. spec defaults (`SetDefaultVirtualMachineInstanceSpec`): architecture,
   machine type, CPU request copied from the CPU limit, `memory.guest`, CPU
   topology, containerDisk pull policies, the default pod network and
   interface, a disk for every volume that has none;
2. s390x only: ACPI off unless the VMI says otherwise (`setDefaultFeatures`);
3. the generated API defaulters (`v1.SetObjectDefaults_VirtualMachineInstance`),
   except that the firmware UUID is derived from the VMI name instead of drawn
   at random (see `legacy_firmware_uuid`);
4. Hyper-V feature dependencies (`SetHypervFeatureDependencies`);
5. the per-architecture defaults (`SetAmd64Defaults`, `SetArm64Defaults`,
   `SetS390xDefaults`: disk buses, watchdog, arm64 CPU model and EFI) and then
   the CPU model (`host-model`);
6. `status.memory` and `status.currentCPUTopology`.

Where KubeVirt reads the cluster configuration (the KubeVirt CR), the value of
KubeVirt's built-in default configuration (`pkg/virt-config`) is used:
machine types q35 / virt / s390-ccw-virtio, no cluster CPU model (so
`host-model`), the default CPU request 100m (which leaves requests alone),
`bridge` as the default pod interface (bridge on the pod network is permitted
by default) and the architecture the converter runs on as the default
architecture.

Deliberately not applied:
- anything random or time-based: KubeVirt's random firmware UUID, the phase,
  its transition timestamps, the finalizer;
- things that depend on cluster state or configuration the converter does not
  read: VMI presets, the eviction strategy, the LiveUpdate hotplug limits
  (`cpu.maxSockets`, `memory.maxGuest`), `status.runtimeUser` (107 unless
  the Root feature gate is on; it changes paths in the domain, so it must come
  from the caller), the TDX QGS socket and AlignCPUs annotations;
- the `kubevirt.io/pci-topology-version` annotation: only the hotplug-port
  allocation that follows a conversion reads it, never the converter.

Every step only fills what is missing, so applying the defaults to a VMI that
has already been defaulted (or admitted by KubeVirt) changes nothing.

Values are written the way `kubectl get vmi -o json` shows them: camelCase
keys, zero-valued integers left out. Quantities are copied as written; KubeVirt
would re-print them in canonical form (`2048Mi` as `2Gi`), which has the same
value.
"""

from __future__ import annotations

import math
import uuid
from fractions import Fraction
from typing import Any

from vmi_converter.converter.common import quantity
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import copy_json

JSON = dict[str, Any]

AMD64, ARM64, S390X = "amd64", "arm64", "s390x"

# KubeVirt's built-in default machine type per architecture (pkg/virt-config).
DEFAULT_MACHINE_TYPES = {AMD64: "q35", ARM64: "virt", S390X: "s390-ccw-virtio"}
DEFAULT_CPU_MODEL = "host-model"
ARM64_CPU_MODEL = "host-passthrough"

# The namespace virt-controller hashes a VMI name in to get a stable firmware
# UUID (pkg/virt-controller/watch/vm/firmware.go).
LEGACY_UUID_NAMESPACE = uuid.UUID("6a1a24a1-4061-4607-8bf4-a3963d0c5895")

# Each Hyper-V enlightenment and the one it cannot work without. The order is
# KubeVirt's: leaves first, so that enabling a requirement (synic for
# synictimer) is seen when that requirement's own turn comes.
HYPERV_REQUIREMENTS: tuple[tuple[str, str], ...] = (
    ("evmcs", "vapic"),
    ("ipi", "vpindex"),
    ("tlbflush", "vpindex"),
    ("synictimer", "synic"),
    ("synic", "vpindex"),
)

# Hyper-V enlightenments that are a plain {enabled} toggle.
_HYPERV_TOGGLES = (
    "relaxed",
    "vapic",
    "vpindex",
    "runtime",
    "synic",
    "reset",
    "frequencies",
    "reenlightenment",
    "ipi",
    "evmcs",
)
_TIMERS = ("hpet", "kvm", "pit", "rtc", "hyperv")
_DISK_TARGETS = ("disk", "cdrom", "lun")


def legacy_firmware_uuid(name: str) -> str:
    """The firmware UUID virt-controller gives a VMI started from a VM.

    A name-based (SHA-1, version 5) UUID of the VMI name in KubeVirt's fixed
    namespace, so it survives restarts of the VM. KubeVirt's API defaulter
    would pick a random one for a VMI created directly; we use this
    derivation for every VMI so that the output is deterministic.
    """
    return str(uuid.uuid5(LEGACY_UUID_NAMESPACE, name))


def apply_vmi_defaults(vmi: JSON, arch: str) -> None:
    """Mutates vmi (a Kubernetes-JSON dict) in place.

    arch: "amd64" | "arm64" | "s390x", the converter's architecture; a
    `spec.architecture` set in the VMI wins. Raises ConversionError when a
    field the defaults must read has the wrong shape.
    """
    spec = _ensure(vmi, "spec", "spec")
    _set_spec_defaults(spec, arch or AMD64)
    guest_arch = spec["architecture"]
    if guest_arch == S390X:
        _disable_s390x_acpi(spec)
    set_object_defaults(vmi)
    set_hyperv_dependencies(spec)
    set_arch_defaults(spec, guest_arch)
    cpu = _ensure(_domain(spec), "cpu", "spec.domain.cpu")
    if not cpu.get("model"):
        # The cluster configuration has no CPU model by default.
        cpu["model"] = DEFAULT_CPU_MODEL
    _set_status_defaults(vmi)


def defaulting_copy(vmi: JSON) -> JSON:
    """A copy of `vmi` that `apply_vmi_defaults` may change without touching the caller's dict.

    Only what defaulting writes into is copied: `spec.domain` (deeply), the
    probes, the containerDisk of each volume, and the top levels of the VMI,
    `spec` and `status`. Everything else (metadata with its managedFields,
    the other volumes, the status' conditions and volume statuses) is shared,
    read-only. A defaulting step that writes anywhere else must copy that part
    here; tests/test_defaulting_copy.py checks that callers' VMIs stay as given.
    """
    copied = dict(vmi)
    spec = vmi.get("spec")
    if isinstance(spec, dict):
        copied["spec"] = spec = dict(spec)
        for key in ("domain", "readinessProbe", "livenessProbe"):
            if isinstance(spec.get(key), dict):
                spec[key] = copy_json(spec[key])
        volumes = spec.get("volumes")
        if isinstance(volumes, list):
            spec["volumes"] = [_with_own_container_disk(volume) for volume in volumes]
    status = vmi.get("status")
    if isinstance(status, dict):
        copied["status"] = dict(status)
    return copied


def _with_own_container_disk(volume: Any) -> Any:
    """The volume with a copy of its containerDisk (which gets an image pull policy), else itself."""
    if isinstance(volume, dict) and isinstance(volume.get("containerDisk"), dict):
        return dict(volume, containerDisk=dict(volume["containerDisk"]))
    return volume


# --- 1. spec defaults (pkg/defaults.SetDefaultVirtualMachineInstanceSpec) ---


def _set_spec_defaults(spec: JSON, arch: str) -> None:
    if not spec.get("architecture"):
        spec["architecture"] = arch
    domain = _domain(spec)

    machine = _ensure(domain, "machine", "spec.domain.machine")
    if not machine.get("type"):
        # An unknown architecture gets the amd64 machine type, as in KubeVirt.
        machine["type"] = DEFAULT_MACHINE_TYPES.get(spec["architecture"], DEFAULT_MACHINE_TYPES[AMD64])

    _copy_cpu_limit_to_request(domain)
    _set_guest_memory(domain)
    _set_cpu_topology(domain)
    _set_container_disk_pull_policies(spec)
    _set_default_network(spec)
    _add_missing_volume_disks(spec)


def _copy_cpu_limit_to_request(domain: JSON) -> None:
    """A CPU limit without a (non-zero) CPU request becomes the request too.

    KubeVirt then fills a missing request from the cluster's cpuRequest, but
    only when that differs from the built-in 100m; with the built-in
    configuration nothing more happens.
    """
    resources = _obj(domain, "resources")
    if resources is None:
        return
    limits = _obj(resources, "limits") or {}
    requests = _obj(resources, "requests") or {}
    field = "spec.domain.resources"
    if _is_zero(limits.get("cpu"), f"{field}.limits.cpu") or not _is_zero(
        requests.get("cpu"), f"{field}.requests.cpu"
    ):
        return
    _ensure(resources, "requests", f"{field}.requests")["cpu"] = limits["cpu"]


def _set_guest_memory(domain: JSON) -> None:
    """memory.guest from the memory request, else the limit, else the hugepage size."""
    memory = _obj(domain, "memory")
    if memory is not None and memory.get("guest") is not None:
        return
    memory = _ensure(domain, "memory", "spec.domain.memory")
    resources = _obj(domain, "resources") or {}
    requests = _obj(resources, "requests") or {}
    limits = _obj(resources, "limits") or {}
    if not _is_zero(requests.get("memory"), "spec.domain.resources.requests.memory"):
        memory["guest"] = requests["memory"]
    elif not _is_zero(limits.get("memory"), "spec.domain.resources.limits.memory"):
        memory["guest"] = limits["memory"]
    else:
        hugepages = _obj(memory, "hugepages")
        if hugepages is None:
            return
        page_size = hugepages.get("pageSize")
        # KubeVirt takes the page size itself as the guest memory when it
        # parses, and silently skips it when it does not.
        try:
            quantity.parse(page_size)
        except quantity.QuantityError:
            return
        memory["guest"] = page_size


def _set_cpu_topology(domain: JSON) -> None:
    """Without sockets, cores and threads: vCPUs (limit, else request) as sockets."""
    cpu = _obj(domain, "cpu")
    if cpu is not None and any(_uint(cpu, key) for key in ("sockets", "cores", "threads")):
        return
    cpu = _ensure(domain, "cpu", "spec.domain.cpu")
    resources = _obj(domain, "resources") or {}
    limits = _obj(resources, "limits") or {}
    requests = _obj(resources, "requests") or {}
    sockets = 1
    # Presence of the key decides, not its value: a limit of "0" gives 0 sockets.
    if "cpu" in limits:
        sockets = _go_value(limits["cpu"], "spec.domain.resources.limits.cpu")
    elif "cpu" in requests:
        sockets = _go_value(requests["cpu"], "spec.domain.resources.requests.cpu")
    _set_uint(cpu, "sockets", sockets & 0xFFFFFFFF)  # Go converts to uint32
    cpu["cores"] = 1
    cpu["threads"] = 1


def _set_container_disk_pull_policies(spec: JSON) -> None:
    """Always for untagged or ":latest" images, IfNotPresent otherwise."""
    for volume in _dicts(spec, "volumes"):
        disk = _obj(volume, "containerDisk")
        if disk is None or disk.get("imagePullPolicy"):
            continue
        image = disk.get("image")
        image = image if isinstance(image, str) else ""
        untagged = not any(c in image for c in ":@")
        disk["imagePullPolicy"] = "Always" if untagged or image.endswith(":latest") else "IfNotPresent"


def _set_default_network(spec: JSON) -> None:
    """A VMI with neither networks nor interfaces gets the pod network.

    The interface binding comes from the cluster configuration; its built-in
    default is bridge (masquerade only when the KubeVirt CR says so).
    """
    devices = _obj(_domain(spec), "devices") or {}
    if devices.get("autoattachPodInterface") is False:
        return
    if _items(spec.get("networks")) or _items(devices.get("interfaces")):
        return
    devices = _ensure(_domain(spec), "devices", "spec.domain.devices")
    devices["interfaces"] = [{"name": "default", "bridge": {}}]
    spec["networks"] = [{"name": "default", "pod": {}}]


def _add_missing_volume_disks(spec: JSON) -> None:
    """Every volume not used by a disk or a filesystem gets a disk of its name."""
    volumes = _dicts(spec, "volumes")
    if not volumes:
        return
    devices = _ensure(_domain(spec), "devices", "spec.domain.devices")
    used = {d.get("name") for d in _dicts(devices, "disks")}
    used |= {f.get("name") for f in _dicts(devices, "filesystems")}
    missing = [v.get("name") for v in volumes if v.get("name") not in used]
    if missing:
        disks = _ensure_list(devices, "disks", "spec.domain.devices.disks")
        disks.extend({"name": name} for name in missing)


# --- 2. s390x features (pkg/defaults.setS390xDefaultFeatures) ---


def _disable_s390x_acpi(spec: JSON) -> None:
    features = _ensure(_domain(spec), "features", "spec.domain.features")
    acpi = _ensure(features, "acpi", "spec.domain.features.acpi")
    if acpi.get("enabled") is None:
        acpi["enabled"] = False


# --- 3. API defaults (v1.SetObjectDefaults_VirtualMachineInstance) ---


def set_object_defaults(vmi: JSON) -> None:
    """KubeVirt's generated API defaulter for a VMI, with a deterministic UUID.

    This is the defaulting KubeVirt's converter tests apply before converting.
    """
    spec = _ensure(vmi, "spec", "spec")
    domain = _domain(spec)
    firmware = _ensure(domain, "firmware", "spec.domain.firmware")
    if not firmware.get("uuid"):
        name = (_obj(vmi, "metadata") or {}).get("name")
        firmware["uuid"] = legacy_firmware_uuid(name if isinstance(name, str) else "")

    timer = _obj(_obj(domain, "clock") or {}, "timer") or {}
    for name in _TIMERS:
        _default_child_on(timer, name, "present")  # a timer's "enabled" is "present" in JSON

    _set_feature_defaults(_ensure(domain, "features", "spec.domain.features"))

    devices = _obj(domain, "devices") or {}
    for disk in _dicts(devices, "disks"):
        # Spelled out rather than looped over _DISK_TARGETS: this runs for every disk.
        if disk.get("disk") is None and disk.get("cdrom") is None and disk.get("lun") is None:
            disk["disk"] = {}
        cdrom = disk.get("cdrom")
        if isinstance(cdrom, dict):
            if cdrom.get("readonly") is None:
                cdrom["readonly"] = True
            if not cdrom.get("tray"):
                cdrom["tray"] = "closed"
        block_size = disk.get("blockSize")
        if isinstance(block_size, dict):
            _default_child_on(block_size, "matchVolume")
    for gpu in _dicts(devices, "gpus"):
        display = _obj(_obj(gpu, "virtualGPUOptions") or {}, "display") or {}
        _default_child_on(display, "ramFB")
    for device in _dicts(devices, "inputs"):
        if not device.get("bus"):
            device["bus"] = "usb"
        if not device.get("type"):
            device["type"] = "tablet"

    for probe_name in ("readinessProbe", "livenessProbe"):
        probe = _obj(spec, probe_name)
        if probe is not None:
            _set_probe_defaults(probe)


def _set_feature_defaults(features: JSON) -> None:
    # ACPI is not optional in KubeVirt's API type: it is always defaulted.
    _default_on(_ensure(features, "acpi", "spec.domain.features.acpi"))
    for name in ("apic", "smm", "pvspinlock"):
        _default_child_on(features, name)
    hyperv = _obj(features, "hyperv")
    if hyperv is None:
        return
    for name in _HYPERV_TOGGLES:
        _default_child_on(hyperv, name)
    vendor_id = _obj(hyperv, "vendorid")
    _default_on(vendor_id)
    spinlocks = _obj(hyperv, "spinlocks")
    if spinlocks is not None:
        _default_on(spinlocks)
        if spinlocks["enabled"] is True and spinlocks.get("spinlocks") is None:
            spinlocks["spinlocks"] = 4096  # the retry count; its JSON name is "spinlocks"
    for name, subs in (("synictimer", ("direct",)), ("tlbflush", ("direct", "extended"))):
        state = _obj(hyperv, name)
        if state is not None:
            _default_on(state)
            for sub in subs:
                _default_child_on(state, sub)


def _set_probe_defaults(probe: JSON) -> None:
    for key, default in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        value = probe.get(key, 0)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value < 1):
            probe[key] = default


# --- 4. Hyper-V dependencies (pkg/defaults.SetHypervFeatureDependencies) ---


def set_hyperv_dependencies(spec: JSON) -> None:
    """Enable what an enabled Hyper-V enlightenment needs, unless the VMI disabled it.

    KubeVirt stops at the first requirement the VMI explicitly disables (and
    then skips the EVMCS step below), keeping what it changed before, and
    leaves the rejection to validation.
    """
    hyperv = _obj(_obj(_domain(spec), "features") or {}, "hyperv")
    if hyperv is None:
        return
    for feature, requirement in HYPERV_REQUIREMENTS:
        if not _is_on(_obj(hyperv, feature)):
            continue
        required = _obj(hyperv, requirement)
        if required is None or required.get("enabled") is None:
            _ensure(hyperv, requirement, f"spec.domain.features.hyperv.{requirement}")["enabled"] = True
        elif required.get("enabled") is not True:
            return

    evmcs = _obj(hyperv, "evmcs")
    if evmcs is not None and evmcs.get("enabled") in (None, True):
        # Enlightened VMCS needs the vmx CPU feature.
        cpu = _ensure(_domain(spec), "cpu", "spec.domain.cpu")
        cpu_features = _ensure_list(cpu, "features", "spec.domain.cpu.features")
        for cpu_feature in cpu_features:
            if isinstance(cpu_feature, dict) and cpu_feature.get("name") == "vmx":
                cpu_feature["policy"] = "require"
                break
        else:
            cpu_features.append({"name": "vmx", "policy": "require"})


# --- 5. per-architecture defaults (pkg/defaults/{amd64,arm64,s390x}.go) ---


def set_arch_defaults(spec: JSON, arch: str) -> None:
    """SetAmd64Defaults, SetArm64Defaults or SetS390xDefaults; amd64 for anything else.

    The subset KubeVirt's converter tests apply after `set_object_defaults`.
    """
    domain = _domain(spec)
    if arch == ARM64:
        cpu = _ensure(domain, "cpu", "spec.domain.cpu")
        if not cpu.get("model"):
            cpu["model"] = ARM64_CPU_MODEL
        firmware = _ensure(domain, "firmware", "spec.domain.firmware")
        if _obj(firmware, "bootloader") is None:
            # Only a VMI that chose no bootloader at all is switched to EFI.
            firmware["bootloader"] = {"efi": {}}
        efi = _obj(firmware["bootloader"], "efi")
        if efi is not None and efi.get("secureBoot") is None:
            efi["secureBoot"] = False
        _set_disk_buses(domain, "virtio")
    elif arch == S390X:
        _set_disk_buses(domain, "virtio")
        _set_watchdog_action(domain, "diag288")
    else:
        # SATA works out of the box in most guests, and q35 has no IDE.
        _set_disk_buses(domain, "sata")
        _set_watchdog_action(domain, "i6300esb")


def _set_disk_buses(domain: JSON, bus: str) -> None:
    for disk in _dicts(_obj(domain, "devices") or {}, "disks"):
        for target_name in _DISK_TARGETS:
            target = disk.get(target_name)
            if isinstance(target, dict) and not target.get("bus"):
                target["bus"] = bus


def _set_watchdog_action(domain: JSON, model: str) -> None:
    """A watchdog gets this architecture's model (even next to another) acting by reset."""
    watchdog = _obj(_obj(domain, "devices") or {}, "watchdog")
    if watchdog is None:
        return
    device = _ensure(watchdog, model, f"spec.domain.devices.watchdog.{model}")
    if not device.get("action"):
        device["action"] = "reset"


# --- 6. status (pkg/defaults.setGuestMemoryStatus, setCurrentCPUTopologyStatus) ---


def _set_status_defaults(vmi: JSON) -> None:
    """Only where the status has none yet.

    The webhook runs once, at creation, so it never meets a status written by
    KubeVirt; filling only gaps keeps a running VMI's status as it is.
    """
    domain = _domain(_ensure(vmi, "spec", "spec"))
    guest = (_obj(domain, "memory") or {}).get("guest")
    cpu = _obj(domain, "cpu")
    status = _obj(vmi, "status")
    if guest is not None and (status is None or status.get("memory") is None):
        status = _ensure(vmi, "status", "status")
        status["memory"] = {"guestAtBoot": guest, "guestCurrent": guest, "guestRequested": guest}
    if cpu is not None and (status is None or status.get("currentCPUTopology") is None):
        status = _ensure(vmi, "status", "status")
        topology: JSON = {}
        for key in ("sockets", "cores", "threads"):
            _set_uint(topology, key, _uint(cpu, key))
        status["currentCPUTopology"] = topology


# --- JSON helpers ---


def _domain(spec: JSON) -> JSON:
    return _ensure(spec, "domain", "spec.domain")


def _obj(parent: JSON, key: str) -> JSON | None:
    """parent[key] when it is an object; None when absent or null (a Go nil)."""
    value = parent.get(key)
    return value if isinstance(value, dict) else None


def _ensure(parent: JSON, key: str, field: str) -> JSON:
    """parent[key], created empty when absent or null."""
    value = parent.get(key)
    if value is None:
        value = parent[key] = {}
    elif not isinstance(value, dict):
        raise ConversionError(field, f"must be an object, not {type(value).__name__}")
    return value


def _ensure_list(parent: JSON, key: str, field: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        value = parent[key] = []
    elif not isinstance(value, list):
        raise ConversionError(field, f"must be an array, not {type(value).__name__}")
    return value


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dicts(parent: JSON, key: str) -> list[JSON]:
    return [item for item in _items(parent.get(key)) if isinstance(item, dict)]


def _default_on(state: JSON | None, key: str = "enabled") -> None:
    """A present feature toggle without a value is on."""
    if state is not None and state.get(key) is None:
        state[key] = True


def _default_child_on(parent: JSON, key: str, flag: str = "enabled") -> None:
    """`_default_on` for the toggle parent[key], if present (one call: it runs for every feature)."""
    state = parent.get(key)
    if isinstance(state, dict) and state.get(flag) is None:
        state[flag] = True


def _is_on(state: JSON | None) -> bool:
    return state is not None and state.get("enabled") is True


def _uint(obj: JSON, key: str) -> int:
    value = obj.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _set_uint(obj: JSON, key: str, value: int) -> None:
    """Go's omitempty: a zero count is left out of the JSON."""
    if value:
        obj[key] = value
    else:
        obj.pop(key, None)


def _is_zero(value: Any, field: str) -> bool:
    """Quantity.IsZero, with an absent quantity being zero."""
    if value is None:
        return True
    return _parse(value, field) == 0


def _go_value(value: Any, field: str) -> int:
    """Quantity.Value(): rounded to an integer, away from zero."""
    exact = _parse(value, field)
    return math.ceil(exact) if exact >= 0 else math.floor(exact)


def _parse(value: Any, field: str) -> Fraction:
    try:
        return quantity.parse(value)
    except quantity.QuantityError as err:
        raise ConversionError(field, str(err)) from err
