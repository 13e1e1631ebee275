"""Several worker processes on one port under a supervisor; metrics added up across them (issues 9, 11)."""

from __future__ import annotations

import os
import signal
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ops_harness import ServerProcess, convert_request, server_process, wait_until
from prometheus_client.parser import text_string_to_metric_families

from vmi_converter.api import service_pb2_grpc
from vmi_converter.server.config import _cgroup_cpu_quota, default_workers

CONVERT = "kubevirt.converter.v1.Converter/Convert"


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    sock = Path(tmp_path_factory.mktemp("w")) / "c.sock"
    with server_process(
        "--listen", "127.0.0.1:0", "--listen", f"unix:{sock}", "--workers", "2",
        "--metrics-listen", "127.0.0.1:0", "--health-listen", "127.0.0.1:0",
    ) as server:  # fmt: skip
        start = server.started()
        assert start["logger"] == "vmi_converter.supervisor"
        server.wait_line("start", worker=0)
        server.wait_line("start", worker=1)
        yield server


def _pids(server: ServerProcess) -> dict[int, int]:
    return {line["worker"]: line["pid"] for line in server.find("start") if line.get("worker") is not None}


def _scrape(server: ServerProcess) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    address = server.started()["metrics_listen"]
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_workers_share_the_port_and_metrics_add_up(two_workers: ServerProcess) -> None:
    start = two_workers.started()
    target = start["listen"][0]
    assert start["workers"] == 2
    before = _scrape(two_workers).get(("vmi_converter_rpcs_total", (("code", "OK"), ("method", CONVERT))), 0.0)
    for n in range(40):
        # A new connection each time (no subchannel shared between channels): the kernel spreads connections.
        with grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
            assert service_pb2_grpc.ConverterStub(channel).Convert(convert_request(request_id=str(n)), timeout=10).id
    lines = wait_until(
        lambda: len(two_workers.find("rpc", method=CONVERT)) >= 40 and two_workers.find("rpc", method=CONVERT)
    )
    assert {line["pid"] for line in lines} == set(_pids(two_workers).values())
    scraped = _scrape(two_workers)
    assert scraped[("vmi_converter_rpcs_total", (("code", "OK"), ("method", CONVERT)))] == before + 40
    assert scraped[("vmi_converter_conversions_total", (("arch", "amd64"), ("result", "ok")))] >= 40
    assert scraped[("vmi_converter_rpcs_in_flight", (("method", CONVERT),))] == 0
    for worker in ("0", "1"):
        assert scraped[("vmi_converter_worker_resident_memory_bytes", (("worker", worker),))] > 10_000_000


def test_unix_socket_is_served_by_worker_0_only(two_workers: ServerProcess) -> None:
    starts = {line["worker"]: line for line in two_workers.find("start") if line.get("worker") is not None}
    unix = [a for a in starts[0]["listen"] if a.startswith("unix:")]
    assert len(unix) == 1
    assert [a for a in starts[1]["listen"] if a.startswith("unix:")] == []
    with grpc.insecure_channel(unix[0]) as channel:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_a_killed_worker_is_restarted(two_workers: ServerProcess) -> None:
    victim = _pids(two_workers)[1]
    os.kill(victim, signal.SIGKILL)
    restarted = two_workers.wait_line("worker restarted", worker=1)
    assert restarted["worker_pid"] != victim
    exited = two_workers.find("worker exited", worker=1)[0]
    assert exited["exit_code"] == -signal.SIGKILL
    health_target = two_workers.started()["health_listen"][0]

    def serving() -> bool:
        with grpc.insecure_channel(health_target) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)

    assert wait_until(serving)
    two_workers.wait_line("start", worker=1, pid=restarted["worker_pid"])


def test_sigterm_reaches_every_worker_and_exits_0() -> None:
    with server_process("--listen", "127.0.0.1:0", "--workers", "2") as server:
        server.started()
        server.wait_line("start", worker=0)
        server.wait_line("start", worker=1)
        server.signal(signal.SIGTERM)
        assert server.wait(30) == 0
    stopped = [line for line in server.find("stopped") if line["logger"] == "vmi_converter.server"]
    assert len(stopped) == 2
    assert server.find("stopped", logger="vmi_converter.supervisor")[0]["clean"] is True


def test_a_port_in_use_fails_fast_with_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with server_process("--listen", f"127.0.0.1:{port}", "--workers", "2") as server:
            assert server.wait(20) == 2
    assert server.raw[-1] == (
        f"vmi-converter serve: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )


def test_default_worker_count_follows_the_cpus_we_may_use(tmp_path: Path) -> None:
    assert 1 <= default_workers() <= len(os.sched_getaffinity(0))
    quota = tmp_path / "cpu.max"
    quota.write_text("150000 100000\n")
    assert _cgroup_cpu_quota(str(quota)) == 1.5
    quota.write_text("max 100000\n")
    assert _cgroup_cpu_quota(str(quota)) is None
