"""gRPC benchmark: the real server's Convert against a bare echo server, same client, same run.

Every call carries a different VMI (its name, uid and first disk's serial change), so no cache could
answer one from another; the requests are built and serialized before the timing starts. Targets,
each a subprocess on loopback, measured from this one client process:

- echo-sync, echo-aio: a bare echo server (a generic handler returning its request bytes) with
  grpcio's thread-pool server and with grpc.aio; per mode, the faster of the two is the floor;
- convert-1w, convert-2w: `vmi-converter serve --workers 1` and `--workers 2` as shipped;
- with --serving: convert-bare (the sync server without its interceptors: their own cost) and
  convert-aio (a grpc.aio prototype running the same service code, no interceptors).

Three modes each: sequential (one call after another), pipelined (unary calls, --depth in flight)
and stream (the bidirectional stream, --depth items in flight; one stream per connection). Requests
come two ways, measured separately: typed (`vmi`, decoded by protobuf) and `vmiJson` (JSON bytes).

    python bench/server_bench.py                # full run (a few minutes)
    python bench/server_bench.py --serving      # plus the serving variants
    python bench/server_bench.py --quick        # a few seconds, for CI
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import copy
import functools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "bench")]

import grpc  # noqa: E402
from convert_bench import machine, reference_dir  # noqa: E402

SERVICE = "/kubevirt.converter.v1.Converter"
ECHO_UNARY = "/bench.Echo/Unary"
ECHO_STREAM = "/bench.Echo/Stream"
STARTUP_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 60.0
# The converter server's default concurrency limit: every server here gets as many threads or calls.
MAX_CONCURRENT_RPCS = 32
MODES = ("sequential", "pipelined", "stream")
REQUEST_KINDS = ("typed", "vmiJson")


# ---------------------------------------------------------------- servers run as children of this script


def wait_for_sigterm() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()


def echo_sync(port: int) -> None:
    """The floor every RPC pays with grpcio's thread-pool server."""

    def unary(request: bytes, context: grpc.ServicerContext) -> bytes:
        return request

    def stream(requests: Iterator[bytes], context: grpc.ServicerContext) -> Iterator[bytes]:
        yield from requests

    handler = grpc.method_handlers_generic_handler(
        "bench.Echo",
        {
            "Unary": grpc.unary_unary_rpc_method_handler(unary),
            "Stream": grpc.stream_stream_rpc_method_handler(stream),
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=MAX_CONCURRENT_RPCS))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    wait_for_sigterm()
    server.stop(1).wait()


def serve_aio(build: Callable[[], grpc.aio.Server], port: int) -> None:
    """Run the grpc.aio server `build` makes (inside the event loop, where grpc.aio wants it) until SIGTERM."""
    asyncio.run(_serve_aio(build, port))


async def _serve_aio(build: Callable[[], grpc.aio.Server], port: int) -> None:
    server = build()
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await server.stop(1)


