"""Per-RPC metrics and one JSON log line per call, as a server interceptor.

The interceptor sees requests, responses and the final status. The only thing
it cannot see cheaply is which VMI a `vmiJson` request carried, so request
decoding reports it through `server.subject.note_vmi`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from vmi_converter.api import service_pb2
from vmi_converter.server import metrics
from vmi_converter.server.logs import log
from vmi_converter.server.subject import Subject, current

rpc_log = logging.getLogger("vmi_converter.rpc")

CONVERTER_SERVICE = "kubevirt.converter.v1.Converter"
_ARCHES = frozenset(("amd64", "arm64", "s390x"))
_RESULTS = {0: "ok", grpc.StatusCode.INVALID_ARGUMENT.value[0]: "rejected"}
_QUIET_OK_SERVICES = ("grpc.health.v1.Health", "grpc.reflection.")
_MAX_ERROR_CHARS = 500
# A client whose deadline passes cancels the call itself, a little before the server's copy of the
# deadline (which started later, when the request arrived): a call cancelled this close to its
# deadline is counted as DEADLINE_EXCEEDED.
_DEADLINE_SLACK_S = 1.0


def subject_of(request: Any) -> Subject:
    """Id, VMI and (for conversions) target architecture of a request, read from the typed message."""
    subject = Subject(id=str(getattr(request, "id", "")))
    if isinstance(request, service_pb2.ConvertRequest | service_pb2.ConvertStreamRequest):
        arch = request.context.architecture or "amd64"
        subject.arch = arch if arch in _ARCHES else "other"
    fields = getattr(getattr(request, "DESCRIPTOR", None), "fields_by_name", {})
    if "vmi" in fields and request.HasField("vmi"):
        subject.namespace = request.vmi.metadata.namespace
        subject.name = request.vmi.metadata.name
    return subject


class Call:
    """Book-keeping for one RPC; `finish` records it exactly once, whoever gets there first."""

    def __init__(self, method: str) -> None:
        self.method = method
        self.started = time.perf_counter()
        self.subject: Subject | None = None
        self.items = 0
        self.failed_items = 0
        self.warnings = 0
        self._done = False
        self._lock = threading.Lock()
        metrics.IN_FLIGHT.labels(method).inc()

    def answered(self, response: Any) -> None:
        self.warnings += len(getattr(response, "warnings", ()))

    def item_answered(self, subject: Subject | None, response: service_pb2.ConvertStreamResponse) -> None:
        self.items += 1
        self.answered(response)
        code = response.error.code if response.WhichOneof("result") == "error" else 0
        if code:
            self.failed_items += 1
        if subject is not None:
            _count_conversion(subject, code)
        log(
            rpc_log,
            logging.DEBUG,
            "stream item",
            method=self.method,
            code=_code_name(code),
            **(_identity(subject) or {"id": response.id}),
            warnings=len(response.warnings),
        )

    def finish(self, code: grpc.StatusCode, details: str = "") -> None:
        with self._lock:
            if self._done:
                return
            self._done = True
        seconds = time.perf_counter() - self.started
        metrics.IN_FLIGHT.labels(self.method).dec()
        metrics.RPCS.labels(self.method, code.name).inc()
        metrics.RPC_SECONDS.labels(self.method).observe(seconds)
        if self.method.endswith("/ConvertStream"):
            metrics.STREAM_ITEMS.observe(self.items)
        elif self.subject is not None and self.subject.arch:
            _count_conversion(self.subject, code.value[0])
        self._log(code, details, seconds)

    def _log(self, code: grpc.StatusCode, details: str, seconds: float) -> None:
        fields: dict[str, Any] = {"method": self.method, "code": code.name, "duration_ms": round(seconds * 1000, 3)}
        if self.method.endswith("/ConvertStream"):
            fields.update(items=self.items, failed_items=self.failed_items)
        else:
            fields.update(_identity(self.subject))
        fields["warnings"] = self.warnings
        if details and code != grpc.StatusCode.OK:
            fields["error"] = details[:_MAX_ERROR_CHARS]
        log(rpc_log, _level(self.method, code), "rpc", **fields)


def _identity(subject: Subject | None) -> dict[str, str]:
    if subject is None:
        return {}
    fields = {"id": subject.id, "namespace": subject.namespace, "name": subject.name, "arch": subject.arch}
    return {k: v for k, v in fields.items() if v}


def _count_conversion(subject: Subject, code: int) -> None:
    if subject.arch and code in (0, 3, 13):
        metrics.CONVERSIONS.labels(subject.arch, _RESULTS.get(code, "failed")).inc()


def _code_name(code: int) -> str:
    for status in grpc.StatusCode:
        if status.value[0] == code:
            return status.name
    return str(code)


def _level(method: str, code: grpc.StatusCode) -> int:
    if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DATA_LOSS):
        return logging.ERROR
    quiet = method.startswith(_QUIET_OK_SERVICES)
    if code in (grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
        return logging.DEBUG if quiet else logging.INFO
    if code == grpc.StatusCode.CANCELLED and quiet:
        # grpcurl ends its reflection stream and kubelet its health watch by cancelling: routine.
        return logging.DEBUG
    return logging.WARNING


def final_code(context: grpc.ServicerContext, failed: bool, streamed: bool = False) -> tuple[grpc.StatusCode, str]:
    """The status the client gets: what the handler set, else what ended the call.

    `streamed`: the handler ends when the request stream does, which a client's deadline can cause
    before grpc marks the call inactive."""
    code = context.code()  # type: ignore[attr-defined]
    raw = context.details()  # type: ignore[attr-defined]
    details = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else (raw or "")
    if code is not None and code != grpc.StatusCode.OK:
        return code, details
    remaining = context.time_remaining()
    near_deadline = remaining is not None and remaining <= _DEADLINE_SLACK_S
    active = context.is_active()
    if near_deadline and (not active or streamed):
        return grpc.StatusCode.DEADLINE_EXCEEDED, details
    if not active:
        return grpc.StatusCode.CANCELLED, details
    if failed:
        return grpc.StatusCode.UNKNOWN, details
    return grpc.StatusCode.OK, details


class ObservingInterceptor(grpc.ServerInterceptor):
    """Outermost interceptor: it must see the codes set by the limits and by the service."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method.lstrip("/")
        return wrap_handler(handler, method)


