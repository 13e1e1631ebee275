"""KubeVirt objects that carry a VMI: VirtualMachine, pool, replica set, List, multi-document YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLES_DIR, load_request
from google.protobuf import json_format
from server_harness import running_server, stub

from vmi_converter.api import service_pb2
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.server.carriers import vmis_in
from vmi_converter.server.cli import main
from vmi_converter.server.requests import check_vmi

KINDS = (
    "expected a VirtualMachineInstance, VirtualMachine, VirtualMachinePool or VirtualMachineInstanceReplicaSet, "
    "or a List of them"
)
VM_EXAMPLES = sorted(p.stem for p in EXAMPLES_DIR.glob("vm-*.yaml") if p.stem != "vm-pool-cirros")


def _example(name: str) -> dict:  # type: ignore[type-arg]
    document: dict = yaml.safe_load((EXAMPLES_DIR / f"{name}.yaml").read_text())  # type: ignore[type-arg]
    return document


@pytest.mark.parametrize("name", [*VM_EXAMPLES, "vm-pool-cirros"])
def test_vm_gives_the_vmi_virt_controller_creates(name: str) -> None:
    """Name, labels and the stable firmware UUID as KubeVirt stored them for the VMI it created."""
    stored = load_request(name)["vmi"]
    [vmi] = vmis_in(_example(name), "")
    assert vmi["kind"] == "VirtualMachineInstance"
    assert vmi["metadata"]["name"] == stored["metadata"]["name"]
    assert vmi["metadata"]["labels"] == stored["metadata"]["labels"]
    assert vmi["spec"]["domain"]["firmware"]["uuid"] == stored["spec"]["domain"]["firmware"]["uuid"]
    owner = vmi["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == (
        "VirtualMachine",
        stored["metadata"]["ownerReferences"][0]["name"],
        True,
    )


def test_vm_metadata_copied_like_setup_vmi_from_vm() -> None:
    """SetupVMIFromVM: template metadata, the VM's name and namespace, the generation annotation,
    a disk for a volume without one; an existing firmware UUID is kept."""
    vm = {
        "kind": "VirtualMachine",
        "metadata": {"name": "web", "namespace": "prod", "generation": 3, "uid": "u-1", "labels": {"vm": "yes"}},
        "spec": {
            "template": {
                "metadata": {
                    "name": "ignored",
                    "generateName": "x-",
                    "labels": {"app": "web"},
                    "annotations": {"a": "b"},
                },
                "spec": {
                    "domain": {"devices": {"disks": [{"name": "root"}]}, "firmware": {"uuid": "keep-me"}},
                    "volumes": [{"name": "root"}, {"name": "data"}, {"name": "shared"}],
                },
            }
        },
    }
    vm["spec"]["template"]["spec"]["domain"]["devices"]["filesystems"] = [{"name": "shared"}]
    [vmi] = vmis_in(vm, "")
    assert vmi["metadata"] == {
        "name": "web",
        "namespace": "prod",
        "labels": {"app": "web"},
        "annotations": {"a": "b", "kubevirt.io/vm-generation": "3"},
        "ownerReferences": [
            {
                "apiVersion": "kubevirt.io/v1",
                "kind": "VirtualMachine",
                "name": "web",
                "uid": "u-1",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
    }
    assert vmi["spec"]["domain"]["firmware"] == {"uuid": "keep-me"}
    assert vmi["spec"]["domain"]["devices"]["disks"] == [{"name": "root"}, {"name": "data"}]


def test_replica_set_vmi_uses_its_base_name() -> None:
    [vmi] = vmis_in(_example("vmi-replicaset-cirros"), "")
    assert vmi["metadata"]["name"] == vmi["metadata"]["generateName"] == "vmi-replicaset-cirros"
    assert vmi["metadata"]["labels"] == load_request("vmi-replicaset-cirros")["vmi"]["metadata"]["labels"]
    assert vmi["metadata"]["ownerReferences"][0]["kind"] == "VirtualMachineInstanceReplicaSet"


def test_list_carries_each_item() -> None:
    items = [_example("vm-cirros"), _example("vmi-fedora"), _example("vmi-replicaset-cirros")]
    vmis = vmis_in({"apiVersion": "v1", "kind": "List", "items": items}, "")
    assert [v["metadata"]["name"] for v in vmis] == ["vm-cirros", "vmi-fedora", "vmi-replicaset-cirros"]


def test_preset_is_refused_naming_the_kinds_taken() -> None:
    with pytest.raises(ConversionError) as err:
        vmis_in(_example("vmi-preset-small"), "")
    assert str(err.value) == f"kind: {KINDS}, got 'VirtualMachineInstancePreset'"


def test_list_item_of_another_kind_is_named() -> None:
    with pytest.raises(ConversionError) as err:
        vmis_in({"kind": "List", "items": [_example("vmi-fedora"), {"kind": "ConfigMap"}]}, "vmi")
    assert str(err.value) == f"vmi.items[1].kind: {KINDS}, got 'ConfigMap'"


def test_vm_without_template() -> None:
    with pytest.raises(ConversionError) as err:
        vmis_in({"kind": "VirtualMachine", "metadata": {"name": "x"}, "spec": {}}, "vmi")
    assert str(err.value) == "vmi.spec.template: a VirtualMachine needs spec.template"


def test_cli_multi_document_yaml_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundle.yaml"
    bundle.write_text(yaml.safe_dump_all([_example("vm-cirros"), _example("vmi-ephemeral")]))
    listed = tmp_path / "listed.json"
    listed.write_text(json.dumps({"kind": "List", "items": [_example("vm-pool-cirros")]}))
    out = tmp_path / "out"
    assert main(["convert", "--typical-host", "--out-dir", str(out), str(bundle), str(listed)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["bundle-vm-cirros.xml", "bundle-vmi-ephemeral.xml", "listed.xml"]
    assert "<name>_vm-pool-cirros-0</name>" in (out / "listed.xml").read_text()
    assert capsys.readouterr().err.endswith("converted 3, rejected 0\n")


def test_cli_several_vmis_without_out_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "bundle.yaml"
    bundle.write_text(yaml.safe_dump_all([_example("vm-cirros"), _example("vmi-ephemeral")]))
    assert main(["convert", "--typical-host", str(bundle)]) == 2
    assert capsys.readouterr().err == f"{bundle}: carries 2 VMIs: use --out-dir\n"


def test_cli_preset_refused(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES_DIR / "vmi-preset-small.yaml"
    assert main(["convert", "--typical-host", str(path)]) == 1
    assert capsys.readouterr().err == f"{path}: kind: {KINDS}, got 'VirtualMachineInstancePreset'\n"


def test_server_vmi_json_takes_a_vm_and_refuses_a_preset() -> None:
    request = load_request("vm-cirros")
    vm = _example("vm-cirros")
    vm["metadata"]["namespace"] = "default"
    with running_server("127.0.0.1:0") as target, stub(target) as client:
        response = client.Convert(
            service_pb2.ConvertRequest(vmi_json=json.dumps(vm).encode(), context=_context(request["context"]))
        )
        assert "<name>default_vm-cirros</name>" in response.domain_xml
        assert '<entry name="uuid">0d2a2043-41c0-59c3-9b17-025022203668</entry>' in response.domain_xml
        preset = service_pb2.ConvertRequest(vmi_json=json.dumps(_example("vmi-preset-small")).encode())
        with pytest.raises(Exception) as err:
            client.Convert(preset)
    assert err.value.code().name == "INVALID_ARGUMENT"  # type: ignore[attr-defined]
    assert err.value.details() == f"vmi.kind: {KINDS}, got 'VirtualMachineInstancePreset'"  # type: ignore[attr-defined]


def _context(data: dict) -> service_pb2.ConvertRequest:  # type: ignore[type-arg]
    message = service_pb2.ConvertRequest()
    json_format.ParseDict({"context": data}, message)
    return message.context  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"kind": "VirtualMachine", "spec": {"template": []}},
            "vmi.spec.template: a VirtualMachine needs spec.template",
        ),
        (
            {"kind": "VirtualMachine", "spec": {"template": {"spec": {"domain": {"firmware": "x"}}}}},
            "vmi.spec.template.spec.domain.firmware: expected an object",
        ),
        (
            {"kind": "VirtualMachine", "spec": {"template": {"spec": {"domain": {"devices": []}}}}},
            "vmi.spec.template.spec.domain.devices: expected an object",
        ),
        (
            {"kind": "VirtualMachine", "metadata": {"name": 7}, "spec": {"template": {}}},
            "vmi.metadata.name: expected a string",
        ),
        (
            {"kind": "VirtualMachinePool", "metadata": {}, "spec": {}},
            "vmi.spec.virtualMachineTemplate: a VirtualMachinePool needs spec.virtualMachineTemplate",
        ),
        ({"kind": "List", "items": {}}, "vmi.items: expected a list of KubeVirt objects"),
        ([], f"vmi: {KINDS}"),
    ],
)
def test_malformed_carriers_name_the_field(document: object, message: str) -> None:
    with pytest.raises(ConversionError) as err:
        vmis_in(document, "vmi")
    assert str(err.value) == message


def test_volumes_of_odd_shape_are_left_to_the_vmi_checks() -> None:
    vm = {
        "kind": "VirtualMachine",
        "spec": {"template": {"spec": {"domain": {"devices": {"disks": {}}}, "volumes": 3}}},
    }
    [vmi] = vmis_in(vm, "")
    assert vmi["spec"]["domain"]["devices"]["disks"] == {}
    assert vmi["spec"]["volumes"] == 3


def test_a_request_carries_one_vmi() -> None:
    """vmiJson takes a List of one; more is refused (the CLI converts each, the RPC answers one)."""
    one = {"kind": "List", "items": [_example("vm-cirros")]}
    assert check_vmi(one, "vmi")["metadata"]["name"] == "vm-cirros"
    with pytest.raises(ConversionError) as err:
        check_vmi({"kind": "List", "items": [_example("vm-cirros"), _example("vmi-fedora")]}, "vmi")
    assert str(err.value) == "vmi: expected one VirtualMachineInstance, the List carries 2"
