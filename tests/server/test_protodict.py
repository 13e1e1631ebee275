"""A typed VMI turned back into the Kubernetes JSON the converter reads: well-known types (timestamps,
structs) render as protobuf's JSON mapping does, nulls stay absent, numbers stay numbers. Run against
the compiled build too, where a wrong annotation becomes a TypeError at run time."""

from __future__ import annotations

import json
from typing import Any

from conftest import REPO
from google.protobuf import json_format

from vmi_converter.api import vmi_pb2
from vmi_converter.server.protodict import message_to_dict

RUNNING_VMI = REPO / "tests" / "data" / "kubectl" / "vmi-vm-cirros-running.json"


def test_timestamps_structs_and_numbers_of_a_kubectl_document() -> None:
    document = {
        "metadata": {
            "name": "web",
            "creationTimestamp": "2026-12-04T10:00:00Z",
            "generation": 3,
            "managedFields": [{"manager": "kubectl", "time": "2026-12-04T10:00:01Z", "fieldsV1": {"f:spec": {}}}],
        },
        "status": {"conditions": [{"type": "Ready", "status": "True", "lastProbeTime": None}]},
    }
    message = json_format.ParseDict(document, vmi_pb2.VirtualMachineInstance())
    assert message_to_dict(message) == {
        "metadata": {
            "name": "web",
            "creationTimestamp": "2026-12-04T10:00:00Z",
            "generation": 3,
            "managedFields": [{"manager": "kubectl", "time": "2026-12-04T10:00:01Z", "fieldsV1": {"f:spec": {}}}],
        },
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    }


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def test_a_running_vmi_as_kubectl_prints_it_comes_back_without_its_nulls() -> None:
    document = json.loads(RUNNING_VMI.read_text())
    message = json_format.ParseDict(document, vmi_pb2.VirtualMachineInstance())
    assert message_to_dict(message) == _without_nulls(document)
