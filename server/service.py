"""The Converter gRPC service: decode, call the converter, map errors to status codes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeAlias

import grpc
from google.protobuf import any_pb2, json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from vmi_converter.api import service_pb2, service_pb2_grpc
from vmi_converter.converter.common.errors import ConversionError, HostProbeError
from vmi_converter.converter.explain import explain
from vmi_converter.converter.pipeline import convert
from vmi_converter.server import flows
from vmi_converter.server.decoder import Decoded, decode_parts
from vmi_converter.server.info import server_info
from vmi_converter.server.protodict import message_to_dict
from vmi_converter.server.requests import load_document

log = logging.getLogger("vmi_converter.service")

ConvertLike: TypeAlias = service_pb2.ConvertRequest | service_pb2.ConvertStreamRequest | service_pb2.ExplainRequest


def decode(request: ConvertLike) -> Decoded:
    """The VMI and context of a Convert, ConvertStream or Explain request, through the one decoder."""
    source = request.WhichOneof("source")
    if source == "vmi":
        vmi = message_to_dict(request.vmi)
    elif source == "vmi_json":
        vmi = load_document(request.vmi_json, "vmiJson")
    else:
        raise ConversionError("vmi", "a VirtualMachineInstance is required (set vmi or vmiJson)")
    context = message_to_dict(request.context) if request.HasField("context") else None
    return decode_parts(vmi, context, typed_vmi=source == "vmi", typed_context=True)


def run(request: ConvertLike) -> tuple[str, list[str]]:
    decoded = decode(request)
    result = convert(decoded.vmi, decoded.context)
    return result.xml, decoded.warnings + result.warnings


def invalid_argument(err: ConversionError) -> status_pb2.Status:
    """INVALID_ARGUMENT carrying a google.rpc.BadRequest that names the field."""
    detail = any_pb2.Any()
    detail.Pack(
        error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=err.field, description=err.message),
            ]
        )
    )
    return status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=str(err), details=[detail])


def failed_precondition(err: HostProbeError) -> status_pb2.Status:
    """FAILED_PRECONDITION carrying a google.rpc.PreconditionFailure naming what was probed."""
    detail = any_pb2.Any()
    detail.Pack(
        error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type="HOST_PROBE", subject=err.subject, description=err.message
                ),
            ]
        )
    )
    return status_pb2.Status(code=code_pb2.FAILED_PRECONDITION, message=str(err), details=[detail])


def internal_error(request_id: str) -> status_pb2.Status:
    log.exception("conversion of %r failed unexpectedly", request_id)
    return status_pb2.Status(code=code_pb2.INTERNAL, message="internal error while converting; see server log")


def failure_status(err: Exception, request_id: str) -> status_pb2.Status:
    if isinstance(err, HostProbeError):
        return failed_precondition(err)
    if isinstance(err, ConversionError):
        return invalid_argument(err)
    return internal_error(request_id)


class ConverterService(service_pb2_grpc.ConverterServicer):
    def Convert(self, request: service_pb2.ConvertRequest, context: grpc.ServicerContext) -> Any:
        try:
            xml, warnings = run(request)
        except Exception as err:
            context.abort_with_status(rpc_status.to_status(failure_status(err, request.id)))
        return service_pb2.ConvertResponse(id=request.id, domain_xml=xml, warnings=warnings)

    def ConvertStream(
        self, requests: Iterator[service_pb2.ConvertStreamRequest], context: grpc.ServicerContext
    ) -> Iterator[service_pb2.ConvertStreamResponse]:
        for request in requests:
            try:
                xml, warnings = run(request)
            except Exception as err:
                yield service_pb2.ConvertStreamResponse(id=request.id, error=failure_status(err, request.id))
            else:
                yield service_pb2.ConvertStreamResponse(id=request.id, domain_xml=xml, warnings=warnings)

    def MigratableXML(self, request: service_pb2.MigratableXMLRequest, context: grpc.ServicerContext) -> Any:
        result = _answer(request.id, context, lambda: flows.migratable_xml(*flows.request_document(request)))
        return json_format.ParseDict({**result, "id": request.id}, service_pb2.MigratableXMLResponse())

    def HotplugDisk(self, request: service_pb2.HotplugDiskRequest, context: grpc.ServicerContext) -> Any:
        result = _answer(request.id, context, lambda: flows.hotplug_disk(*flows.request_document(request)))
        not_ready = [{"volume": v, "reason": flows.not_ready_reason(request, v)} for v in result.pop("notReady")]
        response = {**result, "id": request.id, "skippedNotReady": not_ready}
        return json_format.ParseDict(response, service_pb2.HotplugDiskResponse())

    def Explain(self, request: service_pb2.ExplainRequest, context: grpc.ServicerContext) -> Any:
        def explained() -> dict[str, Any]:
            decoded = decode(request)
            explained = explain(decoded.vmi, decoded.context)
            return {**explained.as_json(), "warnings": decoded.warnings + explained.warnings}

        result = _answer(request.id, context, explained)
        return json_format.ParseDict({**result, "id": request.id}, service_pb2.ExplainResponse())

    def Info(self, request: service_pb2.InfoRequest, context: grpc.ServicerContext) -> Any:
        info = server_info()
        return service_pb2.InfoResponse(
            version=info["version"],
            kubevirt_commit=info["kubevirtCommit"],
            architectures=info["architectures"],
            api_versions=info["apiVersions"],
            build=info["build"],
        )


def _answer(request_id: str, context: grpc.ServicerContext, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The JSON answer of `compute`, or the call aborted with the status its failure maps to."""
    try:
        return compute()
    except Exception as err:  # every failure becomes a status
        context.abort_with_status(rpc_status.to_status(failure_status(err, request_id)))
        raise  # abort_with_status raises; this keeps type checkers informed
