"""The JSON form of a MigratableXML request and its facts."""

from __future__ import annotations

import json

import pytest
from migration_helpers import JSON, SIZE, canonical

from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.migration import (
    GPUDevice,
    SourceFacts,
    TargetFacts,
    VolumeFacts,
    migratable_xml_from_request,
)

_UID = "3f9b2c1e-0000-4000-8000-000000000001"
_TARGET_UID = "3f9b2c1e-0000-4000-8000-000000000002"

_SOURCE_XML = f"""<domain type="kvm" id="7">
  <name>src-ns_vm</name>
  <metadata><kubevirt xmlns="http://kubevirt.io"><uid>{_UID}</uid></kubevirt></metadata>
  <vcpu placement="static">2</vcpu>
  <cputune><vcpupin vcpu="0" cpuset="2"/><vcpupin vcpu="1" cpuset="3"/></cputune>
  <devices>
    <disk type="file" device="disk">
      <source file="/var/run/kubevirt-private/vmi-disks/data/disk.img"/>
      <target dev="vda" bus="virtio"/>
      <alias name="ua-data"/>
    </disk>
    <disk type="file" device="disk">
      <source file="/var/run/kubevirt-ephemeral-disks/cloud-init-data/src-ns/vm/noCloud.iso"/>
      <target dev="vdb" bus="virtio"/>
      <readonly/>
      <alias name="ua-cloudinit"/>
    </disk>
    <disk type="block" device="disk">
      <source dev="/dev/shared"/>
      <target dev="vdc" bus="virtio"/>
      <alias name="ua-shared"/>
    </disk>
    <interface type="ethernet"><target dev="tap1" managed="no"/><alias name="ua-sec"/></interface>
    <hostdev mode="subsystem" type="mdev" model="vfio-pci"><source><address uuid="aaaa"/></source>
      <alias name="ua-gpu-gpu1"/></hostdev>
  </devices>
</domain>"""

_EXPECTED_XML = f"""<domain type="kvm" id="7">
  <name>src-ns_vm</name>
  <metadata><kubevirt xmlns="http://kubevirt.io"><uid>{_TARGET_UID}</uid></kubevirt></metadata>
  <vcpu placement="static">2</vcpu>
  <cputune><vcpupin vcpu="0" cpuset="10"/><vcpupin vcpu="1" cpuset="11"/></cputune>
  <features><kvm><hint-dedicated state="on"/></kvm></features>
  <cpu><topology sockets="1" cores="2" threads="1"/></cpu>
  <devices>
    <disk type="block" device="disk">
      <source dev="/dev/data"><slices><slice type="storage" offset="0" size="{SIZE}"/></slices></source>
      <target dev="vda" bus="virtio"/>
      <alias name="ua-data"/>
    </disk>
    <disk type="file" device="disk">
      <source file="/var/run/kubevirt-ephemeral-disks/cloud-init-data/dst-ns/vm/noCloud.iso"/>
      <target dev="vdb" bus="virtio"/>
      <readonly/>
      <alias name="ua-cloudinit"/>
    </disk>
    <disk type="block" device="disk">
      <source dev="/dev/shared"/>
      <target dev="vdc" bus="virtio"/>
      <alias name="ua-shared"/>
    </disk>
    <interface type="ethernet"><target dev="tapadd93534eeb" managed="no"/><alias name="ua-sec"/></interface>
    <hostdev mode="subsystem" type="mdev" model="vfio-pci"><source><address uuid="bbbb"/></source>
      <alias name="ua-gpu-gpu1"/></hostdev>
  </devices>
</domain>"""


