"""Client of kubevirt.converter.v1.Converter: dicts or messages in, ConvertResult or ConversionFailed out."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeAlias, TypeVar

import grpc
from google.protobuf import json_format
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from vmi_converter_client.api import context_pb2, service_pb2, service_pb2_grpc, vmi_pb2

#: A VMI: a dict in Kubernetes JSON form (as `kubectl get vmi -o json` prints it), JSON or YAML
#: text/bytes, or a message.
VmiLike: TypeAlias = Mapping[str, Any] | vmi_pb2.VirtualMachineInstance | bytes | str
#: A ConverterContext: a dict in Kubernetes/proto3 JSON form, or a message.
ContextLike: TypeAlias = Mapping[str, Any] | context_pb2.ConverterContext
#: One item of `convert_many`: a request dict `{"id": ..., "vmi": ..., "context": ...}` (the
#: form of a saved request), a bare VMI (dict, text or message), or a request message.
ItemLike: TypeAlias = (
    Mapping[str, Any]
    | vmi_pb2.VirtualMachineInstance
    | bytes
    | str
    | service_pb2.ConvertRequest
    | service_pb2.ConvertStreamRequest
)

_Request = TypeVar("_Request", service_pb2.ConvertRequest, service_pb2.ConvertStreamRequest)
_BAD_REQUEST = error_details_pb2.BadRequest.DESCRIPTOR.full_name
_CODES = {code.value[0]: code for code in grpc.StatusCode}

_SERVICE = "kubevirt.converter.v1.Converter"
#: The calls that may be sent again: each answer depends on its request alone (for ConvertStream,
#: only its opening is retried: once the server answered, the stream is committed to that server).
IDEMPOTENT_METHODS = ("Convert", "ConvertStream", "Explain", "Info", "MigratableXML", "HotplugDisk")
#: The gRPC service config every Client uses unless `options` carries its own "grpc.service_config".
#: round_robin: one connection to every address the target resolves to (a headless Service's pods,
#: or "ipv4:10.0.0.1:50051,10.0.0.2:50051"), calls spread over them; pick_first, gRPC's default,
#: would send everything to one. The retry policy sends a call that found a server gone (UNAVAILABLE:
#: connection refused or reset, a server shutting down) again, to another address.
SERVICE_CONFIG: dict[str, Any] = {
    "loadBalancingConfig": [{"round_robin": {}}],
    "methodConfig": [
        {
            "name": [{"service": _SERVICE, "method": method} for method in IDEMPOTENT_METHODS],
            "retryPolicy": {
                "maxAttempts": 5,
                "initialBackoff": "0.1s",
                "maxBackoff": "1s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }
    ],
}


@dataclass(frozen=True)
class ConvertResult:
    """A converted VMI: the libvirt `<domain>` document and what the server wants the caller to know."""

    domain_xml: str
    warnings: list[str] = field(default_factory=list)
    id: str = ""


@dataclass(frozen=True)
class FieldViolation:
    """One entry of the google.rpc.BadRequest detail: the field path and what is wrong with it."""

    field: str
    description: str


class ConversionFailed(Exception):
    """The server refused a VMI (or the call failed).

    `code` is the gRPC status (INVALID_ARGUMENT for a VMI or context that cannot be converted),
    `field` the offending field's path from the google.rpc.BadRequest detail, e.g.
    "spec.domain.devices.disks[2].cache" (None when the error has no such detail).
    Raised by `Client.convert`; yielded by `Client.convert_many` for a failed item.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        violations: Sequence[FieldViolation] = (),
        id: str = "",
    ) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.violations = tuple(violations)
        self.id = id

    @property
    def field(self) -> str | None:
        return self.violations[0].field if self.violations else None

    @classmethod
    def from_status(cls, status: status_pb2.Status, id: str = "") -> ConversionFailed:
        """From a google.rpc.Status (a ConvertStream item's `error`, or a call's rich status)."""
        violations = []
        for detail in status.details:
            if detail.TypeName() == _BAD_REQUEST:
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations += [FieldViolation(v.field, v.description) for v in bad_request.field_violations]
        return cls(_CODES.get(status.code, grpc.StatusCode.UNKNOWN), status.message, violations, id)

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError, id: str = "") -> ConversionFailed:
        status = rpc_status.from_call(error) if isinstance(error, grpc.Call) else None
        if status is not None:
            return cls.from_status(status, id)
        code = error.code() if isinstance(error, grpc.Call) else grpc.StatusCode.UNKNOWN
        details = error.details() if isinstance(error, grpc.Call) else str(error)
        return cls(code, details or "", (), id)


def _invalid(field_path: str, message: str, id: str = "") -> ConversionFailed:
    return ConversionFailed(grpc.StatusCode.INVALID_ARGUMENT, message, [FieldViolation(field_path, message)], id)


def _context(context: ContextLike) -> context_pb2.ConverterContext:
    if isinstance(context, context_pb2.ConverterContext):
        return context
    try:
        return json_format.ParseDict(dict(context), context_pb2.ConverterContext())
    except json_format.ParseError as err:
        first_line = str(err).split("\n", 1)[0]  # then comes the list of every field name
        raise _invalid("context", f"context: {first_line}") from err


