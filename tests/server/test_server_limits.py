"""Limits: message size, concurrent calls, stream length, deadlines, cancellation (issue 9)."""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterator

import grpc
import pytest
from ops_harness import Feeder, captured_logs, convert_request, small_vmi, stream_item
from prometheus_client import REGISTRY

from vmi_converter.api import service_pb2, service_pb2_grpc
from vmi_converter.server.app import Running, start
from vmi_converter.server.config import DEFAULT_MAX_CONCURRENT_RPCS, DEFAULT_MAX_MESSAGE_BYTES, ServerConfig
from vmi_converter.server.limits import (
    CANCELLED_MESSAGE,
    DEADLINE_MESSAGE,
    ConcurrencyLimit,
    SlotReleasingExecutor,
    bounded_items,
    concurrency_limit_message,
    ensure_alive,
    stream_limit_message,
)

STREAM = "kubevirt.converter.v1.Converter/ConvertStream"
CONVERT = "kubevirt.converter.v1.Converter/Convert"


@pytest.fixture
def serving(request: pytest.FixtureRequest) -> Iterator[Running]:
    config: ServerConfig = getattr(request, "param", ServerConfig(listen=["127.0.0.1:0"]))
    running = start(config)
    try:
        yield running
    finally:
        running.stop(0)


def _client(running: Running) -> tuple[grpc.Channel, service_pb2_grpc.ConverterStub]:
    channel = grpc.insecure_channel(running.addresses[0], options=[("grpc.max_send_message_length", -1)])
    return channel, service_pb2_grpc.ConverterStub(channel)


def _request_of_size(size: int) -> service_pb2.ConvertRequest:
    """A valid Convert request whose serialized form is exactly `size` bytes (padding in an annotation)."""
    vmi = small_vmi()
    vmi["metadata"]["annotations"] = {"pad": ""}
    request = service_pb2.ConvertRequest(vmi_json=json.dumps(vmi).encode())
    request.context.hypervisor_device_available = True
    base = request.ByteSize()
    # The length prefix of vmi_json grows with the padding; adjust until the total is exact.
    pad = size - base
    while True:
        vmi["metadata"]["annotations"]["pad"] = "x" * pad
        request.vmi_json = json.dumps(vmi).encode()
        if request.ByteSize() == size:
            return request
        pad += size - request.ByteSize()


def test_default_message_limit_is_16_mib() -> None:
    assert DEFAULT_MAX_MESSAGE_BYTES == 16 * 1024 * 1024
    assert ServerConfig().max_message_bytes == 16 * 1024 * 1024


def test_message_over_the_default_limit_is_resource_exhausted(serving: Running) -> None:
    channel, client = _client(serving)
    size = DEFAULT_MAX_MESSAGE_BYTES + 1
    with channel, pytest.raises(grpc.RpcError) as raised:
        client.Convert(_request_of_size(size), timeout=30)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (
        raised.value.details() == f"SERVER: Received message larger than max ({size} vs. {DEFAULT_MAX_MESSAGE_BYTES})"
    )


@pytest.mark.parametrize(
    "serving", [ServerConfig(listen=["127.0.0.1:0"], max_message_bytes=64 * 1024)], indirect=True, ids=["64KiB"]
)
def test_configured_message_limit_admits_up_to_it(serving: Running) -> None:
    channel, client = _client(serving)
    with channel:
        reply = client.Convert(_request_of_size(64 * 1024), timeout=30)
        assert reply.domain_xml.startswith("<domain")
        with pytest.raises(grpc.RpcError) as raised:
            client.Convert(_request_of_size(64 * 1024 + 1), timeout=30)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert raised.value.details() == f"SERVER: Received message larger than max ({64 * 1024 + 1} vs. {64 * 1024})"


@pytest.mark.parametrize(
    "serving", [ServerConfig(listen=["127.0.0.1:0"], max_message_bytes=3000)], indirect=True, ids=["3000B"]
)
def test_answer_over_the_limit_is_resource_exhausted(serving: Running) -> None:
    """Eight disks: a 1 KiB request whose domain XML is over 3000 bytes."""
    vmi = small_vmi()
    vmi["spec"]["domain"]["devices"]["disks"] = [{"name": f"d{n}", "disk": {"bus": "virtio"}} for n in range(8)]
    vmi["spec"]["volumes"] = [{"name": f"d{n}", "containerDisk": {"image": "img"}} for n in range(8)]
    request = service_pb2.ConvertRequest(vmi_json=json.dumps(vmi).encode())
    request.context.hypervisor_device_available = True
    for n in range(8):
        request.context.disks_info[f"d{n}"].format = "raw"
    assert request.ByteSize() < 3000
    channel, client = _client(serving)
    with channel, pytest.raises(grpc.RpcError) as raised:
        client.Convert(request, timeout=30)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert raised.value.details().startswith("SERVER: Sent message larger than max (")
    assert raised.value.details().endswith(" vs. 3000)")


