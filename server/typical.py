"""A typical KVM node: the host facts a request leaves out, filled in for trying things out.

`vmi-converter context` prints the facts a VMI's conversion reads, and
`vmi-converter convert --typical-host` fills in the ones a request does not
give; both use this one table. The converter itself never assumes: the facts
are answered while the real pipeline runs, through the same observed context
Explain records reads with, so the facts listed are exactly the ones read.
The RPCs never use this module.

Facts no node has in common (host device PCI addresses, SR-IOV VFs, DRA
devices) are not assumed: reading one fails naming the context path to set.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vmi_converter.converter.common.context import (
    DEFAULT_PATHS,
    FACT_NAMES,
    Context,
    context_from_dict,
    observed_context,
)
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.common.vmi import JSON
from vmi_converter.converter.pipeline import Conversion, build, prepare

# A typical value from the VMI, the facts the request gave, and the volume or interface name (None for
# a fact that is not per name).
Typical = Callable[[JSON, JSON, Any], Any]


@dataclass(frozen=True, slots=True)
class Fact:
    description: str
    typical: Typical | None = None  # None: the converter's own default is the typical value
    per_name: bool = False
    # A per-name fact that no node has in common: reading it without a value fails.
    refused: str = ""
    # The launcher computes it from the VMI alone: filled in, but not an assumption about the node.
    from_vmi: bool = False


def _spec(vmi: JSON, *keys: str) -> Any:
    value: Any = vmi.get("spec")
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _architecture(vmi: JSON, _given: JSON, _name: Any) -> str:
    arch = _spec(vmi, "architecture")
    return arch if isinstance(arch, str) and arch else "amd64"


def _serial_console_log(vmi: JSON, _given: JSON, _name: Any) -> bool:
    # isSerialConsoleLogEnabled: the VMI's choice, else on (the cluster's default).
    choice = _spec(vmi, "domain", "devices", "logSerialConsole")
    return choice if isinstance(choice, bool) else True


def _free_page_reporting(vmi: JSON, _given: JSON, _name: Any) -> bool:
    # isFreePageReportingEnabled with the cluster's default (not disabled).
    cpu = _spec(vmi, "domain", "cpu") or {}
    high_performance = bool(
        cpu.get("dedicatedCpuPlacement") or cpu.get("isolateEmulatorThread") or cpu.get("numa") or cpu.get("realtime")
    ) or bool(_spec(vmi, "domain", "memory", "hugepages"))
    annotations = (vmi.get("metadata") or {}).get("annotations") or {}
    return not (
        _spec(vmi, "domain", "devices", "autoattachMemBalloon") is False
        or high_performance
        or annotations.get("kubevirt.io/free-page-reporting-disabled") == "true"
    )


def _virtio_transitional(vmi: JSON, _given: JSON, _name: Any) -> bool:
    return _spec(vmi, "domain", "devices", "useVirtioTransitional") is True


def _launch_security(*kinds: str) -> Typical:
    """IsSEVVMI (sev or snp), IsTDXVMI (tdx): the VMI asks for one of `kinds`."""

    def asks(vmi: JSON, _given: JSON, _name: Any) -> bool:
        security = _spec(vmi, "domain", "launchSecurity")
        return isinstance(security, dict) and any(security.get(kind) is not None for kind in kinds)

    return asks


def _secure_execution(vmi: JSON, given: JSON, _name: Any) -> bool:
    # IsSecureExecutionVMI: any launchSecurity on an s390x guest.
    arch = _spec(vmi, "architecture") or given.get("architecture")
    return isinstance(_spec(vmi, "domain", "launchSecurity"), dict) and arch == "s390x"


def _block_size(_vmi: JSON, given: JSON, name: Any) -> JSON:
    block = (given.get("isBlockPVC") or {}).get(name) or (given.get("isBlockDV") or {}).get(name)
    return {"logical": 512, "physical": 4096} if block else {"fsBlockSize": 4096}


def _value(value: Any) -> Typical:
    return lambda _vmi, _given, _name: value


FACTS: dict[str, Fact] = {
    "architecture": Fact("the VMI's CPU architecture (spec.architecture, else the node's)", _architecture),
    "hypervisorDeviceAvailable": Fact("/dev/kvm exists in the launcher pod", _value(True)),
    "allowEmulation": Fact("KubeVirt CR developerConfiguration.useEmulation: run under TCG without KVM"),
    "allowCrossArchEmulation": Fact("emulating another architecture than the node's is allowed"),
    "hostArchitecture": Fact("the node's architecture (the launcher's GOARCH)"),
    "hypervisorName": Fact("the hypervisor KubeVirt is configured for (empty: KVM)"),
    "availableEmulators": Fact("QEMU binaries present in the launcher image (absent: not checked)"),
    "cpuSet": Fact("CPUs of the launcher pod's cgroup cpuset (dedicated CPU placement pins to them)"),
    "topology": Fact("the node's NUMA topology from virt-handler's capabilities"),
    "pciNumaNodes": Fact("NUMA node of a host PCI device (sysfs numa_node)", per_name=True),
    "numaNodeCpus": Fact("CPUs of a host NUMA node (sysfs cpulist)", per_name=True),
    "disksInfo": Fact(
        "qemu-img info of a containerDisk image: its format (raw or qcow2) and backing file",
        _value({"format": "qcow2"}),
        per_name=True,
    ),
    "isBlockPVC": Fact("the PVC is a block device (volumeMode: Block) rather than a file", _value(False), True),
    "isBlockDV": Fact("the DataVolume's PVC is a block device rather than a file", _value(False), True),
    "diskFacts": Fact(
        "O_DIRECT works on the volume's file system, and whether the image is preallocated",
        _value({"directIOSupported": True, "preallocated": False}),
        per_name=True,
    ),
    "blockIO": Fact("block sizes of the volume's device, or its file system's block size", _block_size, True),
    "applyCBT": Fact("changed block tracking overlay of a volume", per_name=True),
    "hotplugVolumes": Fact("volumes hot-plugged into the running VMI", per_name=True),
    "permanentVolumes": Fact("volumes that are part of the VMI from its start", per_name=True),
    "migratedVolumes": Fact("volumes being migrated to another storage"),
    "volumesDiscardIgnore": Fact("preallocated or thick volumes: no discard=unmap"),
    "domainAttachmentByInterfaceName": Fact(
        "how a network binding plugin's interface attaches (KubeVirt CR network.binding.*.domainAttachmentType)",
        _value("tap"),
        per_name=True,
    ),
    "resourceAddresses": Fact(
        "device plugin env vars (PCI_RESOURCE_*, MDEV_PCI_RESOURCE_*, USB_RESOURCE_*) of the launcher pod",
        per_name=True,
        refused="a host device's address is the device plugin's choice on the node",
    ),
    "networkInfo": Fact(
        "the pod's network-info annotation (Multus network-status) with the SR-IOV VFs' PCI addresses",
        per_name=True,
        refused="the SR-IOV VFs are allocated on the node",
    ),
    "draDevices": Fact(
        "DRA resource claim attributes (pciBusID, mdevUUID) of the allocated devices",
        per_name=True,
        refused="a DRA device is allocated on the node",
    ),
    "sriovDevices": Fact("ready-made <hostdev> elements for SR-IOV interfaces"),
    "genericHostDevices": Fact("ready-made <hostdev> elements for spec.domain.devices.hostDevices"),
    "gpuHostDevices": Fact("ready-made <hostdev> elements for spec.domain.devices.gpus"),
    "usbResources": Fact("device plugin resource names that are USB devices"),
    "graceHostDeviceAliases": Fact("host devices behind NVIDIA Grace IO virtualization"),
    "grace": Fact("Grace IO virtualization sysfs facts"),
    "smbios": Fact(
        "SMBIOS system information (KubeVirt CR smbios; KubeVirt's defaults)",
        _value({"manufacturer": "KubeVirt", "product": "None", "family": "KubeVirt"}),
    ),
    "efiConfiguration": Fact("OVMF firmware files found in the launcher image"),
    "memBalloonStatsPeriod": Fact("KubeVirt CR memBalloonStatsPeriod (seconds)", _value(10)),
    "useVirtioTransitional": Fact("spec.domain.devices.useVirtioTransitional", _virtio_transitional, from_vmi=True),
    "useLaunchSecuritySEV": Fact(
        "the VMI asks for AMD SEV or SEV-SNP (spec.domain.launchSecurity.sev/snp)",
        _launch_security("sev", "snp"),
        from_vmi=True,
    ),
    "useLaunchSecurityTDX": Fact(
        "the VMI asks for Intel TDX (spec.domain.launchSecurity.tdx)", _launch_security("tdx"), from_vmi=True
    ),
    "useLaunchSecurityPV": Fact(
        "the VMI asks for IBM Secure Execution (launchSecurity on s390x)", _secure_execution, from_vmi=True
    ),
    "freePageReporting": Fact(
        "free page reporting: on unless disabled in the KubeVirt CR or by the VMI", _free_page_reporting
    ),
    "bochsForEFIGuests": Fact("feature gate BochsDisplayForEFIGuests (GA: on)", _value(True)),
    "serialConsoleLog": Fact(
        "serial console log: spec.domain.devices.logSerialConsole, else the KubeVirt CR", _serial_console_log
    ),
    "pciNUMAAwareTopologyEnabled": Fact("feature gate PCINUMAAwareTopology"),
    "graceIOVirtualizationEnabled": Fact("feature gate for NVIDIA Grace IO virtualization"),
    "iommufdEnabled": Fact("host devices use iommufd"),
    "vsockNamespaceMode": Fact("the node's vsock namespace mode (/proc/sys/net/vsock/ns_mode)"),
    "launcherLogVerbosity": Fact("virt-launcher's log verbosity"),
    "paths": Fact("launcher directories (cloud-init, container disks, ephemeral disks...)"),
}


@dataclass(slots=True)
class Assumptions:
    """The facts a conversion read that the request did not give, with the values answered."""

    values: dict[str, Any] = field(default_factory=dict)  # context path -> JSON value
    warned: list[str] = field(default_factory=list)  # paths whose value is an assumption

    def note(self, path: str, value: Any, warn: bool) -> None:
        if path not in self.values:
            self.values[path] = value
            if warn:
                self.warned.append(path)

    def warnings(self) -> list[str]:
        return [f"{path}: assumed {_json(self.values[path])} (typical host)" for path in self.warned]


def convert_on_typical_host(vmi: JSON, given: JSON) -> tuple[Conversion, Assumptions]:
    """Convert with `given`, answering every fact it leaves out as a typical node would."""
    _refuse_unplaced_sriov(vmi, given)
    assumptions = Assumptions()
    ctx = observed_context(context_from_dict(given), _answerer(vmi, given, assumptions))
    return build(prepare(vmi, ctx), ctx), assumptions


def needed_context(vmi: JSON) -> tuple[JSON, dict[str, str]]:
    """The context this VMI's conversion reads, filled with typical values, and a description
    per context path. Raises ConversionError when the VMI needs a fact that cannot be typical."""
    _, assumptions = convert_on_typical_host(vmi, {})
    context: JSON = {}
    descriptions: dict[str, str] = {}
    for path, value in sorted(assumptions.values.items()):
        if value is None:  # absent and null mean the same; leave it out
            continue
        key, name = _split(path)
        if name is None:
            context[key] = value
        else:
            context.setdefault(key, {})[name] = value
        descriptions[path] = FACTS[key].description
    return context, descriptions


def _refuse_unplaced_sriov(vmi: JSON, given: JSON) -> None:
    """An SR-IOV interface whose VF the VMI's status does not report is left out of the domain (as
    KubeVirt's launcher does, the VF being added later): on a made-up host that would silently drop
    the NIC, so its VF must come from the request."""
    if "networkInfo" in given or "sriovDevices" in given:
        return
    interfaces = _spec(vmi, "domain", "devices", "interfaces") or []
    for index, iface in enumerate(interfaces):
        if isinstance(iface, dict) and iface.get("sriov") is not None:
            raise ConversionError(
                "context.networkInfo",
                f"no typical value: the SR-IOV VF of spec.domain.devices.interfaces[{index}] ({iface.get('name')}) "
                "is allocated on the node; set context.networkInfo to convert this VMI",
            )


_ATTRIBUTES = {path.removeprefix("context."): attr for attr, path in FACT_NAMES.items()}


def _answerer(vmi: JSON, given: JSON, assumptions: Assumptions) -> Callable[[str, str, Any], Any]:
    def answer(_attr: str, path: str, value: Any) -> Any:
        key = path.removeprefix("context.")
        fact = FACTS[key]
        if fact.per_name:
            return _PerName(value if isinstance(value, dict) else {}, key, fact, vmi, given, assumptions)
        if key in given:
            return value
        typical = _converter_default(key) if fact.typical is None else fact.typical(vmi, given, None)
        assumptions.note(path, typical, warn=fact.typical is not None and not fact.from_vmi)
        return _internal(key, typical)

    return answer


class _PerName(dict[str, Any]):
    """A per-volume or per-interface fact: names the request gives answer as given, others typically
    (and are noted), or fail naming the path when the fact cannot be typical."""

    def __init__(self, data: JSON, key: str, fact: Fact, vmi: JSON, given: JSON, assumptions: Assumptions) -> None:
        super().__init__(data)
        self._key, self._fact, self._vmi, self._given, self._assumptions = key, fact, vmi, given, assumptions
        self._answers: dict[str, Any] = {}

    def __bool__(self) -> bool:  # "any facts at all?" checks must go on to read them
        answers = self._fact.typical is not None or (self._fact.refused and self._key not in self._given)
        return bool(answers) or len(self) > 0

    def _typical(self, name: Any) -> Any:
        path = f'context.{self._key}["{name}"]'
        if self._fact.refused and self._key not in self._given:
            if str(name).endswith("_"):  # a device plugin variable for a device with no resource name (DRA)
                return _MISSING
            raise ConversionError(path, f"no typical value: {self._fact.refused}; set {path} to convert this VMI")
        if self._fact.typical is None:
            return _MISSING
        if name not in self._answers:
            typical = self._fact.typical(self._vmi, self._given, name)
            self._assumptions.note(path, typical, warn=True)
            self._answers[name] = _internal(self._key, {name: typical})[name]
        return self._answers[name]

    def get(self, name: Any, default: Any = None) -> Any:
        if super().__contains__(name):
            return super().__getitem__(name)
        answer = self._typical(name)
        return default if answer is _MISSING else answer

    def __getitem__(self, name: Any) -> Any:
        if super().__contains__(name):
            return super().__getitem__(name)
        answer = self._typical(name)
        if answer is _MISSING:
            raise KeyError(name)
        return answer

    def __contains__(self, name: object) -> bool:
        return super().__contains__(name) or self._typical(name) is not _MISSING


_MISSING = object()


def _internal(key: str, value: Any) -> Any:
    """The converter's form of a fact's JSON value, read the way a request's context is read."""
    return getattr(context_from_dict({key: value}), _ATTRIBUTES[key])


def _converter_default(key: str) -> Any:
    """The JSON form of what the converter uses when the request leaves `key` out."""
    value = getattr(Context(), _ATTRIBUTES[key])
    if key == "architecture":
        return value.name
    if key == "paths":
        return dict(DEFAULT_PATHS)
    return value


def _split(path: str) -> tuple[str, str | None]:
    key, _, rest = path.removeprefix("context.").partition('["')
    return key, (rest[:-2] if rest else None)


def _json(value: Any) -> str:
    return json.dumps(value)