def _vmi() -> JSON:
    return {
        "metadata": {"name": "vm", "namespace": "src-ns", "uid": _UID},
        "spec": {
            "architecture": "amd64",
            "domain": {"cpu": {"cores": 2, "dedicatedCpuPlacement": True}},
            "networks": [{"name": "default", "pod": {}}, {"name": "sec", "multus": {"networkName": "nad"}}],
            "volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": "data-src"}},
                {"name": "cloudinit", "cloudInitNoCloud": {"userData": "#cloud-config"}},
                {"name": "shared", "persistentVolumeClaim": {"claimName": "shared"}},
            ],
        },
        "status": {
            "migratedVolumes": [{
                "volumeName": "data",
                "sourcePVCInfo": {"claimName": "data-src", "volumeMode": "Filesystem"},
                "destinationPVCInfo": {"claimName": "data-dst", "volumeMode": "Block"},
            }],
            "migrationState": {
                "sourceState": {"domainNamespace": "src-ns"},
                "targetState": {"virtualMachineInstanceUID": _TARGET_UID, "domainName": "vm",
                                "domainNamespace": "dst-ns"},
            },
        },
    }


def _request() -> JSON:
    return {
        "domainXml": _SOURCE_XML,
        "vmi": _vmi(),
        "sourceFacts": {"volumes": {"data": {"virtualSize": str(SIZE)}}},
        "targetFacts": {
            "cpuSet": [10, 11],
            "topology": {"numaCells": [{"id": 0, "cpus": [{"id": 10, "siblings": [10]},
                                                          {"id": 11, "siblings": [11]}]}]},
            "upgradeOrdinalIfaces": True,
            "mdevUuids": ["bbbb"],
        },
    }


def test_full_request_runs_both_stages() -> None:
    response = migratable_xml_from_request(json.loads(json.dumps(_request())))
    assert canonical(response.pop("domainXml")) == canonical(_EXPECTED_XML)
    proxy = "/var/run/kubevirt/migrationproxy"
    assert response == {
        "destName": "dst-ns_vm",
        "disksToCopy": ["vda", "vdb"],
        # status.migratedVolumes makes it a block migration
        "flags": ["VIR_MIGRATE_LIVE", "VIR_MIGRATE_PEER2PEER", "VIR_MIGRATE_PERSIST_DEST",
                  "VIR_MIGRATE_NON_SHARED_INC"],
        "flagsMask": 1 | 2 | 8 | 128,
        # the source VMI's UID, not the target's: the proxy runs beside the source launcher
        "migrationUri": f"unix://{proxy}/{_UID}-49152-source.sock",
        "disksUri": f"unix://{proxy}/{_UID}-49153-source.sock",
        "destConnectionUri": f"qemu+unix:///system?socket={proxy}/{_UID}-source.sock",
        "bandwidthMib": 0,
        "compression": "",
        "warnings": [],
    }


# The source stage only: the new UID, the block volume's slice; the source's CPU pinning, name and
# cloud-init path stay (the target stage would rewrite them).
_SOURCE_STAGE_XML = f"""<domain type="kvm" id="7">
  <name>src-ns_vm</name>
  <metadata><kubevirt xmlns="http://kubevirt.io"><uid>{_TARGET_UID}</uid></kubevirt></metadata>
  <vcpu placement="static">2</vcpu>
  <cputune><vcpupin vcpu="0" cpuset="2"/><vcpupin vcpu="1" cpuset="3"/></cputune>
  <devices>
    <disk type="block" device="disk">
      <source dev="/dev/data"><slices><slice type="storage" offset="0" size="{SIZE}"/></slices></source>
      <target dev="vda" bus="virtio"/>
      <alias name="ua-data"/>
    </disk>
    <disk type="file" device="disk">
      <source file="/var/run/kubevirt-ephemeral-disks/cloud-init-data/src-ns/vm/noCloud.iso"/>
      <target dev="vdb" bus="virtio"/>
      <readonly/>
      <alias name="ua-cloudinit"/>
    </disk>
    <disk type="block" device="disk">
      <source dev="/dev/shared"/>
      <target dev="vdc" bus="virtio"/>
      <alias name="ua-shared"/>
    </disk>
    <interface type="ethernet">
      <target dev="tap1" managed="no"/>
      <alias name="ua-sec"/>
    </interface>
    <hostdev mode="subsystem" type="mdev" model="vfio-pci">
      <source><address uuid="aaaa"/></source>
      <alias name="ua-gpu-gpu1"/>
    </hostdev>
  </devices>
</domain>"""