@pytest.mark.parametrize(
    "serving", [ServerConfig(listen=["127.0.0.1:0"], max_concurrent_rpcs=2)], indirect=True, ids=["2-calls"]
)
def test_calls_over_the_concurrency_limit_are_refused(serving: Running) -> None:
    channel, client = _client(serving)
    feeders = [Feeder(), Feeder()]
    labels = {"method": CONVERT, "limit": "concurrency"}
    refused_before = REGISTRY.get_sample_value("vmi_converter_rpcs_refused_total", labels) or 0.0
    with captured_logs() as logs, channel:
        streams = [client.ConvertStream(iter(feeder), timeout=30) for feeder in feeders]
        for number, (feeder, stream) in enumerate(zip(feeders, streams, strict=True)):
            feeder.send(stream_item("vm", f"s{number}"))
            assert next(stream).id == f"s{number}"  # both streams now hold a slot
        with pytest.raises(grpc.RpcError) as raised:
            client.Convert(convert_request(), timeout=10)
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert raised.value.details() == concurrency_limit_message(2)
        for feeder, stream in zip(feeders, streams, strict=True):
            feeder.close()
            assert list(stream) == []
        # A stream's slot is free before its client learns that it ended: no waiting, no retry.
        reply = client.Convert(convert_request(), timeout=10)
    assert reply.domain_xml.startswith("<domain")
    assert REGISTRY.get_sample_value("vmi_converter_rpcs_refused_total", labels) == refused_before + 1
    assert logs.one(method=CONVERT, code="RESOURCE_EXHAUSTED")["error"] == concurrency_limit_message(2)
    refusals = [r for r in logs.records if getattr(r, "fields", {}).get("code") == "RESOURCE_EXHAUSTED"]
    assert [r.levelname for r in refusals] == ["WARNING"]


# A client keeping exactly the limit of calls in flight, each thread starting its next call as soon
# as it has its answer. CI runs 3,200 calls (gRPC's own limit refused about 1 in 400); the issue-18 figure:
#   POLITE_CALLS=10000 .venv/bin/python -m pytest tests/server/test_server_limits.py -k never_refused  (~15 s)
POLITE_CALLS = int(os.environ.get("POLITE_CALLS", "3200"))


