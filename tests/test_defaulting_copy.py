"""convert() copies only what VMI defaulting writes into: the caller's VMI must stay as given."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from conftest import fixture_names, load_request

from vmi_converter.converter.admission.defaults import apply_vmi_defaults, defaulting_copy
from vmi_converter.converter.pipeline import convert


def _every_defaulting_step() -> dict[str, Any]:
    """A raw VMI that every defaulting step writes into (probes, containerDisk, status, disks, ...)."""
    return {
        "metadata": {"name": "all-defaults", "namespace": "ns", "annotations": {"a": "b"}},
        "spec": {
            "domain": {
                "resources": {"limits": {"cpu": "2", "memory": "1Gi"}},
                "features": {"hyperv": {"synictimer": {}, "evmcs": {}}, "smm": {}},
                "clock": {"timer": {"hpet": {}}},
                "devices": {
                    "disks": [{"name": "cd", "cdrom": {}}, {"name": "root"}],
                    "inputs": [{"name": "tablet"}],
                    "watchdog": {"name": "w"},
                },
            },
            "readinessProbe": {"httpGet": {"port": 80}},
            "livenessProbe": {"tcpSocket": {"port": 22}},
            "volumes": [
                {"name": "cd", "containerDisk": {"image": "registry/cd"}},
                {"name": "root", "containerDisk": {"image": "registry/root:v1"}},
                {"name": "extra", "emptyDisk": {"capacity": "1Gi"}},
            ],
        },
        "status": {"volumeStatus": [{"name": "root", "target": "sda"}], "conditions": [{"type": "Ready"}]},
    }


@pytest.mark.parametrize("arch", ["amd64", "arm64", "s390x"])
def test_defaulting_a_copy_leaves_the_original(arch: str) -> None:
    vmi = _every_defaulting_step()
    before = copy.deepcopy(vmi)
    defaulted = defaulting_copy(vmi)
    apply_vmi_defaults(defaulted, arch)
    assert vmi == before
    assert defaulted != before  # the copy did get the defaults
    assert defaulted["spec"]["volumes"][0]["containerDisk"]["imagePullPolicy"] == "Always"


def test_defaulting_copy_shares_what_defaulting_only_reads() -> None:
    vmi = _every_defaulting_step()
    copied = defaulting_copy(vmi)
    assert copied["metadata"] is vmi["metadata"]
    assert copied["status"]["volumeStatus"] is vmi["status"]["volumeStatus"]
    assert copied["spec"]["volumes"][2] is vmi["spec"]["volumes"][2]
    assert copied["spec"]["domain"] is not vmi["spec"]["domain"]


@pytest.mark.parametrize("name", fixture_names())
def test_convert_leaves_the_request_as_given(name: str) -> None:
    request = load_request(name)
    before = json.dumps(request, sort_keys=True)
    convert(request["vmi"], request["context"])
    assert json.dumps(request, sort_keys=True) == before


def test_convert_leaves_a_vmi_every_defaulting_step_touches() -> None:
    vmi = _every_defaulting_step()
    before = copy.deepcopy(vmi)
    context = {"allowEmulation": True, "disksInfo": {"cd": {"format": "raw"}, "root": {"format": "qcow2"}}}
    convert(vmi, context)
    assert vmi == before
