"""Explain: every element of every domain says which rule and which inputs produced it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import fixture_names, load_request
from lxml import etree

from vmi_converter.converter import pipeline
from vmi_converter.converter.explain import explain, render_commented
from vmi_converter.converter.pipeline import convert


@pytest.mark.parametrize("name", fixture_names())
def test_every_element_is_explained(name: str) -> None:
    request = load_request(name)
    explained = explain(request["vmi"], request["context"]).as_json()
    assert explained["domainXml"] == convert(request["vmi"], request["context"]).xml
    root = etree.fromstring(str(explained["domainXml"]).encode())
    entries = explained["explanations"]
    assert isinstance(entries, list)
    assert explained["namespaces"] == {
        "kubevirt": "http://kubevirt.io", "qemu": "http://libvirt.org/schemas/domain/qemu/1.0"
    }
    # Each XPath resolves, as written, to exactly one element, and together they name every element once.
    resolved = []
    for entry in entries:
        found = root.getroottree().xpath(entry["xpath"], namespaces=explained["namespaces"])
        assert len(found) == 1, entry["xpath"]
        resolved.append(found[0])
        assert entry["rule"], entry
        assert entry["fields"] or entry["facts"] or entry["note"], entry
    assert len(set(resolved)) == len(resolved) == sum(1 for _ in root.iter())


def test_namespaced_elements_have_prefixed_steps() -> None:
    request = load_request("vmi-fedora")
    request["vmi"]["metadata"].setdefault("annotations", {})["kubevirt.io/ignitiondata"] = '{"ignition": {}}'
    explained = explain(request["vmi"], request["context"]).as_json()
    xpaths = [e["xpath"] for e in explained["explanations"]]  # type: ignore[union-attr]
    assert [x for x in xpaths if ":" in x] == [
        "/domain/qemu:commandline",
        "/domain/qemu:commandline/qemu:arg[1]",
        "/domain/qemu:commandline/qemu:arg[2]",
        "/domain/metadata/kubevirt:kubevirt",
        "/domain/metadata/kubevirt:kubevirt/kubevirt:uid",
    ]
    root = etree.fromstring(str(explained["domainXml"]).encode())
    uid = root.xpath("/domain/metadata/kubevirt:kubevirt/kubevirt:uid", namespaces=explained["namespaces"])
    assert [e.tag for e in uid] == ["{http://kubevirt.io}uid"]
    # The commented rendering finds these elements by the same XPaths.
    assert "<!-- compute.qemu_cmd" in render_commented(explain(request["vmi"], request["context"]))


def _entry(name: str, xpath: str, context: dict | None = None) -> dict:  # type: ignore[type-arg]
    request = load_request(name)
    request["context"].update(context or {})
    entries = explain(request["vmi"], request["context"]).as_json()["explanations"]
    assert isinstance(entries, list)
    return next(e for e in entries if e["xpath"] == xpath)


def test_a_disk_names_its_disk_volume_and_facts() -> None:
    disk = _entry("golden-amd64", "/domain/devices/disk[9]")  # pvc_block_test, a block PVC
    assert disk["rule"] == "storage.disks"
    assert "spec.domain.devices.disks[8].cache" in disk["fields"]
    assert "spec.volumes[8].persistentVolumeClaim.claimName" in disk["fields"] or any(
        f.startswith("spec.volumes[8]") for f in disk["fields"]
    )
    assert not any(f.startswith("spec.domain.devices.disks[7]") for f in disk["fields"])
    assert 'context.isBlockPVC["pvc_block_test"]' in disk["facts"]
    assert 'context.isBlockDV["dv_block_test"]' not in disk["facts"]


def test_defaults_are_named_in_the_note() -> None:
    disk = _entry("golden-amd64-raw", "/domain/devices/disk[5]/target")
    assert "defaulted by KubeVirt's VMI defaults: spec.domain.devices.disks[4].disk.bus" in disk["note"]


def test_host_rules_that_change_an_element_are_added() -> None:
    driver = _entry(
        "golden-amd64",
        "/domain/devices/disk[1]/driver",
        {"diskFacts": {"myvolume": {"directIOSupported": True, "preallocated": True}}},
    )
    assert driver["rule"] == "storage.disks"
    assert driver["note"].endswith("cache=none, io=native set by storage.host_io")
    assert 'context.diskFacts["myvolume"]' in driver["facts"]


def test_a_rejected_request_names_rule_fields_and_message() -> None:
    request = load_request("golden-amd64")
    vmi = copy.deepcopy(request["vmi"])
    vmi["spec"]["domain"]["devices"]["disks"][4]["disk"]["pciAddress"] = "0000:81:01.0"
    explained = explain(vmi, request["context"]).as_json()
    assert explained["domainXml"] == ""
    assert explained["explanations"] == []
    error = explained["rejection"]
    assert isinstance(error, dict)
    assert error["rule"] == "storage.disks"
    assert error["field"] == "spec.domain.devices.disks[4].disk.pciAddress"
    assert error["message"] == (
        "setting a pci address is not allowed for non-virtio bus types, for disk should_default_to_disk"
    )
    assert "spec.domain.devices.disks[4].disk.pciAddress" in error["fields"]


def test_commented_rendering_keeps_the_domain() -> None:
    request = load_request("vmi-fedora")
    explained = explain(request["vmi"], request["context"])
    text = render_commented(explained)
    assert "<!-- network.interfaces | spec.domain.devices.interfaces[0].name, spec.networks[0].name" in text
    parser = etree.XMLParser(remove_comments=True, remove_blank_text=True)
    ours = etree.tostring(etree.fromstring(text.encode(), parser), method="c14n")
    plain = etree.tostring(etree.fromstring(convert(request["vmi"], request["context"]).xml.encode(), parser),
                           method="c14n")
    assert ours == plain


def test_explaining_runs_every_stage_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a benchmark (figures: bench/convert_bench.py): explain traces one conversion, it does not
    convert again per element or per stage, which would make it quadratic."""
    request = load_request("golden-amd64")
    runs: list[str] = []

    def counted(rule: str, stage: pipeline.Stage) -> pipeline.Stage:
        def run(vmi: Any, domain: Any, ctx: Any, state: Any) -> None:
            runs.append(rule)
            stage(vmi, domain, ctx, state)
        return run

    monkeypatch.setattr(pipeline, "STEPS", tuple((rule, counted(rule, stage)) for rule, stage in pipeline.STEPS))
    explain(request["vmi"], request["context"]).as_json()
    assert runs == [rule for rule, _ in pipeline.STEPS]