def test_a_client_within_the_concurrency_limit_is_never_refused() -> None:
    """32 calls in flight against the default limit of 32: not one refusal.

    Not a timing test: whatever the scheduling, a call's slot is free before its answer leaves the
    server, so the client's next call always finds one."""
    running = start(ServerConfig(listen=["127.0.0.1:0"]))
    threads_count = DEFAULT_MAX_CONCURRENT_RPCS
    codes: Counter[str] = Counter()
    lock = threading.Lock()
    per_thread = -(-POLITE_CALLS // threads_count)

    def calls(client: service_pb2_grpc.ConverterStub) -> None:
        for _ in range(per_thread):
            try:
                client.Info(service_pb2.InfoRequest(), timeout=60)
                code = "OK"
            except grpc.RpcError as err:
                code = err.code().name
            with lock:
                codes[code] += 1

    try:
        channel, client = _client(running)
        with channel:
            threads = [threading.Thread(target=calls, args=(client,)) for _ in range(threads_count)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        running.stop(0)
    assert codes == {"OK": per_thread * threads_count}


def test_a_slot_is_released_when_its_call_never_ran() -> None:
    """An admitted call whose handler never runs (its client cancelled first) frees its slot with its task."""
    limit = ConcurrencyLimit(1)
    executor = SlotReleasingExecutor(limit, max_workers=1)
    task_may_end = threading.Event()
    try:
        assert limit.admit() is not None
        task = executor.submit(task_may_end.wait)  # gRPC submits the call's task, which claims the slot
        assert limit.admit() is None  # the first call holds the only slot...
        task_may_end.set()
        task.result()  # ...until its task (which never called the handler) ends
        assert limit.active == 0
        assert limit.admit() is not None
        assert limit.active == 1
        limit.drop_unclaimed()  # admitted, then never submitted (gRPC refused it after the interceptors)
        assert limit.active == 0
    finally:
        executor.shutdown()


@pytest.mark.parametrize(
    "serving", [ServerConfig(listen=["127.0.0.1:0"], max_stream_items=3)], indirect=True, ids=["3-items"]
)
def test_stream_ends_with_resource_exhausted_after_the_item_cap(serving: Running) -> None:
    channel, client = _client(serving)
    answered = []
    with captured_logs() as logs, channel, pytest.raises(grpc.RpcError) as raised:
        for response in client.ConvertStream(iter([stream_item("vm", f"i{n}") for n in range(5)]), timeout=30):
            answered.append(response.id)
    assert answered == ["i0", "i1", "i2"]
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert raised.value.details() == (
        "stream item limit exceeded: at most 3 items per ConvertStream call; open a new stream for more"
    )
    line = logs.one(method=STREAM)
    assert (line["code"], line["items"], line["failed_items"]) == ("RESOURCE_EXHAUSTED", 3, 0)


@pytest.mark.parametrize(
    "serving", [ServerConfig(listen=["127.0.0.1:0"], max_stream_items=3)], indirect=True, ids=["3-items"]
)
def test_stream_of_exactly_the_cap_succeeds(serving: Running) -> None:
    channel, client = _client(serving)
    with channel:
        answered = [r.id for r in client.ConvertStream(iter([stream_item("vm", f"i{n}") for n in range(3)]))]
    assert answered == ["i0", "i1", "i2"]


def test_stream_deadline_stops_the_stream(serving: Running) -> None:
    """The client stops waiting after its deadline; the server stops too, and says why in its log."""
    channel, client = _client(serving)
    feeder = Feeder()
    with captured_logs() as logs, channel:
        stream = client.ConvertStream(iter(feeder), timeout=2)
        feeder.send(stream_item("vm", "first"))
        assert next(stream).id == "first"
        with pytest.raises(grpc.RpcError) as raised:
            next(stream)  # the client sends nothing more: the deadline passes
        assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        line = logs.one(method=STREAM, timeout=5)
        feeder.close()
    assert (line["code"], line["items"]) == ("DEADLINE_EXCEEDED", 1)
    assert line["duration_ms"] >= 1000  # it lasted until the deadline (a lower bound: load cannot break it)


def test_cancelled_stream_stops_converting(serving: Running) -> None:
    """A client that cancels gets no more work done for it: the server stops between items."""
    produced = []

    def endless() -> Iterator[service_pb2.ConvertStreamRequest]:
        for number in range(10_000):
            produced.append(number)
            yield stream_item("vm", f"i{number}")

    channel, client = _client(serving)
    with captured_logs() as logs, channel:
        stream = client.ConvertStream(endless(), timeout=60)
        assert [next(stream).id for _ in range(3)] == ["i0", "i1", "i2"]
        stream.cancel()
        line = logs.one(method=STREAM, timeout=5)
    assert line["code"] == "CANCELLED"
    assert 3 <= line["items"] < 100  # a few answers may be in flight when the cancel lands
    assert len(produced) < 10_000


class _FakeContext:
    def __init__(self, remaining: float | None, active: bool) -> None:
        self.remaining, self.active = remaining, active
        self.aborted: tuple[grpc.StatusCode, str] | None = None

    def time_remaining(self) -> float | None:
        return self.remaining

    def is_active(self) -> bool:
        return self.active

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.aborted = (code, details)
        raise RuntimeError("aborted")


@pytest.mark.parametrize(
    ("remaining", "active", "expected"),
    [
        (0.0, False, (grpc.StatusCode.DEADLINE_EXCEEDED, DEADLINE_MESSAGE)),
        (0.0, True, (grpc.StatusCode.DEADLINE_EXCEEDED, DEADLINE_MESSAGE)),
        (5.0, False, (grpc.StatusCode.CANCELLED, CANCELLED_MESSAGE)),
        (None, False, (grpc.StatusCode.CANCELLED, CANCELLED_MESSAGE)),
    ],
    ids=["expired", "expired-still-open", "cancelled", "cancelled-no-deadline"],
)
def test_dead_call_is_aborted_before_work(
    remaining: float | None, active: bool, expected: tuple[grpc.StatusCode, str]
) -> None:
    context = _FakeContext(remaining, active)
    with pytest.raises(RuntimeError):
        ensure_alive(context)  # type: ignore[arg-type]
    assert context.aborted == expected
    assert DEADLINE_MESSAGE == "deadline exceeded before the conversion started"


def test_live_call_passes() -> None:
    context = _FakeContext(5.0, True)
    ensure_alive(context)  # type: ignore[arg-type]
    assert context.aborted is None


def test_bounded_items_reads_nothing_once_the_call_is_dead() -> None:
    """The check comes before reading: a dead call never pulls (or converts) another item."""
    pulled: list[int] = []

    def requests() -> Iterator[int]:
        for n in range(10):
            pulled.append(n)
            yield n

    context = _FakeContext(5.0, True)
    items = bounded_items(requests(), context, cap=100)  # type: ignore[arg-type]
    assert [next(items), next(items)] == [0, 1]
    context.active = False
    with pytest.raises(RuntimeError):
        next(items)
    assert pulled == [0, 1]
    assert context.aborted == (grpc.StatusCode.CANCELLED, CANCELLED_MESSAGE)


def test_stream_limit_message() -> None:
    assert stream_limit_message(100_000) == (
        "stream item limit exceeded: at most 100000 items per ConvertStream call; open a new stream for more"
    )


def test_unary_convert_still_works_under_a_deadline(serving: Running) -> None:
    channel, client = _client(serving)
    with channel:
        reply = client.Convert(convert_request(request_id="d"), timeout=10)
    assert reply.id == "d"


def test_many_parallel_calls_within_the_limit(serving: Running) -> None:
    channel, client = _client(serving)
    errors: list[BaseException] = []

    def call(n: int) -> None:
        try:
            assert client.Convert(convert_request(request_id=str(n)), timeout=30).id == str(n)
        except BaseException as err:
            errors.append(err)

    with channel:
        threads = [threading.Thread(target=call, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert errors == []
