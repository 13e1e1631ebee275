"""The public protos take real KubeVirt documents as they are and give them back unchanged.

For every reference request (`{"vmi": ..., "context": ...}`) the VMI and the
context are parsed with `json_format.Parse` (unknown fields are errors) and
printed back with `MessageToDict`; the result must equal the input. The only
differences allowed are the ones proto3 JSON defines: 64-bit integers print as
strings, and nulls, empty lists and empty maps carry no value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from conftest import EXAMPLES_DIR, EXPECTED_DIR
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from vmi_converter.api import context_pb2, service_pb2, service_pb2_grpc, vmi_pb2

EXPECTED = sorted(EXPECTED_DIR.glob("*.json"))
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.yaml"))

# Written in their own JSON form (Timestamps as the RFC 3339 strings Kubernetes prints, with whole seconds).
_WELL_KNOWN = {
    "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Timestamp",
}
_INT64 = {
    FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT64,
    FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64,
}


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry


def expected_dict(value: dict[str, Any], descriptor: Descriptor) -> dict[str, Any]:
    """What MessageToDict must print for a JSON object that parsed into `descriptor`.

    Keys become the fields' JSON names (Parse also takes proto field names),
    nulls and empty lists/maps drop out, 64-bit integers become strings.
    """
    fields = {f.json_name: f for f in descriptor.fields} | {f.name: f for f in descriptor.fields}
    out: dict[str, Any] = {}
    for key, item in value.items():
        field = fields[key]
        if item is None:
            continue
        if _is_map(field):
            if item:
                assert field.message_type is not None
                value_field = field.message_type.fields_by_name["value"]
                out[field.json_name] = {str(k): _expected_value(v, value_field) for k, v in item.items()}
        elif field.is_repeated:
            if item:
                out[field.json_name] = [_expected_value(v, field) for v in item]
        else:
            out[field.json_name] = _expected_value(item, field)
    return out


def _expected_value(item: Any, field: FieldDescriptor) -> Any:
    if field.message_type is not None:
        if field.message_type.full_name in _WELL_KNOWN:
            return item
        return expected_dict(item, field.message_type)
    if field.type in _INT64 and isinstance(item, int):
        return str(item)
    return item


M = TypeVar("M", bound=Message)


def assert_round_trip(document: dict[str, Any], message: M) -> M:
    json_format.Parse(json.dumps(document), message)
    descriptor: Descriptor = message.DESCRIPTOR  # type: ignore[assignment]  # upb's own Descriptor class
    assert json_format.MessageToDict(message) == expected_dict(document, descriptor)
    return message


# --- reference requests -------------------------------------------------------------


def test_reference_files_present() -> None:
    assert len(EXPECTED) >= 40
    assert len(EXAMPLES) >= 30


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_expected_vmi_round_trips(path: Path) -> None:
    request = json.loads(path.read_text())
    assert_round_trip(request["vmi"], vmi_pb2.VirtualMachineInstance())


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_expected_context_round_trips(path: Path) -> None:
    request = json.loads(path.read_text())
    assert_round_trip(request["context"], context_pb2.ConverterContext())


@pytest.mark.parametrize("path", EXPECTED, ids=lambda p: p.stem)
def test_expected_file_is_a_convert_request(path: Path) -> None:
    request = json_format.Parse(path.read_text(), service_pb2.ConvertRequest())
    assert request.WhichOneof("source") == "vmi"
    assert request.HasField("context")


def _vmi_from_manifest(document: dict[str, Any]) -> dict[str, Any]:
    """The VMI a manifest describes: a VMI as is, or the template of a VM, pool, replica set or preset."""
    kind = document["kind"]
    spec = document["spec"]
    if kind == "VirtualMachineInstance":
        return document
    if kind == "VirtualMachineInstancePreset":
        template: dict[str, Any] = {"spec": {"domain": spec["domain"]}}
    elif kind == "VirtualMachinePool":
        template = spec["virtualMachineTemplate"]["spec"]["template"]
    elif kind in ("VirtualMachine", "VirtualMachineInstanceReplicaSet"):
        template = spec["template"]
    else:
        raise AssertionError(f"unexpected kind {kind}")
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": template.get("metadata") or {"name": document["metadata"]["name"]},
        "spec": template["spec"],
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_manifest_round_trips(path: Path) -> None:
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d]
    assert documents
    for document in documents:
        assert_round_trip(_vmi_from_manifest(document), vmi_pb2.VirtualMachineInstance())


# --- JSON names and presence --------------------------------------------------------------


def test_json_names_follow_the_go_tags() -> None:
    vmi = assert_round_trip(
        {
            "spec": {
                "domain": {
                    "devices": {"autoattachVSOCK": True, "networkInterfaceMultiqueue": True},
                    "features": {
                        "hyperv": {
                            "synictimer": {"enabled": True, "direct": {"enabled": True}},
                            "vendorid": {"enabled": True, "vendorid": "KVMKVMKVM"},
                            "tlbflush": {"enabled": True, "extended": {}},
                            "spinlocks": {"spinlocks": 8191},
                        },
                    },
                },
                "volumes": [
                    {"name": "ci", "cloudInitNoCloud": {"userDataBase64": "I2Nsb3VkLWNvbmZpZw==", "secretRef": {}}},
                    {"name": "dapi", "downwardAPI": {"fields": [{"path": "labels", "fieldRef": {"fieldPath": "x"}}]}},
                ],
                "networks": [
                    {"name": "default", "pod": {"vmNetworkCIDR": "10.0.2.0/24", "vmIPv6NetworkCIDR": "fd10::/64"}},
                ],
            },
            "status": {"VSOCKCID": 3, "runtimeUser": 107, "guestOSInfo": {}, "currentCPUTopology": {"cores": 2}},
        },
        vmi_pb2.VirtualMachineInstance(),
    )
    assert vmi.status.vsock_cid == 3
    assert vmi.status.runtime_user == 107
    assert vmi.spec.domain.features.hyperv.spinlocks.spinlocks == 8191
    assert vmi.spec.volumes[0].cloud_init_no_cloud.user_data_base64.startswith("I2")
    assert vmi.spec.networks[0].pod.vm_ipv6_network_cidr == "fd10::/64"


def test_presence_is_kept() -> None:
    vmi = assert_round_trip(
        {
            "spec": {
                "domain": {
                    "clock": {"utc": {}, "timer": {"hpet": {"present": False}}},
                    "features": {"acpi": {}, "hypervPassthrough": {}, "smm": {"enabled": False}},
                    "devices": {
                        "disks": [{"name": "d", "disk": {"readonly": False}}, {"name": "c", "cdrom": {}}],
                        "interfaces": [{"name": "default", "masquerade": {}}],
                        "rng": {},
                        "autoattachGraphicsDevice": False,
                    },
                },
                "networks": [{"name": "default", "pod": {}}],
            },
        },
        vmi_pb2.VirtualMachineInstance(),
    )
    domain = vmi.spec.domain
    assert domain.clock.HasField("utc")
    assert domain.clock.timer.hpet.HasField("present") and not domain.clock.timer.hpet.present
    assert domain.features.HasField("hyperv_passthrough")
    assert not domain.features.hyperv_passthrough.HasField("enabled")
    assert domain.features.smm.HasField("enabled")
    assert domain.devices.disks[0].disk.HasField("readonly")
    assert not domain.devices.disks[1].cdrom.HasField("readonly")
    assert domain.devices.interfaces[0].HasField("masquerade")
    assert domain.devices.HasField("rng")
    assert domain.devices.HasField("autoattach_graphics_device")
    assert not domain.devices.HasField("autoattach_serial_console")
    assert vmi.spec.networks[0].HasField("pod")


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(json_format.ParseError) as err:
        json_format.Parse('{"spec": {"domain": {"cpu": {"coers": 2}}}}', vmi_pb2.VirtualMachineInstance())
    assert 'has no field named "coers" at "VirtualMachineInstance.spec.domain.cpu"' in str(err.value)


def test_kubernetes_values_parse() -> None:
    """Quantities stay strings, 64-bit numbers take either form, null timestamps are unset."""
    vmi = json_format.Parse(
        json.dumps({
            "metadata": {"creationTimestamp": None, "generation": "4", "deletionGracePeriodSeconds": 30},
            "spec": {
                "terminationGracePeriodSeconds": 0,
                "domain": {"resources": {"requests": {"memory": "64Mi", "cpu": "500m"}}, "memory": {"guest": "1Gi"}},
                "tolerations": [{"key": "k", "operator": "Exists", "tolerationSeconds": 300}],
                "affinity": {"nodeAffinity": {}},
                "livenessProbe": {"httpGet": {"port": "http"}, "periodSeconds": 10},
            },
            "status": {
                "topologyHints": {"tscFrequency": 2419200000},
                "conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None}],
            },
        }),
        vmi_pb2.VirtualMachineInstance(),
    )
    assert not vmi.metadata.HasField("creation_timestamp")
    assert vmi.metadata.generation == 4
    assert vmi.spec.HasField("termination_grace_period_seconds") and vmi.spec.termination_grace_period_seconds == 0
    assert dict(vmi.spec.domain.resources.requests) == {"memory": "64Mi", "cpu": "500m"}
    assert vmi.status.topology_hints.tsc_frequency == 2419200000
    assert not vmi.status.conditions[0].HasField("last_probe_time")


def test_context_names_and_host_facts() -> None:
    context = assert_round_trip(
        {
            "architecture": "arm64",
            "cpuSet": [2, 3],
            "isBlockPVC": {"pvc": True},
            "isBlockDV": {"dv": False},
            "applyCBT": {"pvc": "/var/lib/libvirt/qemu/cbt/pvc.qcow2"},
            "hotplugVolumes": {"hp": {"name": "hp", "target": "sdb", "phase": "Ready", "hotplugVolume": {}}},
            "migratedVolumes": {"a": "b"},
            "disksInfo": {"cd": {"format": "qcow2", "backing-filename": "", "actual-size": 1, "virtual-size": 2}},
            "smbios": {"manufacturer": "KubeVirt", "version": ""},
            "sriovDevices": ["<hostdev/>"],
            "efiConfiguration": {"efiCode": "CODE", "efiVars": "VARS", "secureLoader": False,
                                 "usesFirmwareAutoSelection": False},
            "memBalloonStatsPeriod": 10,
            "topology": {"numa_cells": [{"id": 0, "memory": {"amount": 1024, "unit": "KiB"},
                                         "pages": [{"count": 4, "unit": "KiB", "size": 2048}],
                                         "distances": [{"id": 0, "value": 10}],
                                         "cpus": [{"id": 0, "siblings": [0, 1]}]}]},
            "useLaunchSecuritySEV": True, "useLaunchSecurityTDX": False, "useLaunchSecurityPV": False,
            "bochsForEFIGuests": True,
            "pciNUMAAwareTopologyEnabled": True,
            "graceIOVirtualizationEnabled": False,
            "graceHostDeviceAliases": ["ua-hostdevice-gpu1"],
            "domainAttachmentByInterfaceName": {"default": "tap"},
            "hypervisorName": "kvm",
            "iommufdEnabled": False,
            "allowCrossArchEmulation": True,
            "hostArchitecture": "amd64",
            "virtualMachine": {"metadata": {"name": "vm"}},
            "vsockNamespaceMode": "local",
            "launcherLogVerbosity": 6,
            "usbResources": ["kubevirt.io/usb-storage"],
            "availableEmulators": ["/usr/bin/qemu-system-aarch64"],
            "blockIO": {
                "data": {"logical": 512, "physical": 4096, "discardGranularity": 0},
                "img": {"fsBlockSize": 4096},
            },
            "pciNumaNodes": {"0000:81:00.0": 1},
            "numaNodeCpus": {"1": {"cpus": [16, 17]}},
            "diskFacts": {"data": {"directIOSupported": False, "preallocated": True}},
            "paths": {"cloudInitDir": "/var/run/kubevirt-ephemeral-disks/cloud-init-data"},
            "resourceAddresses": {"PCI_RESOURCE_NVIDIA_COM_GPU": "0000:81:00.0,0000:82:00.0"},
            "grace": {"smmuv3Available": True, "pciDevices": {"0009:01:00.0": {"vendorID": "0x10de", "numaNode": 0}},
                      "numaDistances": {"0": {"distances": {"0": 10, "1": 80}}}},
        },
        context_pb2.ConverterContext(),
    )
    assert context.disks_info["cd"].virtual_size == 2
    assert context.topology.numa_cells[0].cpus[0].siblings == [0, 1]
    assert context.block_io["data"].HasField("discard_granularity")
    assert context.disk_facts["data"].HasField("direct_io_supported")


# --- service ---------------------------------------------------------------------------


def test_service_shape() -> None:
    service = service_pb2.DESCRIPTOR.services_by_name["Converter"]
    assert service.full_name == "kubevirt.converter.v1.Converter"
    shapes = {
        m.name: (m.input_type.name, m.output_type.name, m.client_streaming, m.server_streaming)
        for m in service.methods
    }
    assert shapes == {
        "Convert": ("ConvertRequest", "ConvertResponse", False, False),
        "ConvertStream": ("ConvertStreamRequest", "ConvertStreamResponse", True, True),
        "MigratableXML": ("MigratableXMLRequest", "MigratableXMLResponse", False, False),
        "HotplugDisk": ("HotplugDiskRequest", "HotplugDiskResponse", False, False),
        "Explain": ("ExplainRequest", "ExplainResponse", False, False),
        "Info": ("InfoRequest", "InfoResponse", False, False),
    }
    assert hasattr(service_pb2_grpc, "ConverterServicer")
    assert hasattr(service_pb2_grpc, "ConverterStub")


@pytest.mark.parametrize("message", [service_pb2.ConvertRequest, service_pb2.ConvertStreamRequest])
def test_convert_request_json(message: type[service_pb2.ConvertRequest | service_pb2.ConvertStreamRequest]) -> None:
    request = json_format.Parse('{"id": "a", "vmiJson": "e30=", "context": {"architecture": "s390x"}}', message())
    assert request.WhichOneof("source") == "vmi_json"
    assert request.vmi_json == b"{}"
    assert json_format.MessageToDict(request) == {"id": "a", "vmiJson": "e30=", "context": {"architecture": "s390x"}}


def test_stream_response_carries_a_status() -> None:
    response = json_format.Parse(
        '{"id": "b", "error": {"code": 3, "message": "spec.domain.devices.sound: invalid model: sb16"}}',
        service_pb2.ConvertStreamResponse(),
    )
    assert response.WhichOneof("result") == "error"
    assert response.error.code == 3


def test_migration_and_hotplug_messages() -> None:
    migratable = json_format.Parse(json.dumps({
        "domainXml": "<domain/>",
        "vmiJson": "e30=",
        "sourceFacts": {"volumes": {"dv": {"migrated": True, "sourceIsBlock": False, "targetIsBlock": True,
                                           "virtualSize": "2028994560"}},
                        "targetVmiUid": "uid-2"},
        "targetFacts": {"cpuSet": [6, 7], "namespace": "target-ns", "upgradeOrdinalIfaces": True,
                        "mdevUuids": ["05b59010-0000-0000-0000-000000000000"]},
    }), service_pb2.MigratableXMLRequest())
    assert migratable.source_facts.volumes["dv"].virtual_size == 2028994560
    hotplug = json_format.Parse(json.dumps({
        "domainXml": "<domain/>",
        "vmi": {"metadata": {"name": "v"}},
        "context": {"architecture": "amd64"},
        "volumes": {"hp": {"isBlock": False, "ready": True, "directIOSupported": True, "preallocated": False,
                           "cbtOverlayPath": "/var/lib/libvirt/qemu/cbt/hp.qcow2"}},
    }), service_pb2.HotplugDiskRequest())
    assert hotplug.volumes["hp"].HasField("preallocated")
    response = service_pb2.HotplugDiskResponse(
        attach=[service_pb2.DiskChange(volume="hp", target_dev="sda", device_xml="<disk/>")],
        skipped_not_ready=[service_pb2.SkippedVolume(volume="x", reason="not ready")],
    )
    assert json_format.MessageToDict(response)["skippedNotReady"] == [{"volume": "x", "reason": "not ready"}]
