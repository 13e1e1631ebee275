"""The two launcher flows around a conversion, MigratableXML and HotplugDisk, over RPC.

Requests are mapped to their JSON form (protobuf's JSON names) and handed to
the pure functions in `converter.migration` / `converter.hotplug`, which the
CLI calls with the same JSON; only the VMI needs decoding from `vmi`/`vmiJson`.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from vmi_converter.api import service_pb2
from vmi_converter.converter.hotplug import hotplug_disk_from_request
from vmi_converter.converter.migration import migratable_xml_from_request
from vmi_converter.server.decoder import decode_flow_document
from vmi_converter.server.protodict import message_to_dict

FlowRequest: TypeAlias = service_pb2.MigratableXMLRequest | service_pb2.HotplugDiskRequest


def request_document(request: FlowRequest) -> tuple[dict[str, Any], list[str]]:
    """The request as JSON with the VMI decoded in place of `vmiJson`, and the decoder's warnings."""
    document = message_to_dict(request)
    if "vmiJson" in document:
        document["vmiJson"] = request.vmi_json  # the bytes, not message_to_dict's lossy text
    return decode_flow_document(document, type(request), typed=True)


def migratable_xml(document: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    return _with_warnings(migratable_xml_from_request(document), warnings)


def hotplug_disk(document: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    return _with_warnings(hotplug_disk_from_request(document), warnings)


def _with_warnings(answer: dict[str, Any], warnings: list[str]) -> dict[str, Any]:
    """The decoder's warnings (unknown fields) first, then the flow's own."""
    if warnings or answer.get("warnings"):
        answer["warnings"] = warnings + answer.get("warnings", [])
    return answer


def not_ready_reason(request: service_pb2.HotplugDiskRequest, volume: str) -> str:
    """Why HotplugDisk left `volume` for a later sync, in terms of the request's facts."""
    facts = request.volumes.get(volume)
    if facts is not None and facts.HasField("probe_error") and facts.probe_error.not_found:
        return f'volumes["{volume}"].probeError: {facts.probe_error.message}: retry when the backend exists'
    return f'volumes["{volume}"].ready is not true: retry when it is'