def wrap_handler(handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
    options = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary is not None:
        return grpc.unary_unary_rpc_method_handler(_unary_unary(handler.unary_unary, method), **options)
    if handler.unary_stream is not None:
        return grpc.unary_stream_rpc_method_handler(_unary_stream(handler.unary_stream, method), **options)
    if handler.stream_stream is not None:
        return grpc.stream_stream_rpc_method_handler(_stream_stream(handler.stream_stream, method), **options)
    if handler.stream_unary is not None:
        return grpc.stream_unary_rpc_method_handler(_stream_unary(handler.stream_unary, method), **options)
    return handler


Behavior = Callable[[Any, grpc.ServicerContext], Any]


def _begin(method: str, context: grpc.ServicerContext) -> Call:
    call = Call(method)
    context.add_callback(lambda: call.finish(*final_code(context, failed=False)))
    return call


def _unary_unary(behavior: Behavior, method: str) -> Behavior:
    def observed(request: Any, context: grpc.ServicerContext) -> Any:
        call = _begin(method, context)
        call.subject = subject_of(request)
        token = current.set(call.subject)
        try:
            response = behavior(request, context)
        except BaseException:
            call.finish(*final_code(context, failed=True))
            raise
        finally:
            current.reset(token)
        call.answered(response)
        call.finish(*final_code(context, failed=False))
        return response

    return observed


def _unary_stream(behavior: Behavior, method: str) -> Behavior:
    def observed(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        call = _begin(method, context)
        call.subject = subject_of(request)
        yield from _finishing(call, context, behavior(request, context), lambda response: call.answered(response))

    return observed


def _stream_unary(behavior: Behavior, method: str) -> Behavior:
    def observed(requests: Iterator[Any], context: grpc.ServicerContext) -> Any:
        call = _begin(method, context)
        try:
            response = behavior(requests, context)
        except BaseException:
            call.finish(*final_code(context, failed=True))
            raise
        call.finish(*final_code(context, failed=False))
        return response

    return observed


def _stream_stream(behavior: Behavior, method: str) -> Behavior:
    def observed(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        call = _begin(method, context)
        pending: deque[Subject] = deque()

        def noted(requests: Iterator[Any]) -> Iterator[Any]:
            # Each item's subject is current while the service decodes it; answers come in request order.
            for request in requests:
                subject = subject_of(request)
                pending.append(subject)
                current.set(subject)
                yield request

        def on_response(response: Any) -> None:
            subject = pending.popleft() if pending else None
            if isinstance(response, service_pb2.ConvertStreamResponse):
                call.item_answered(subject, response)
            else:
                call.answered(response)

        try:
            yield from _finishing(call, context, behavior(noted(requests), context), on_response, streamed=True)
        finally:
            current.set(None)

    return observed


def _finishing(
    call: Call,
    context: grpc.ServicerContext,
    responses: Iterator[Any],
    on_response: Callable[[Any], None],
    streamed: bool = False,
) -> Iterator[Any]:
    try:
        for response in responses:
            on_response(response)
            yield response
    except GeneratorExit:
        # grpc dropped the response iterator: the client went away.
        call.finish(*final_code(context, failed=False, streamed=streamed))
        raise
    except BaseException:
        call.finish(*final_code(context, failed=True, streamed=streamed))
        raise
    call.finish(*final_code(context, failed=False, streamed=streamed))
