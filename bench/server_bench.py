"""gRPC benchmark: the real server's Convert against a bare echo server, same client, same run.

Starts `python -m vmi_converter.server serve` (with 1 and, when the server has `--workers`,
2 worker processes) and a bare echo gRPC server (a generic handler returning
its request bytes) in subprocesses on loopback, then measures each from this
one client process three ways:

- unary: one call after another;
- pipelined: unary calls with N in flight (futures);
- stream: the bidirectional stream (ConvertStream), N items in flight.

The echo server gets the serialized golden amd64 ConvertRequest, so both carry
the same request bytes; the floor is what gRPC itself costs in Python. Both
sides send pre-serialized bytes, so client-side protobuf work is the same.
Every loop is bounded and every process started here is stopped at the end.

    python bench/server_bench.py            # full run (about a minute)
    python bench/server_bench.py --quick    # a few seconds, for CI
"""

from __future__ import annotations

import argparse
import collections
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
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# This checkout (and its generated stubs), not whatever copy pip installed.
sys.path[:0] = [str(REPO), str(REPO / "clients" / "python")]

import grpc  # noqa: E402
from convert_bench import machine, reference_dir  # noqa: E402

SERVICE = "/kubevirt.converter.v1.Converter"
ECHO_UNARY = "/bench.Echo/Unary"
ECHO_STREAM = "/bench.Echo/Stream"
STARTUP_TIMEOUT_S = 30.0
CALL_TIMEOUT_S = 30.0


# ---------------------------------------------------------------- the echo server (a subprocess)


def echo_server(port: int) -> int:
    """Serve the echo methods until SIGTERM: the floor every RPC pays."""

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
    # The same thread pool size as the converter server's default concurrency limit.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    server.stop(1).wait()
    return 0


# ---------------------------------------------------------------- processes


def unary_bytes(channel: grpc.Channel, method: str) -> grpc.UnaryUnaryMultiCallable:
    """A unary method sending and returning raw bytes (no serializers: both sides pre-serialize)."""
    return channel.unary_unary(method, request_serializer=None, response_deserializer=None)


def stream_bytes(channel: grpc.Channel, method: str) -> grpc.StreamStreamMultiCallable:
    return channel.stream_stream(method, request_serializer=None, response_deserializer=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def child_env() -> dict[str, str]:
    paths = [str(REPO), str(REPO / "clients" / "python"), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))


def server_has_workers() -> bool:
    help_text = subprocess.run(
        [sys.executable, "-m", "vmi_converter.server", "serve", "--help"],
        cwd=REPO,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    return "--workers" in help_text


@dataclass
class Target:
    name: str
    unary: str
    stream: str
    process: subprocess.Popen[bytes]
    address: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_converter(workers: int | None) -> Target:
    port = free_port()
    command = [sys.executable, "-m", "vmi_converter.server", "serve", "--listen", f"127.0.0.1:{port}", "--grace", "1"]
    command += ["--log-level", "WARNING"]
    if workers is not None:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, cwd=REPO, env=child_env(), stdout=subprocess.DEVNULL)
    name = f"convert-{workers}w" if workers is not None else "convert"
    return Target(name, f"{SERVICE}/Convert", f"{SERVICE}/ConvertStream", process, f"127.0.0.1:{port}")


def start_echo() -> Target:
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "--echo-server", str(port)]
    process = subprocess.Popen(command, cwd=REPO, env=child_env())
    return Target("echo", ECHO_UNARY, ECHO_STREAM, process, f"127.0.0.1:{port}")


def open_channels(target: Target, count: int) -> list[grpc.Channel]:
    """`count` connections; a private subchannel pool each, so they are distinct TCP connections
    (SO_REUSEPORT spreads connections, not calls, over the workers)."""
    options = [("grpc.use_local_subchannel_pool", 1), ("grpc.max_receive_message_length", 64 << 20)]
    channels = [grpc.insecure_channel(target.address, options=options) for _ in range(count)]
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


# ---------------------------------------------------------------- the three ways


@dataclass
class Result:
    calls: int
    seconds: float
    latencies_ns: list[int]

    def row(self) -> tuple[float, float, float]:
        """(calls per second, p50 µs, p99 µs)."""
        ordered = sorted(self.latencies_ns)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return self.calls / self.seconds, statistics.median(ordered) / 1e3, p99 / 1e3


def unary_sequential(channels: list[grpc.Channel], method: str, payload: bytes, calls: int) -> Result:
    call = unary_bytes(channels[0], method)
    latencies = []
    start = time.perf_counter()
    for _ in range(calls):
        sent = time.perf_counter_ns()
        call(payload, timeout=CALL_TIMEOUT_S)
        latencies.append(time.perf_counter_ns() - sent)
    return Result(calls, time.perf_counter() - start, latencies)


def unary_pipelined(channels: list[grpc.Channel], method: str, payload: bytes, calls: int, depth: int) -> Result:
    """`depth` calls in flight at all times, spread over the channels."""
    stubs = [unary_bytes(channel, method) for channel in channels]
    slots = threading.Semaphore(depth)
    latencies: list[int] = []
    errors: list[BaseException] = []
    finished = threading.Event()
    remaining = [calls]
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
    for i in range(calls):
        slots.acquire()
        sent = time.perf_counter_ns()
        future = stubs[i % len(stubs)].future(payload, timeout=CALL_TIMEOUT_S)
        future.add_done_callback(functools.partial(done, sent))
    if not finished.wait(CALL_TIMEOUT_S * 2):
        raise RuntimeError("pipelined calls did not finish")
    if errors:
        raise RuntimeError(f"{len(errors)} pipelined calls failed: {errors[0]}")
    return Result(calls, time.perf_counter() - start, latencies)