def test_explain_rpc_returns_what_the_library_does() -> None:
    from server_harness import convert_request, running_server, stub

    from vmi_converter.api import service_pb2

    request = load_request("vmi-fedora")
    expected = explain(request["vmi"], request["context"]).as_json()
    message = convert_request(request, "why", service_pb2.ExplainRequest)
    with running_server() as target, stub(target) as client:
        reply = client.Explain(message)
    assert reply.id == "why"
    assert reply.domain_xml == expected["domainXml"]
    assert dict(reply.namespaces) == expected["namespaces"]
    entries = expected["explanations"]
    assert isinstance(entries, list)
    assert [(e.xpath, list(e.fields), list(e.facts), e.rule, e.note) for e in reply.explanations] == [
        (e["xpath"], e["fields"], e["facts"], e["rule"], e["note"]) for e in entries
    ]
    assert not reply.HasField("rejection")


def test_explain_rpc_rejection_is_an_answer() -> None:
    from server_harness import convert_request, running_server, stub

    from vmi_converter.api import service_pb2

    request = load_request("golden-arm64")
    request["vmi"]["spec"]["domain"]["devices"]["watchdog"] = {"name": "wd", "i6300esb": {"action": "reset"}}
    with running_server() as target, stub(target) as client:
        reply = client.Explain(convert_request(request, "", service_pb2.ExplainRequest))
    assert reply.domain_xml == ""
    assert (reply.rejection.rule, reply.rejection.field, reply.rejection.message) == (
        "compute.watchdog",
        "spec.domain.devices.watchdog",
        "watchdog is not supported on architecture ARM64",
    )


def test_reads_that_skip_the_dict_methods_are_recorded() -> None:
    """Compiled (mypyc) stages read dicts with the C functions, as `dict.get(d, k)` does here,
    which skip a dict subclass's methods: the recording keys still note every key found."""
    from vmi_converter.converter.explain import _Recorder, _traced

    recorder = _Recorder(set(), {})
    traced = _traced({"spec": {"domain": {"cpu": {"cores": 2}}, "volumes": [{"name": "a"}]}}, "", recorder)
    cpu = dict.get(dict.get(dict.get(traced, "spec"), "domain"), "cpu")
    assert recorder.fields == {"spec", "spec.domain", "spec.domain.cpu"}
    assert dict.__contains__(cpu, "cores") and not dict.__contains__(cpu, "sockets")
    volume = list.__getitem__(dict.__getitem__(dict.get(traced, "spec"), "volumes"), 0)
    assert dict.get(volume, "name") == "a"
    assert recorder.fields == {
        "spec", "spec.domain", "spec.domain.cpu", "spec.domain.cpu.cores", "spec.volumes", "spec.volumes[0].name"
    }
    assert recorder.facts == set()
