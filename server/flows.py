"""The two launcher flows around a conversion, MigratableXML and HotplugDisk, over RPC.

Requests are mapped to their JSON form (protobuf's JSON names) and handed to
the pure functions in `converter.migration` / `converter.hotplug`, which the
CLI calls with the same JSON; only the VMI needs decoding from `vmi`/`vmiJson`.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from vmi_converter.api import service_pb2
from vmi_converter.converter.common.errors import ConversionError
from vmi_converter.converter.hotplug import hotplug_disk_from_request
from vmi_converter.converter.migration import migratable_xml_from_request
from vmi_converter.server.protodict import message_to_dict
from vmi_converter.server.requests import check_vmi, json_vmi_warnings, load_document

FlowRequest: TypeAlias = service_pb2.MigratableXMLRequest | service_pb2.HotplugDiskRequest


def request_document(request: FlowRequest) -> dict[str, Any]:
    """The request as JSON with the VMI decoded in place of `vmiJson`."""
    document = message_to_dict(request)
    from_json = "vmiJson" in document
    if from_json:
        document["vmi"] = load_document(request.vmi_json, "vmiJson")
        del document["vmiJson"]
    if "vmi" not in document:
        raise ConversionError("vmi", "a VirtualMachineInstance is required (set vmi or vmiJson)")
    document["vmi"] = check_vmi(document["vmi"], "vmi")
    if from_json:
        json_vmi_warnings(document["vmi"])  # types as the contract says; unknown fields do not matter here
    return document


def migratable_xml(document: dict[str, Any]) -> dict[str, Any]:
    return migratable_xml_from_request(document)


def hotplug_disk(document: dict[str, Any]) -> dict[str, Any]:
    return hotplug_disk_from_request(document)


def not_ready_reason(request: service_pb2.HotplugDiskRequest, volume: str) -> str:
    """Why HotplugDisk left `volume` for a later sync, in terms of the request's facts."""
    facts = request.volumes.get(volume)
    if facts is not None and facts.HasField("probe_error") and facts.probe_error.not_found:
        return f'volumes["{volume}"].probeError: {facts.probe_error.message}: retry when the backend exists'
    return f'volumes["{volume}"].ready is not true: retry when it is'
