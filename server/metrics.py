"""Prometheus metrics: definitions, and the HTTP endpoint that exposes them.

With several workers each one writes its samples to files under
PROMETHEUS_MULTIPROC_DIR (set by the supervisor before it starts them) and the
supervisor's endpoint adds them up, so one scrape sees the whole server.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from vmi_converter.server.config import join_host_port, split_host_port
from vmi_converter.server.info import KUBEVIRT_COMMIT, version

PREFIX = "vmi_converter"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

RPCS = Counter(f"{PREFIX}_rpcs", "Finished RPCs by method and status code.", ["method", "code"])
REFUSED = Counter(
    f"{PREFIX}_rpcs_refused",
    "Calls refused by a limit (RESOURCE_EXHAUSTED): limit is concurrency or stream_items.",
    ["method", "limit"],
)
RPC_SECONDS = Histogram(
    f"{PREFIX}_rpc_duration_seconds",
    "Time from an RPC's arrival to its status, by method.",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
IN_FLIGHT = Gauge(f"{PREFIX}_rpcs_in_flight", "RPCs being served now.", ["method"], multiprocess_mode="livesum")
CONVERSIONS = Counter(
    f"{PREFIX}_conversions",
    "VMIs converted (Convert calls and ConvertStream items) by target architecture and result "
    "(ok; rejected: INVALID_ARGUMENT; failed: INTERNAL).",
    ["arch", "result"],
)
STREAM_ITEMS = Histogram(
    f"{PREFIX}_stream_items",
    "Items answered per ConvertStream call.",
    buckets=(1, 10, 100, 1_000, 10_000, 100_000),
)
BUILD_INFO = Gauge(
    f"{PREFIX}_build_info", "Always 1; labels say what runs.", ["version", "kubevirt_commit"], multiprocess_mode="max"
)
BUILD_INFO.labels(version=version(), kubevirt_commit=KUBEVIRT_COMMIT).set(1)


@dataclass
class MetricsEndpoint:
    httpd: WSGIServer
    thread: threading.Thread

    @property
    def address(self) -> str:
        host, port = self.httpd.server_address[:2]
        return join_host_port(host if isinstance(host, str) else bytes(host).decode(), port)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_metrics(address: str, registry: CollectorRegistry = REGISTRY) -> MetricsEndpoint:
    host, port = split_host_port(address)
    httpd, thread = start_http_server(port, addr=host, registry=registry)
    return MetricsEndpoint(httpd, thread)


def multiprocess_registry(directory: str, workers: Callable[[], Iterable[tuple[int, int]]]) -> CollectorRegistry:
    """The supervisor's view: every worker's samples summed, plus each worker's resident memory."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    registry.register(WorkerMemory(workers))
    return registry


class WorkerMemory(Collector):
    """Resident memory of each live worker, read from /proc when scraped."""

    def __init__(self, workers: Callable[[], Iterable[tuple[int, int]]]) -> None:
        self._workers = workers

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            f"{PREFIX}_worker_resident_memory_bytes", "Resident memory of each worker process.", labels=["worker"]
        )
        for index, pid in self._workers():
            rss = resident_bytes(pid)
            if rss is not None:
                family.add_metric([str(index)], rss)
        yield family


def resident_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None
