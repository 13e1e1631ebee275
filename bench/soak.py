#!/usr/bin/env python3
"""Soak test: keep a local vmi-converter saturated for a while; report errors and server memory over time.

    python bench/soak.py --minutes 10                 # start a server on 127.0.0.1 and drive it
    python bench/soak.py --seconds 20 --workers 2     # a short run
    python bench/soak.py --target 127.0.0.1:50051 --server-pid 1234   # an already running local server

Clients mix unary Convert calls, ConvertStream batches and a share of invalid VMIs (which must come
back INVALID_ARGUMENT). Every interval prints calls/s, items/s, latency percentiles, unexpected errors
and the server's resident memory (the supervisor and all its workers). Loopback only, bounded in time
(at most 60 minutes); exit status 1 when any call failed unexpectedly.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "clients" / "python")]

import grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

from vmi_converter.api import service_pb2, service_pb2_grpc  # noqa: E402
from vmi_converter.server.config import is_loopback  # noqa: E402

MAX_SECONDS = 3600
CALL_TIMEOUT_S = 30
STREAM_BATCH = 20
FIXTURES = REPO / "tests" / "data" / "kubevirt" / "expected"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, help="how long to run (default 10)")
    length.add_argument("--seconds", type=float, help="how long to run, in seconds")
    parser.add_argument("--clients", type=int, default=0, help="client threads (default: 3 per worker, at least 4)")
    parser.add_argument("--workers", type=int, default=2, help="server workers when this script starts the server")
    parser.add_argument("--stream-share", type=float, default=0.3, help="share of calls that are ConvertStream batches")
    parser.add_argument("--invalid-share", type=float, default=0.05, help="share of requests with an invalid VMI")
    parser.add_argument("--report-every", type=float, default=5.0, help="seconds between report lines")
    parser.add_argument("--target", help="an already running server (loopback only)")
    parser.add_argument("--server-pid", type=int, help="with --target: the server's pid, for memory readings")
    parser.add_argument("--json", metavar="FILE", help="also write the samples and the summary here")
    return parser


# --- requests ----------------------------------------------------------------------------------


def _documents() -> list[dict[str, Any]]:
    """The reference requests when the shared fixtures are there, else one small VMI."""
    documents = []
    for path in sorted(FIXTURES.glob("*.json"))[:12]:
        documents.append(json.loads(path.read_text()))
    if documents:
        return documents
    vmi = {
        "kind": "VirtualMachineInstance",
        "metadata": {"name": "soak", "namespace": "default", "uid": "6d0b5c37-cd3c-4b8f-9d2a-2b6f0b1c0e11"},
        "spec": {"domain": {"devices": {}, "resources": {"requests": {"memory": "64Mi"}}}},
    }
    return [{"vmi": vmi, "context": {"architecture": "amd64", "hypervisorDeviceAvailable": True}}]


@dataclass
class Payloads:
    valid: list[tuple[bytes, service_pb2.ConvertRequest]]
    invalid: bytes = b'{"kind": "Pod", "metadata": {"name": "not-a-vmi"}}'

    @classmethod
    def build(cls) -> Payloads:
        from google.protobuf import json_format

        valid = []
        for document in _documents():
            request = service_pb2.ConvertRequest()
            json_format.ParseDict({"context": document.get("context") or {}}, request)
            valid.append((json.dumps(document["vmi"]).encode(), request))
        return cls(valid)

    def unary(self, rng: random.Random, invalid_share: float) -> tuple[service_pb2.ConvertRequest, bool]:
        vmi_json, template = rng.choice(self.valid)
        request = service_pb2.ConvertRequest()
        request.CopyFrom(template)
        bad = rng.random() < invalid_share
        request.vmi_json = self.invalid if bad else vmi_json
        return request, bad

    def item(self, rng: random.Random, invalid_share: float, n: int) -> tuple[service_pb2.ConvertStreamRequest, bool]:
        unary, bad = self.unary(rng, invalid_share)
        item = service_pb2.ConvertStreamRequest(id=str(n), vmi_json=unary.vmi_json)
        item.context.CopyFrom(unary.context)
        return item, bad


# --- statistics --------------------------------------------------------------------------------


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    calls: int = 0
    items: int = 0
    rejected_as_expected: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def take(self) -> Tally:
        with self.lock:
            snapshot = Tally(
                calls=self.calls,
                items=self.items,
                rejected_as_expected=self.rejected_as_expected,
                errors=Counter(self.errors),
                latencies=self.latencies,
            )
            self.calls = self.items = self.rejected_as_expected = 0
            self.errors = Counter()
            self.latencies = []
        return snapshot


def _client(target: str, payloads: Payloads, args: argparse.Namespace, stop: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    with grpc.insecure_channel(target) as channel:
        stub = service_pb2_grpc.ConverterStub(channel)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                if rng.random() < args.stream_share:
                    _stream_call(stub, payloads, args, rng, tally)
                else:
                    _unary_call(stub, payloads, args, rng, tally)
            except grpc.RpcError as err:
                with tally.lock:
                    tally.errors[f"{err.code().name}: {err.details()}"[:120]] += 1
                continue
            with tally.lock:
                tally.calls += 1
                tally.latencies.append(time.perf_counter() - started)


def _unary_call(
    stub: service_pb2_grpc.ConverterStub, payloads: Payloads, args: argparse.Namespace, rng: random.Random, tally: Tally
) -> None:
    request, bad = payloads.unary(rng, args.invalid_share)
    try:
        stub.Convert(request, timeout=CALL_TIMEOUT_S)
    except grpc.RpcError as err:
        if not (bad and err.code() == grpc.StatusCode.INVALID_ARGUMENT):
            raise
        with tally.lock:
            tally.rejected_as_expected += 1
    with tally.lock:
        tally.items += 1


def _stream_call(
    stub: service_pb2_grpc.ConverterStub, payloads: Payloads, args: argparse.Namespace, rng: random.Random, tally: Tally
) -> None:
    batch = [payloads.item(rng, args.invalid_share, n) for n in range(STREAM_BATCH)]
    responses = list(stub.ConvertStream(iter([item for item, _ in batch]), timeout=CALL_TIMEOUT_S))
    wrong = 0
    for response, (item, bad) in zip(responses, batch, strict=False):
        failed = response.WhichOneof("result") == "error"
        if response.id != item.id or failed != bad:
            wrong += 1
    with tally.lock:
        tally.items += len(responses)
        tally.rejected_as_expected += sum(1 for _, bad in batch if bad)
        if wrong or len(responses) != len(batch):
            tally.errors[f"stream answers wrong: {wrong} of {len(batch)}, {len(responses)} answered"] += 1


# --- the server --------------------------------------------------------------------------------


def _tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                queue += [int(p) for p in task.read_text().split()]
    return pids


def _rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    total = 0
    for member in _tree(pid):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return round(total / 2**20, 1)


def _wait_serving(target: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with grpc.insecure_channel(target) as channel:
                reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
        except grpc.RpcError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"server at {target} not serving after {timeout}s")
        time.sleep(0.1)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    seconds = args.seconds if args.seconds is not None else (args.minutes if args.minutes is not None else 10) * 60
    seconds = min(max(seconds, 1.0), MAX_SECONDS)
    server: subprocess.Popen[bytes] | None = None
    if args.target:
        if not is_loopback(args.target):
            raise SystemExit(f"--target {args.target}: only loopback addresses are driven")
        target, server_pid = args.target, args.server_pid
    else:
        target = f"127.0.0.1:{_free_port()}"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "clients" / "python")]))
        server = subprocess.Popen(
            [sys.executable, "-m", "vmi_converter.server", "serve", "--listen", target, "--workers", str(args.workers),
             "--log-level", "WARNING", "--max-concurrent-rpcs", "64"],
            cwd=REPO, env=env,
        )  # fmt: skip
        server_pid = server.pid
    try:
        _wait_serving(target)
        return _drive(target, server_pid, seconds, args)
    finally:
        if server is not None:
            server.terminate()
            server.wait(60)


def _drive(target: str, server_pid: int | None, seconds: float, args: argparse.Namespace) -> int:
    payloads = Payloads.build()
    clients = args.clients or max(4, 3 * args.workers)
    tally, samples = Tally(), []
    started = time.monotonic()
    stop = started + seconds
    threads = [
        threading.Thread(target=_client, args=(target, payloads, args, stop, tally, seed), daemon=True)
        for seed in range(clients)
    ]
    for thread in threads:
        thread.start()
    print(f"soak: {target}, {clients} clients, {seconds:.0f}s, server pid {server_pid}", flush=True)
    print(f"{'t_s':>6} {'calls/s':>8} {'items/s':>8} {'p50_ms':>7} {'p99_ms':>7} {'errors':>6} {'rss_mib':>8}")
    last = started
    while last < stop:
        time.sleep(max(0.0, min(last + args.report_every, stop) - time.monotonic()))
        if time.monotonic() >= stop:
            # The last interval also counts the calls that were in flight at the stop.
            for thread in threads:
                thread.join(CALL_TIMEOUT_S)
        now = time.monotonic()
        samples.append(_sample(tally.take(), now - started, now - last, _rss_mib(server_pid)))
        _print_sample(samples[-1])
        last = now
    summary = _summary(samples, seconds, clients)
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "samples": samples}, indent=2))
    return 1 if summary["unexpected_errors"] else 0


def _sample(tally: Tally, elapsed: float, interval: float, rss: float | None) -> dict[str, Any]:
    latencies = sorted(tally.latencies)

    def pct(p: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else None

    return {
        "t_s": round(elapsed, 1),
        "calls": tally.calls,
        "items": tally.items,
        "calls_per_s": round(tally.calls / interval, 1),
        "items_per_s": round(tally.items / interval, 1),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
        "rejected_as_expected": tally.rejected_as_expected,
        "errors": dict(tally.errors),
        "rss_mib": rss,
    }


def _print_sample(s: dict[str, Any]) -> None:
    errors = sum(s["errors"].values())
    print(
        f"{s['t_s']:>6} {s['calls_per_s']:>8} {s['items_per_s']:>8} {s['p50_ms'] or '-':>7} {s['p99_ms'] or '-':>7} "
        f"{errors:>6} {s['rss_mib'] or '-':>8}",
        flush=True,
    )
    for message, count in s["errors"].items():
        print(f"        error x{count}: {message}", flush=True)


def _summary(samples: list[dict[str, Any]], seconds: float, clients: int) -> dict[str, Any]:
    errors: Counter[str] = Counter()
    for sample in samples:
        errors.update(sample["errors"])
    rss = [s["rss_mib"] for s in samples if s["rss_mib"] is not None]
    settled = rss[len(rss) // 4 :] if len(rss) >= 4 else rss  # after warm-up
    throughput = [s["items_per_s"] for s in samples if s["items"]]
    return {
        "seconds": seconds,
        "clients": clients,
        "calls": sum(s["calls"] for s in samples),
        "items": sum(s["items"] for s in samples),
        "items_per_s_median": round(statistics.median(throughput), 1) if throughput else 0,
        "rejected_as_expected": sum(s["rejected_as_expected"] for s in samples),
        "unexpected_errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "rss_mib_first": rss[0] if rss else None,
        "rss_mib_max": max(rss) if rss else None,
        "rss_mib_last": rss[-1] if rss else None,
        "rss_mib_growth_after_warmup": round(settled[-1] - settled[0], 1) if settled else None,
    }


if __name__ == "__main__":
    sys.exit(main())
