"""Per-call limits: concurrent calls, deadlines, stream length, and stopping work nobody waits for.

Message size is enforced by gRPC itself (server options set in `server.app`);
these are the checks it cannot make, or (concurrent calls) makes too late.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from typing import Any

import grpc

from vmi_converter.server import metrics
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
            "request_deserializer": _tolerant(handler.request_deserializer),
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(_in_time(handler.unary_unary), **options)
        if handler.stream_stream is not None:
            behavior = _bounded_stream(handler.stream_stream, self.max_stream_items)
            return grpc.stream_stream_rpc_method_handler(behavior, **options)
        return handler


class Undecodable:
    """What arrived instead of a request protobuf could parse (malformed, or nested too deep)."""

    def __init__(self, error: Exception) -> None:
        self.error = error


def undecodable_message(error: Exception) -> str:
    return f"the request is not a valid protobuf message (at most 100 nested messages): {error}"


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """gRPC answers INTERNAL when a deserializer raises; the caller's bytes are at fault: INVALID_ARGUMENT."""
    if deserializer is None:
        return None
    parse = deserializer

    def deserialize(data: bytes) -> Any:
        try:
            return parse(data)
        except Exception as err:  # protobuf's DecodeError, whatever the runtime raises
            return Undecodable(err)

    return deserialize


def refuse_undecodable(request: Any, context: grpc.ServicerContext) -> None:
    if isinstance(request, Undecodable):
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, undecodable_message(request.error))


def ensure_alive(context: grpc.ServicerContext) -> None:
    """Abort (and so stop working) once the deadline passed or the client cancelled."""
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, DEADLINE_MESSAGE)
    if not context.is_active():
        context.abort(grpc.StatusCode.CANCELLED, CANCELLED_MESSAGE)


def _in_time(behavior: Callable[[Any, grpc.ServicerContext], Any]) -> Callable[[Any, grpc.ServicerContext], Any]:
    def checked(request: Any, context: grpc.ServicerContext) -> Any:
        refuse_undecodable(request, context)
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
        refuse_undecodable(request, context)
        count += 1
        if count > cap:
            metrics.REFUSED.labels(f"{CONVERTER_SERVICE}/ConvertStream", "stream_items").inc()
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, stream_limit_message(cap))
        ensure_alive(context)
        yield request


def _bounded_stream(
    behavior: Callable[[Iterator[Any], grpc.ServicerContext], Iterator[Any]], cap: int
) -> Callable[[Iterator[Any], grpc.ServicerContext], Iterator[Any]]:
    def bounded(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
        return behavior(bounded_items(requests, context, cap), context)

    return bounded


def concurrency_limit_message(limit: int) -> str:
    return f"concurrent RPC limit exceeded: at most {limit} calls in flight per worker; retry when one has finished"


class _Slot:
    """One admitted call's place under the limit; released once, by whichever end comes first."""

    __slots__ = ("_held", "_limit")

    def __init__(self, limit: ConcurrencyLimit) -> None:
        self._limit = limit
        self._held = True

    def release(self) -> None:
        with self._limit.lock:
            if self._held:
                self._held = False
                self._limit.active -= 1


class ConcurrencyLimit:
    """At most `limit` calls in flight, counted from their arrival until their handler returns.

    gRPC's own `maximum_concurrent_rpcs` frees a slot when the call's thread has finished, which is
    after the client already has its answer: a client that starts its next call at once, and so never
    has more than the limit in flight, was sometimes refused. Here a call's slot is freed when its
    handler has returned (a unary answer) or its response stream has ended, before gRPC sends the
    status, so the client can only learn that a call is over once its slot is free again.

    A call admitted but never handled (its client cancelled before the request arrived) is released
    when its task in the thread pool ends, which `SlotReleasingExecutor` reports.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.lock = threading.Lock()
        self.active = 0
        # Set when a call is admitted, taken by the executor when gRPC submits that call's task: gRPC
        # does both, one after the other, on its polling thread.
        self._admitted = threading.local()

    def admit(self) -> _Slot | None:
        self.drop_unclaimed()
        with self.lock:
            if self.active >= self.limit:
                return None
            self.active += 1
        slot = _Slot(self)
        self._admitted.slot = slot
        return slot

    def claim(self) -> _Slot | None:
        slot: _Slot | None = getattr(self._admitted, "slot", None)
        self._admitted.slot = None
        return slot

    def drop_unclaimed(self) -> None:
        """A call admitted but never submitted (gRPC refused it after the interceptors) frees its slot."""
        slot = self.claim()
        if slot is not None:
            slot.release()


class SlotReleasingExecutor(futures.ThreadPoolExecutor):
    """The server's thread pool: a call's slot is released at the latest when its task ends."""

    def __init__(self, limit: ConcurrencyLimit, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._limit = limit

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> futures.Future[Any]:
        slot = self._limit.claim()
        future = super().submit(fn, *args, **kwargs)
        if slot is not None:
            future.add_done_callback(lambda _: slot.release())
        return future


class ConcurrencyInterceptor(grpc.ServerInterceptor):
    """Admits a call at its arrival or refuses it with RESOURCE_EXHAUSTED (seen by the observing interceptor)."""

    def __init__(self, limit: ConcurrencyLimit) -> None:
        self.limit = limit

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        slot = self.limit.admit()
        if slot is None:
            metrics.REFUSED.labels(handler_call_details.method.lstrip("/"), "concurrency").inc()
            return _replace_behavior(handler, _refuse(self.limit.limit))
        return _replace_behavior(handler, _releasing(handler, slot))


def _refuse(limit: int) -> Callable[[Any, grpc.ServicerContext], Any]:
    def refused(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, concurrency_limit_message(limit))

    return refused


def _releasing(handler: grpc.RpcMethodHandler, slot: _Slot) -> Callable[[Any, grpc.ServicerContext], Any]:
    behavior = _behavior(handler)
    if handler.response_streaming:

        def streamed(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            try:
                yield from behavior(request, context)
            finally:
                slot.release()

        return streamed

    def answered(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return behavior(request, context)
        finally:
            slot.release()

    return answered


def _behavior(handler: grpc.RpcMethodHandler) -> Callable[[Any, grpc.ServicerContext], Any]:
    behavior = handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream
    assert behavior is not None, "a method handler has one behavior"
    return behavior


def _replace_behavior(
    handler: grpc.RpcMethodHandler, behavior: Callable[[Any, grpc.ServicerContext], Any]
) -> grpc.RpcMethodHandler:
    options = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.request_streaming and handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(behavior, **options)
    if handler.request_streaming:
        return grpc.stream_unary_rpc_method_handler(behavior, **options)
    if handler.response_streaming:
        return grpc.unary_stream_rpc_method_handler(behavior, **options)
    return grpc.unary_unary_rpc_method_handler(behavior, **options)