def echo_aio(port: int) -> None:
    """The floor every RPC pays with grpc.aio."""

    async def unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return request

    async def stream(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> AsyncIterator[bytes]:
        async for request in requests:
            yield request

    handler = grpc.method_handlers_generic_handler(
        "bench.Echo",
        {
            "Unary": grpc.unary_unary_rpc_method_handler(unary),
            "Stream": grpc.stream_stream_rpc_method_handler(stream),
        },
    )

    def build() -> grpc.aio.Server:
        server = grpc.aio.server(maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS)
        server.add_generic_rpc_handlers((handler,))
        return server

    serve_aio(build, port)


def convert_bare(port: int) -> None:
    """The shipped service in grpcio's thread-pool server without the observing and limits interceptors."""
    from vmi_converter.api import service_pb2_grpc
    from vmi_converter.server.service import ConverterService

    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=MAX_CONCURRENT_RPCS), maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS
    )
    service_pb2_grpc.add_ConverterServicer_to_server(ConverterService(), server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    wait_for_sigterm()
    server.stop(1).wait()


def convert_aio(port: int) -> None:
    """A grpc.aio prototype: the service's own decode/convert/status code, run on the event loop
    (a conversion is CPU work and holds the GIL either way), no interceptors."""
    from grpc_status import rpc_status

    from vmi_converter.api import service_pb2, service_pb2_grpc
    from vmi_converter.server.service import failure_status, run

    class AioConverter(service_pb2_grpc.ConverterServicer):
        async def Convert(self, request: Any, context: grpc.aio.ServicerContext) -> Any:  # type: ignore[override]
            try:
                xml, warnings = run(request)
            except Exception as err:
                await context.abort_with_status(rpc_status.to_status(failure_status(err, request.id)))
            return service_pb2.ConvertResponse(id=request.id, domain_xml=xml, warnings=warnings)

        async def ConvertStream(self, requests: Any, context: grpc.aio.ServicerContext) -> Any:  # type: ignore[override]
            async for request in requests:
                try:
                    xml, warnings = run(request)
                except Exception as err:
                    yield service_pb2.ConvertStreamResponse(id=request.id, error=failure_status(err, request.id))
                else:
                    yield service_pb2.ConvertStreamResponse(id=request.id, domain_xml=xml, warnings=warnings)

    def build() -> grpc.aio.Server:
        server = grpc.aio.server(maximum_concurrent_rpcs=MAX_CONCURRENT_RPCS)
        service_pb2_grpc.add_ConverterServicer_to_server(AioConverter(), server)
        return server

    serve_aio(build, port)


CHILDREN: dict[str, Callable[[int], None]] = {
    "echo-sync": echo_sync,
    "echo-aio": echo_aio,
    "convert-bare": convert_bare,
    "convert-aio": convert_aio,
}


# ---------------------------------------------------------------- processes


def unary_bytes(channel: grpc.Channel, method: str) -> grpc.UnaryUnaryMultiCallable:
    """A unary method sending and returning raw bytes (no serializers: requests are pre-serialized)."""
    return channel.unary_unary(method, request_serializer=None, response_deserializer=None)


def stream_bytes(channel: grpc.Channel, method: str) -> grpc.StreamStreamMultiCallable:
    return channel.stream_stream(method, request_serializer=None, response_deserializer=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Target:
    name: str
    process: subprocess.Popen[bytes]
    address: str
    connections: int

    @property
    def is_echo(self) -> bool:
        return self.name.startswith("echo")

    def method(self, streamed: bool) -> str:
        if self.is_echo:
            return ECHO_STREAM if streamed else ECHO_UNARY
        return f"{SERVICE}/ConvertStream" if streamed else f"{SERVICE}/Convert"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(name: str) -> Target:
    """`convert-Nw` is the shipped server with N workers (and 2N connections); the rest are CHILDREN."""
    port = free_port()
    if name.startswith("convert-") and name.endswith("w"):
        workers = int(name[len("convert-") : -1])
        command = [sys.executable, "-m", "vmi_converter.server", "serve", "--listen", f"127.0.0.1:{port}"]
        command += ["--grace", "1", "--log-level", "WARNING", "--workers", str(workers)]
        connections = 2 * workers  # SO_REUSEPORT spreads connections, not calls, over the workers
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--child", name, str(port)]
        connections = 1
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL)
    return Target(name, process, f"127.0.0.1:{port}", connections)


def cpu_seconds(root: int) -> float:
    """User + system CPU seconds used so far by process `root` and its descendants (the workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent pid, cpu seconds)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # it exited meanwhile
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, total = {root}, 0.0
    for pid in sorted(stats):  # children have larger pids than their parents here (no pid wrap in a run)
        parent, cpu = stats[pid]
        if pid == root or parent in tree:
            tree.add(pid)
            total += cpu
    return total


def open_channels(target: Target) -> list[grpc.Channel]:
    """Distinct TCP connections (a private subchannel pool each)."""
    options = [("grpc.use_local_subchannel_pool", 1), ("grpc.max_receive_message_length", 64 << 20)]
    channels = [grpc.insecure_channel(target.address, options=options) for _ in range(target.connections)]
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    for channel in channels:
        while True:
            if target.process.poll() is not None:
                raise RuntimeError(f"{target.name} exited with {target.process.returncode} while starting")
            try:
                grpc.channel_ready_future(channel).result(timeout=0.5)
                break
            except grpc.FutureTimeoutError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{target.name} did not start within {STARTUP_TIMEOUT_S}s") from None
    return channels


# ---------------------------------------------------------------- distinct requests


@dataclass
class Payloads:
    """Serialized ConvertRequests, every one a different VMI (a ConvertStreamRequest has the same fields
    and numbers, so the same bytes are stream items too); `indexes[i]` names request i's VMI."""

    requests: list[bytes]
    indexes: list[int]


def vary(vmi: Any, index: int) -> None:
    """Make the golden VMI (a dict or the typed message) the index-th distinct one: name, uid, a disk serial."""
    name, uid, serial = f"bench-{index}", f"00000000-0000-4000-8000-{index:012d}", f"serial-{index}"
    if isinstance(vmi, dict):
        vmi["metadata"].update(name=name, uid=uid)
        vmi["spec"]["domain"]["devices"]["disks"][0]["serial"] = serial
    else:
        vmi.metadata.name, vmi.metadata.uid = name, uid
        vmi.spec.domain.devices.disks[0].serial = serial


def build_payloads(kind: str, count: int, first: int) -> Payloads:
    """`count` requests for VMIs first..first+count-1, typed (`vmi`) or as JSON bytes (`vmiJson`)."""
    from google.protobuf import json_format

    from vmi_converter.api import service_pb2

    golden = json.loads((reference_dir() / "expected" / "golden-amd64.json").read_text())
    request = json_format.ParseDict({"id": "", **golden}, service_pb2.ConvertRequest())
    indexes = list(range(first, first + count))
    requests = []
    for index in indexes:
        request.id = f"bench-{index}"
        if kind == "typed":
            vary(request.vmi, index)
        else:
            vmi = copy.deepcopy(golden["vmi"])
            vary(vmi, index)
            request.vmi_json = json.dumps(vmi).encode()
        requests.append(request.SerializeToString())
    return Payloads(requests, indexes)


def check_answers(channel: grpc.Channel, payloads: Payloads) -> None:
    """The converter answers two different requests, unary and streamed, each with its own domain
    (the timed loops do not parse answers)."""
    from vmi_converter.api import service_pb2

    for request, index in list(zip(payloads.requests, payloads.indexes, strict=True))[:2]:
        raw = unary_bytes(channel, f"{SERVICE}/Convert")(request, timeout=CALL_TIMEOUT_S)
        answer = service_pb2.ConvertResponse.FromString(raw)
        items = list(stream_bytes(channel, f"{SERVICE}/ConvertStream")(iter([request]), timeout=CALL_TIMEOUT_S))
        item = service_pb2.ConvertStreamResponse.FromString(items[0])
        for xml in (answer.domain_xml, item.domain_xml):
            if f"<name>mynamespace_bench-{index}</name>" not in xml or f"<serial>serial-{index}</serial>" not in xml:
                raise RuntimeError(f"the converter did not answer bench-{index} with its domain: {answer} {item}")


# ---------------------------------------------------------------- the three modes


@dataclass
class Result:
    calls: int
    seconds: float
    latencies_ns: list[int]
    server_cpu_s: float = 0.0  # CPU the server processes used meanwhile: load on the machine barely moves it

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def percentiles_us(self) -> tuple[float, float]:
        ordered = sorted(self.latencies_ns)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return statistics.median(ordered) / 1e3, p99 / 1e3


def sequential(channels: list[grpc.Channel], method: str, requests: list[bytes], depth: int) -> Result:
    call = unary_bytes(channels[0], method)
    latencies = []
    start = time.perf_counter()
    for request in requests:
        sent = time.perf_counter_ns()
        call(request, timeout=CALL_TIMEOUT_S)
        latencies.append(time.perf_counter_ns() - sent)
    return Result(len(requests), time.perf_counter() - start, latencies)


def pipelined(channels: list[grpc.Channel], method: str, requests: list[bytes], depth: int) -> Result:
    """`depth` calls in flight at all times, spread over the connections."""
    stubs = [unary_bytes(channel, method) for channel in channels]
    slots = threading.Semaphore(depth)
    latencies: list[int] = []
    errors: list[BaseException] = []
    finished = threading.Event()
    remaining = [len(requests)]
    lock = threading.Lock()

    def done(sent: int, future: grpc.Future) -> None:
        latency = time.perf_counter_ns() - sent
        error = future.exception()
        with lock:
            if error is not None:
                errors.append(error)
            latencies.append(latency)
            remaining[0] -= 1
            if remaining[0] == 0:
                finished.set()
        slots.release()

    start = time.perf_counter()
    for i, request in enumerate(requests):
        slots.acquire()
        sent = time.perf_counter_ns()
        future = stubs[i % len(stubs)].future(request, timeout=CALL_TIMEOUT_S)
        future.add_done_callback(functools.partial(done, sent))
    if not finished.wait(CALL_TIMEOUT_S * 4):
        raise RuntimeError("pipelined calls did not finish")
    if errors:
        raise RuntimeError(f"{len(errors)} pipelined calls failed: {errors[0]}")
    return Result(len(requests), time.perf_counter() - start, latencies)


def streaming(channels: list[grpc.Channel], method: str, requests: list[bytes], depth: int) -> Result:
    """One bidirectional stream per connection, `depth` items in flight in all; answers come in order."""
    shares = [requests[i :: len(channels)] for i in range(len(channels))]
    window = max(1, depth // len(channels))
    latencies: list[int] = []
    lock = threading.Lock()

    def one_stream(channel: grpc.Channel, items: list[bytes]) -> None:
        slots = threading.Semaphore(window)
        sent_at: collections.deque[int] = collections.deque()

        def feed() -> Iterator[bytes]:
            for item in items:
                slots.acquire()
                sent_at.append(time.perf_counter_ns())
                yield item

        received = 0
        for _ in stream_bytes(channel, method)(feed(), timeout=CALL_TIMEOUT_S * 4):
            latency = time.perf_counter_ns() - sent_at.popleft()
            received += 1
            slots.release()
            with lock:
                latencies.append(latency)
        if received != len(items):
            raise RuntimeError(f"stream answered {received} of {len(items)} items")

    start = time.perf_counter()
    with futures.ThreadPoolExecutor(len(channels)) as pool:
        for running in [pool.submit(one_stream, c, share) for c, share in zip(channels, shares, strict=True)]:
            running.result()
    return Result(len(requests), time.perf_counter() - start, latencies)


RUNNERS = {"sequential": sequential, "pipelined": pipelined, "stream": streaming}


def measure(target: Target, payloads: dict[str, Payloads], calls: int, depth: int) -> dict[tuple[str, str], Result]:
    """(request kind, mode) -> result; each mode gets its own slice of the distinct requests."""
    channels = open_channels(target)
    try:
        if not target.is_echo:
            for kind in REQUEST_KINDS:
                check_answers(channels[0], payloads[kind])
        results = {}
        for kind in REQUEST_KINDS:
            batch = payloads[kind]
            warmup = max(16, calls // 10)
            pipelined(channels, target.method(False), batch.requests[-warmup:], depth)
            for index, mode in enumerate(MODES):
                requests = batch.requests[2 + index * calls : 2 + (index + 1) * calls]
                cpu_before = cpu_seconds(target.process.pid)
                result = RUNNERS[mode](channels, target.method(mode == "stream"), requests, depth)
                result.server_cpu_s = cpu_seconds(target.process.pid) - cpu_before
                results[kind, mode] = result
        return results
    finally:
        for channel in channels:
            channel.close()


# ---------------------------------------------------------------- the interceptors' own cost, in-process


class _StandInContext:
    """What the interceptors ask of a live, in-time call's ServicerContext (a measurement stand-in)."""

    def code(self) -> None:
        return None

    def details(self) -> None:
        return None

    def time_remaining(self) -> float:
        return CALL_TIMEOUT_S

    def is_active(self) -> bool:
        return True

    def add_callback(self, callback: Callable[[], None]) -> bool:
        return True


@dataclass
class _CallDetails:
    method: str
    invocation_metadata: tuple[tuple[str, str], ...]


def interceptor_costs(calls: int) -> dict[str, float]:
    """CPU µs per unary Convert call the server's interceptors add, as gRPC runs them: intercept_service
    per call, then the wrapped behaviour (here answering at once), logging at WARNING and at INFO."""
    from vmi_converter.api import service_pb2
    from vmi_converter.server import logs
    from vmi_converter.server.limits import LimitsInterceptor
    from vmi_converter.server.observe import ObservingInterceptor

    request = service_request()
    response = service_pb2.ConvertResponse(domain_xml="<domain/>")
    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: response)
    details = _CallDetails(f"{SERVICE}/Convert", ())
    limits, observing = LimitsInterceptor(100_000), ObservingInterceptor()

    def bare() -> None:
        handler.unary_unary(request, _StandInContext())

    def intercepted() -> None:
        inner = limits.intercept_service(lambda _: handler, details)  # type: ignore[arg-type]
        outer = observing.intercept_service(lambda _: inner, details)  # type: ignore[arg-type]
        outer.unary_unary(request, _StandInContext())  # type: ignore[union-attr]

    costs = {}
    with open(os.devnull, "w") as quiet:
        for level in ("WARNING", "INFO"):
            logs.configure(level, stream=quiet)
            costs[f"interceptors, log {level}"] = cpu_us_per_call(intercepted, calls) - cpu_us_per_call(bare, calls)
    return costs


def service_request() -> Any:
    from google.protobuf import json_format

    from vmi_converter.api import service_pb2

    golden = json.loads((reference_dir() / "expected" / "golden-amd64.json").read_text())
    return json_format.ParseDict(golden, service_pb2.ConvertRequest())


def cpu_us_per_call(run: Callable[[], None], calls: int) -> float:
    for _ in range(calls // 10):
        run()
    start = time.process_time()
    for _ in range(calls):
        run()
    return (time.process_time() - start) / calls * 1e6


# ---------------------------------------------------------------- the run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds: fewer calls, one worker only")
    parser.add_argument("--calls", type=int, help="calls per mode and request kind (default 2000, quick 60)")
    parser.add_argument("--depth", type=int, default=16, help="calls or stream items in flight (default 16)")
    parser.add_argument("--serving", action="store_true", help="also the sync server without interceptors and grpc.aio")
    parser.add_argument("--targets", help="comma-separated targets instead of the default set")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        CHILDREN[args.child[0]](int(args.child[1]))
        return 0
    calls = args.calls or (60 if args.quick else 2000)
    targets = ["echo-sync", "echo-aio", "convert-1w"]
    if not args.quick:
        targets.append("convert-2w")
    if args.serving:
        targets += ["convert-bare", "convert-aio"]
    if args.targets:
        targets = args.targets.split(",")
    # Requests 0 and 1 are for the answer check, then one slice per mode, then the warm-up's own.
    count = 2 + len(MODES) * calls + max(16, calls // 10)
    payloads = {kind: build_payloads(kind, count, first=i * count) for i, kind in enumerate(REQUEST_KINDS)}

    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    sizes = ", ".join(f"{kind} {len(payloads[kind].requests[0])} bytes" for kind in REQUEST_KINDS)
    print(f"requests: golden-amd64 ConvertRequest, a distinct VMI per call ({sizes}); {calls} calls per mode,")
    print(f"depth {args.depth}; vs_floor = share of the faster echo server's rate for the same request and mode;")
    print("cpu_us = CPU time of the server's processes per call (the figure load on the machine moves least)")
    print()
    print(f"{'target':14s} {'request':8s} {'mode':11s} {'calls':>6s} {'calls_per_s':>12s} ", end="")
    print(f"{'p50_us':>9s} {'p99_us':>9s} {'cpu_us':>8s} {'vs_floor':>9s}")
    floor: dict[tuple[str, str], float] = {}
    for name in targets:
        target = start(name)
        try:
            results = measure(target, payloads, calls, args.depth)
        finally:
            target.stop()
        for (kind, mode), result in results.items():
            if target.is_echo:
                floor[kind, mode] = max(floor.get((kind, mode), 0.0), result.rate)
            share = f"{result.rate / floor[kind, mode]:9.0%}" if not target.is_echo else f"{'':9s}"
            p50, p99 = result.percentiles_us()
            cpu = result.server_cpu_s / result.calls * 1e6
            print(f"{name:14s} {kind:8s} {mode:11s} {result.calls:6d} {result.rate:12.0f} ", end="")
            print(f"{p50:9.0f} {p99:9.0f} {cpu:8.0f} {share}")
    print()
    for kind in REQUEST_KINDS:
        rates = ", ".join(f"{mode} {floor[kind, mode]:.0f}/s" for mode in MODES if (kind, mode) in floor)
        print(f"floor {kind}: {rates}")
    print()
    for name, cost in interceptor_costs(2000 if args.quick else 20000).items():
        print(f"{name}: {cost:.1f} cpu_us per call (in-process; the call itself answers at once)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