def _request(kind: type[_Request], vmi: VmiLike, context: ContextLike | None, id: str) -> _Request:
    """A Convert(Stream)Request. Dicts travel as `vmi_json` so the server reports unknown fields as warnings."""
    request = kind(id=id)
    if isinstance(vmi, vmi_pb2.VirtualMachineInstance):
        request.vmi.CopyFrom(vmi)
    elif isinstance(vmi, bytes):
        request.vmi_json = vmi
    elif isinstance(vmi, str):
        request.vmi_json = vmi.encode()
    elif isinstance(vmi, Mapping):
        request.vmi_json = json.dumps(vmi, default=str).encode()
    else:
        raise TypeError(f"a VMI is a dict, JSON/YAML text or a VirtualMachineInstance, not {type(vmi).__name__}")
    if context is not None:
        try:
            request.context.CopyFrom(_context(context))
        except ConversionFailed as failed:
            failed.id = id
            raise
    return request


def _stream_request(item: ItemLike) -> service_pb2.ConvertStreamRequest:
    if isinstance(item, service_pb2.ConvertStreamRequest):
        return item
    if isinstance(item, service_pb2.ConvertRequest):
        request = service_pb2.ConvertStreamRequest()
        request.ParseFromString(item.SerializeToString())  # same fields, same numbers
        return request
    if isinstance(item, Mapping) and "vmi" in item:
        return _request(service_pb2.ConvertStreamRequest, item["vmi"], item.get("context"), str(item.get("id", "")))
    return _request(service_pb2.ConvertStreamRequest, item, None, "")


def _channel_options(options: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The caller's options, plus SERVICE_CONFIG (balancing and retries) unless they bring their own."""
    chosen = list(options)
    if not any(name == "grpc.service_config" for name, _ in chosen):
        chosen.append(("grpc.service_config", json.dumps(SERVICE_CONFIG)))
    return chosen


class Client:
    """A channel to the converter. `target` is "host:port", "unix:/path", "unix:///path", or several
    addresses ("ipv4:10.0.0.1:50051,10.0.0.2:50051", "dns:///conv.ns.svc:50051" for a headless Service),
    over which calls are balanced round-robin and retried on UNAVAILABLE (SERVICE_CONFIG).

    >>> with Client("unix:/run/conv.sock") as client:
    ...     result = client.convert(vmi_dict, context={"architecture": "amd64"})
    ...     print(result.domain_xml)
    """

    def __init__(
        self,
        target: str,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        timeout: float | None = 60.0,
        options: Sequence[tuple[str, Any]] = (),
    ) -> None:
        options = _channel_options(options)
        if credentials is None:
            self._channel = grpc.insecure_channel(target, options=options)
        else:
            self._channel = grpc.secure_channel(target, credentials, options=options)
        #: The generated stub, for the other RPCs (MigratableXML, HotplugDisk).
        self.stub = service_pb2_grpc.ConverterStub(self._channel)
        self.timeout = timeout

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def convert(self, vmi: VmiLike, context: ContextLike | None = None, id: str = "") -> ConvertResult:
        """Converts one VMI. Raises ConversionFailed (a context that does not parse fails before sending)."""
        request = _request(service_pb2.ConvertRequest, vmi, context, id)
        try:
            response = self.stub.Convert(request, timeout=self.timeout)
        except grpc.RpcError as err:
            raise ConversionFailed.from_rpc_error(err, id) from None
        return ConvertResult(response.domain_xml, list(response.warnings), response.id)

    def convert_many(
        self, items: Iterable[ItemLike], *, timeout: float | None = None
    ) -> Iterator[ConvertResult | ConversionFailed]:
        """Converts a batch through one ConvertStream call, yielding one answer per item, in order.

        A failed item is yielded as a ConversionFailed (not raised) and the stream goes on; an item
        whose context does not parse is not sent and is yielded in its place. A failed call raises
        ConversionFailed. Items are read lazily, while answers come back.
        """
        # What was sent, in order: None for an item the server answers, or a local failure.
        order: deque[ConversionFailed | None] = deque()
        raised: list[BaseException] = []

        def requests() -> Iterator[service_pb2.ConvertStreamRequest]:
            try:
                for item in items:
                    try:
                        request = _stream_request(item)
                    except ConversionFailed as failed:
                        order.append(failed)
                        continue
                    order.append(None)
                    yield request
            except BaseException as err:  # gRPC would only log it; re-raised below
                raised.append(err)
                raise

        call = self.stub.ConvertStream(requests(), timeout=timeout)
        cancel: Callable[[], object] = call.cancel
        try:
            for response in call:
                while order and order[0] is not None:
                    yield order.popleft()  # type: ignore[misc]
                if order:
                    order.popleft()
                if response.WhichOneof("result") == "error":
                    yield ConversionFailed.from_status(response.error, response.id)
                else:
                    yield ConvertResult(response.domain_xml, list(response.warnings), response.id)
        except grpc.RpcError as err:
            if raised:
                raise raised[0] from None
            raise ConversionFailed.from_rpc_error(err) from None
        finally:
            cancel()  # the caller stopped early; a no-op once the call is over
        if raised:
            raise raised[0]
        while order:
            failed = order.popleft()
            if failed is not None:
                yield failed