def test_request_without_target_runs_only_the_source_stage() -> None:
    request = _request()
    del request["targetFacts"]
    response = migratable_xml_from_request(request)
    assert canonical(response["domainXml"]) == canonical(_SOURCE_STAGE_XML)
    assert (response["destName"], response["disksToCopy"]) == ("dst-ns_vm", ["vda", "vdb"])


@pytest.mark.parametrize(("request_update", "field", "message"), [
    pytest.param({"domainXml": 5}, "domainXml", "expected the domain XML as a string", id="domainXml type"),
    pytest.param({"vmi": []}, "vmi", "expected the VMI as a JSON object", id="vmi type"),
    pytest.param({"sourceFacts": {"volumes": {"data": {"virtualSize": -1}}}}, 'sourceFacts.volumes["data"].virtualSize',
                 "expected a non-negative integer", id="negative size"),
    pytest.param({"sourceFacts": {"volumes": {"data": {"migrated": "yes"}}}}, 'sourceFacts.volumes["data"].migrated',
                 "expected a boolean", id="migrated type"),
    pytest.param({"sourceFacts": {"targetVmiUid": 1}}, "sourceFacts.targetVmiUid", "expected a string",
                 id="targetUid type"),
    pytest.param({"targetFacts": {"cpuSet": [1, "x"]}}, "targetFacts.cpuSet[1]", "expected a non-negative integer",
                 id="cpuSet entry"),
    pytest.param({"targetFacts": {"topology": []}}, "targetFacts.topology", "expected an object", id="topology type"),
    pytest.param({"targetFacts": {"gpuDevices": [{"uuid": "u"}]}}, "targetFacts.gpuDevices[0].type",
                 "expected the device type (mdev or pci)", id="gpu without type"),
    pytest.param({"targetFacts": {"gpuDevices": [], "mdevUuids": []}}, "targetFacts.mdevUuids",
                 "give either gpuDevices or mdevUuids, not both", id="both gpu forms"),
    pytest.param({"targetFacts": {"podInterfaceNames": {"sec": 3}}}, 'targetFacts.podInterfaceNames["sec"]',
                 "expected a pod interface name", id="pod interface name type"),
    pytest.param({"liveDomainXml": 3}, "liveXml", "expected the domain XML as a string", id="liveXml type"),
])
def test_request_errors_name_the_field(request_update: JSON, field: str, message: str) -> None:
    request = _request()
    request.update(request_update)
    with pytest.raises(ConversionError) as err:
        migratable_xml_from_request(request)
    assert (err.value.field, err.value.message) == (field, message)


def test_facts_from_camel_case_json() -> None:
    source = SourceFacts.from_dict({"volumes": {"v": {"virtualSize": 5, "migrated": True, "sourceIsBlock": False,
                                                      "targetIsBlock": True}}, "targetVmiUid": "t"})
    assert source == SourceFacts(volumes={"v": VolumeFacts(virtual_size=5, migrated=True, source_is_block=False,
                                                           target_is_block=True)}, target_uid="t")
    target = TargetFacts.from_dict({"cpuSet": [1, "2"], "namespace": "ns", "upgradeOrdinalIfaces": True,
                                    "podInterfaceNames": {"a": "podabc"},
                                    "gpuDevices": [{"type": "pci", "pciAddress": "0000:01:00.0"}]})
    assert target == TargetFacts(cpu_set=(1, 2), domain_namespace="ns", upgrade_ordinal_ifaces=True,
                                 pod_interface_names={"a": "podabc"}, vgpu_hook=True,
                                 gpu_devices=(GPUDevice(type="pci", pci_address="0000:01:00.0"),))
    assert TargetFacts.from_dict({"mdevUuids": ["u"], "vgpuDedicatedHook": False}) == TargetFacts(
        vgpu_hook=False, gpu_devices=(GPUDevice(type="mdev", uuid="u"),))
    assert TargetFacts.from_dict(None) == TargetFacts()