def streaming(channels: list[grpc.Channel], method: str, payload: bytes, calls: int, depth: int) -> Result:
    """One bidirectional stream per channel, `depth` items in flight in all; answers come in order."""
    per_stream = [calls // len(channels) + (1 if i < calls % len(channels) else 0) for i in range(len(channels))]
    window = max(1, depth // len(channels))
    latencies: list[int] = []
    lock = threading.Lock()

    def one_stream(channel: grpc.Channel, items: int) -> None:
        slots = threading.Semaphore(window)
        sent_at: collections.deque[int] = collections.deque()

        def requests() -> Iterator[bytes]:
            for _ in range(items):
                slots.acquire()
                sent_at.append(time.perf_counter_ns())
                yield payload

        received = 0
        for _ in stream_bytes(channel, method)(requests(), timeout=CALL_TIMEOUT_S * 4):
            latency = time.perf_counter_ns() - sent_at.popleft()
            received += 1
            slots.release()
            with lock:
                latencies.append(latency)
        if received != items:
            raise RuntimeError(f"stream answered {received} of {items} items")

    start = time.perf_counter()
    with futures.ThreadPoolExecutor(len(channels)) as pool:
        for running in [pool.submit(one_stream, c, n) for c, n in zip(channels, per_stream, strict=True)]:
            running.result()
    return Result(calls, time.perf_counter() - start, latencies)


# ---------------------------------------------------------------- payloads and the run


def golden_payloads() -> tuple[bytes, bytes]:
    """The golden amd64 request as serialized ConvertRequest and ConvertStreamRequest bytes."""
    from google.protobuf import json_format

    from vmi_converter.api import service_pb2

    request = json.loads((reference_dir() / "expected" / "golden-amd64.json").read_text())
    body = json.dumps(dict(request, id="golden-amd64"))
    unary = json_format.Parse(body, service_pb2.ConvertRequest()).SerializeToString()
    stream = json_format.Parse(body, service_pb2.ConvertStreamRequest()).SerializeToString()
    return unary, stream


def check_converter_answers(channel: grpc.Channel, unary: bytes, stream: bytes) -> None:
    """The bytes the converter returns really are domains (the timed loops do not parse them)."""
    from vmi_converter.api import service_pb2

    answer = service_pb2.ConvertResponse.FromString(unary_bytes(channel, f"{SERVICE}/Convert")(unary, timeout=30))
    items = list(stream_bytes(channel, f"{SERVICE}/ConvertStream")(iter([stream]), timeout=30))
    item = service_pb2.ConvertStreamResponse.FromString(items[0])
    for xml in (answer.domain_xml, item.domain_xml):
        if not xml.startswith("<domain"):
            raise RuntimeError(f"the converter did not answer with a domain: {answer} {item}")


Mode = Callable[[list[grpc.Channel], Target], Result]
Warmup = Callable[[list[grpc.Channel], Target], object]


def measure(target: Target, channels: list[grpc.Channel], modes: dict[str, Mode], warmup: Warmup) -> dict[str, Result]:
    warmup(channels, target)
    return {name: mode(channels, target) for name, mode in modes.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds: fewer calls, one worker only")
    parser.add_argument("--calls", type=int, help="calls per mode (default 3000, quick 150)")
    parser.add_argument("--depth", type=int, default=16, help="calls or stream items in flight (default 16)")
    parser.add_argument("--echo-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.echo_server is not None:
        return echo_server(args.echo_server)
    calls = args.calls or (150 if args.quick else 3000)
    depth = args.depth
    unary_payload, stream_payload = golden_payloads()

    def modes(payload_for_stream: bytes) -> dict[str, Mode]:
        return {
            "unary": lambda ch, t: unary_sequential(ch, t.unary, unary_payload, calls),
            "pipelined": lambda ch, t: unary_pipelined(ch, t.unary, unary_payload, calls, depth),
            "stream": lambda ch, t: streaming(ch, t.stream, payload_for_stream, calls, depth),
        }

    def warmup(ch: list[grpc.Channel], t: Target) -> None:
        unary_pipelined(ch, t.unary, unary_payload, max(20, calls // 10), depth)

    runs: list[tuple[str, int | None, int]] = [("echo", None, 1)]
    if server_has_workers():
        runs += [("convert", 1, 1)] + ([] if args.quick else [("convert", 2, 4)])
    else:
        runs += [("convert", None, 1)]

    print(f"machine: {machine()}")
    print(f"request: golden-amd64 ConvertRequest, {len(unary_payload)} bytes; {calls} calls per mode, depth {depth}")
    print()
    print(f"{'target':12s} {'mode':10s} {'calls':>6s} {'calls_per_s':>12s} ", end="")
    print(f"{'p50_us':>9s} {'p99_us':>9s} {'vs_echo':>8s}")
    floor: dict[str, float] = {}
    for kind, workers, connections in runs:
        target = start_echo() if kind == "echo" else start_converter(workers)
        try:
            channels = open_channels(target, connections)
            if kind == "convert":
                check_converter_answers(channels[0], unary_payload, stream_payload)
            results = measure(target, channels, modes(unary_payload if kind == "echo" else stream_payload), warmup)
            for channel in channels:
                channel.close()
        finally:
            target.stop()
        for mode, result in results.items():
            rate, p50, p99 = result.row()
            if kind == "echo":
                floor[mode] = rate
            ratio = f"{rate / floor[mode]:8.0%}" if mode in floor and kind != "echo" else f"{'':8s}"
            print(f"{target.name:12s} {mode:10s} {result.calls:6d} {rate:12.0f} {p50:9.0f} {p99:9.0f} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
