"""The Go, Node.js and Python clients balance over every address of a target and retry UNAVAILABLE.

Two single-process servers listen on two loopback ports; each client gets both as one target,
`ipv4:127.0.0.1:A,127.0.0.1:B`, and keeps a few Convert calls in flight. Once both servers have
served calls, server A is killed with SIGKILL in the middle of the load (calls in flight on it die
with the connection); the run goes on until B has served more. Every client must see every call
succeed (the shipped service config: round_robin and a retry policy for UNAVAILABLE), and both servers
must have served calls (each one's `rpc` log lines). pick_first, gRPC's default, sends everything to one
address; without the retry policy the calls in flight on A fail.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import test_clients
from conftest import EXPECTED_DIR
from test_clients import GO_IMPORT_PATH, REPO, _free_port, _wait_serving, go_build

# The session fixtures building the Go example and installing the Node client, shared with test_clients.
go_example = test_clients.go_example
node_example = test_clients.node_example

REQUEST = EXPECTED_DIR / "golden-amd64.json"
CONVERT = '"method":"kubevirt.converter.v1.Converter/Convert"'
# Calls each server must have served before A is killed, and B after it.
BEFORE_KILL = 30
AFTER_KILL = 60
LIMIT_S = 120  # the run gives up waiting for those counts after this long (a bound, not an assertion)


@dataclass
class Server:
    address: str
    proc: subprocess.Popen[bytes]
    log: Path

    def served(self) -> int:
        """Convert calls answered so far: one `rpc` log line each."""
        return sum(1 for line in self.log.read_text(errors="replace").splitlines() if CONVERT in line)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    started = []
    try:
        for name in ("a", "b"):
            address = f"127.0.0.1:{_free_port()}"
            log = tmp_path / f"server-{name}.log"
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "vmi_converter.server", "serve", "--listen", address, "--workers", "1"],
                    cwd=REPO,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            started.append(Server(address, proc, log))
        for server in started:
            _wait_serving(server.address, server.proc, time.monotonic() + 60)
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def _target(a: Server, b: Server) -> str:
    return f"ipv4:{a.address},{b.address}"


def _wait_for(condition: Callable[[], bool], what: str, client: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + LIMIT_S
    while not condition():
        if client is not None and client.poll() is not None:
            pytest.fail(f"the client ended before {what}: {client.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} after {LIMIT_S} s")
        time.sleep(0.05)


def _kill_mid_run(a: Server, b: Server, client: subprocess.Popen[str] | None = None) -> int:
    """Waits until both served calls, SIGKILLs A under load, waits until B served more; B's count at the kill."""
    _wait_for(lambda: a.served() >= BEFORE_KILL and b.served() >= BEFORE_KILL, "calls on both servers", client)
    os.killpg(a.proc.pid, signal.SIGKILL)
    a.proc.wait()
    at_kill = b.served()
    _wait_for(lambda: b.served() >= at_kill + AFTER_KILL, "calls on B after the kill", client)
    return at_kill


def _run_external_client(command: list[str], a: Server, b: Server, **kwargs: object) -> dict[str, object]:
    """Runs a client that loads the target until its stdin closes; returns its {"ok", "failed", "errors"}."""
    client = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )
    try:
        _kill_mid_run(a, b, client)
        out, err = client.communicate("", timeout=120)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    assert client.returncode == 0, err
    counts: dict[str, object] = json.loads(out)
    return counts


def _check(counts: dict[str, object], a: Server, b: Server) -> None:
    assert counts["failed"] == 0, counts["errors"]
    assert isinstance(counts["ok"], int) and counts["ok"] >= 2 * BEFORE_KILL + AFTER_KILL
    served = a.served() + b.served()
    # Every call a client saw succeed was answered by one of the two (A's log may miss a few lines it
    # answered but never wrote before the kill; a call retried after A died is answered by B).
    assert a.served() >= BEFORE_KILL and b.served() >= BEFORE_KILL + AFTER_KILL
    assert served <= counts["ok"] + 8, (served, counts)  # a few answered on A whose answer was lost


def test_python_client_balances_and_retries(servers: tuple[Server, Server]) -> None:
    from vmi_converter_client import Client, ConversionFailed

    a, b = servers
    request = json.loads(REQUEST.read_text())
    stop = threading.Event()
    ok: list[int] = []
    errors: list[str] = []

    def load(client: Client) -> None:
        while not stop.is_set() and len(ok) + len(errors) < 20000:
            try:
                client.convert(request["vmi"], context=request["context"])
                ok.append(1)
            except ConversionFailed as failed:
                errors.append(str(failed))

    with Client(_target(a, b), timeout=30) as client:
        workers = [threading.Thread(target=load, args=(client,)) for _ in range(4)]
        for worker in workers:
            worker.start()
        try:
            _kill_mid_run(a, b)
        finally:
            stop.set()
            for worker in workers:
                worker.join()
    _check({"ok": len(ok), "failed": len(errors), "errors": errors}, a, b)


def test_node_client_balances_and_retries(
    node_example: tuple[str, dict[str, str]], servers: tuple[Server, Server]
) -> None:
    node, env = node_example
    a, b = servers
    script = REPO / "tests/clients/balance/balance-check.js"
    counts = _run_external_client([node, str(script), _target(a, b), str(REQUEST), "4"], a, b, env=env)
    _check(counts, a, b)


@pytest.fixture(scope="session")
def go_balance_check(go_example: Path) -> Path:
    """tests/clients/balance/main.go, built beside the example (go_example set the GOPATH up)."""
    gopath = go_example.parent / "gopath"
    package = gopath / "src" / Path(GO_IMPORT_PATH).parent / "balance-check"
    package.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "tests/clients/balance/main.go", package / "main.go")
    return go_build(gopath, package, ".", go_example.parent / "balance-check")


def test_go_client_balances_and_retries(go_balance_check: Path, servers: tuple[Server, Server]) -> None:
    a, b = servers
    env = {k: v for k, v in os.environ.items() if k != "GRPC_GO_RETRY"}
    command = [str(go_balance_check), "-addr", _target(a, b), "-request", str(REQUEST), "-concurrency", "4"]
    _check(_run_external_client(command, a, b, env=env), a, b)
