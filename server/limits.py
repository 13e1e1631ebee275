"""Per-call limits on the Converter service: deadlines, stream length, and stopping work nobody waits for.

Message size and the number of concurrent calls are enforced by gRPC itself
(server options set in `server.app`); these are the checks it cannot make.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import grpc

from vmi_converter.server.observe import CONVERTER_SERVICE


def stream_limit_message(cap: int) -> str:
    return f"stream item limit exceeded: at most {cap} items per ConvertStream call; open a new stream for more"


DEADLINE_MESSAGE = "deadline exceeded before the conversion started"
CANCELLED_MESSAGE = "call cancelled by the client"


class LimitsInterceptor(grpc.ServerInterceptor):
    def __init__(self, max_stream_items: int) -> None:
        self.max_stream_items = max_stream_items

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or not method.startswith(f"/{CONVERTER_SERVICE}/"):
            return handler
        options = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(_in_time(handler.unary_unary), **options)
        if handler.stream_stream is not None:
            behavior = _bounded_stream(handler.stream_stream, self.max_stream_items)
            return grpc.stream_stream_rpc_method_handler(behavior, **options)
        return handler


def ensure_alive(context: grpc.ServicerContext) -> None:
    """Abort (and so stop working) once the deadline passed or the client cancelled."""
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, DEADLINE_MESSAGE)
    if not context.is_active():
        context.abort(grpc.StatusCode.CANCELLED, CANCELLED_MESSAGE)


def _in_time(behavior: Callable[[Any, grpc.ServicerContext], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
    def checked(request: Any, context: grpc.ServicerContext) -> Any:
        ensure_alive(context)
        return behavior(request, context)

    return checked


def bounded_items(requests: Iterator[Any], context: grpc.ServicerContext, cap: int) -> Iterator[Any]:
    """The stream's requests, checked before each: past the cap, or once the call is dead, the stream ends."""
    count = 0
    while True:
        ensure_alive(context)
        try:
            request = next(requests)
        except StopIteration:
            return
        count += 1
        if count > cap:
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, stream_limit_message(cap))
        ensure_alive(context)
        yield request


def _bounded_stream(
    behavior: Callable[[Iterator[Any], grpc.ServicerContext], Iterator[Any]], cap: int
) -> Callable[[Iterator[Any], grpc.ServicerContext], Iterator[Any]]:
    def bounded(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        return behavior(bounded_items(requests, context, cap), context)

    return bounded
