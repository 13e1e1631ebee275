"""Several server processes on one TCP port (SO_REUSEPORT), watched by a supervisor.

The GIL lets one process convert one VMI at a time; N processes use N cores.
The supervisor binds (without listening) each TCP port first, so a port 0
becomes one concrete port every worker shares, then starts the workers, restarts
any that die, forwards SIGTERM/SIGINT and waits for them to drain. Unix sockets
cannot be shared that way: worker 0 alone serves them. With metrics on, the
workers write their samples to a private directory and the supervisor's
endpoint adds them up.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from vmi_converter.server.config import ServerConfig, is_unix
from vmi_converter.server.info import KUBEVIRT_COMMIT, version
from vmi_converter.server.logs import log
from vmi_converter.server.signals import Shutdown

if TYPE_CHECKING:
    from vmi_converter.server.metrics import MetricsEndpoint

supervisor_log = logging.getLogger("vmi_converter.supervisor")

CONFIG_ENV = "VMI_CONVERTER_WORKER_CONFIG"
# A worker that dies sooner than this after starting, this many times in a row, is crash-looping.
_QUICK_DEATH_S = 5.0
_QUICK_DEATHS_ALLOWED = 3
_RESTART_PAUSE_S = 0.5
_KILL_MARGIN_S = 5.0


@dataclass
class Worker:
    index: int
    config: ServerConfig
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_deaths: int = 0
    pids: list[int] = field(default_factory=list)


class Supervisor:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.reserved: list[socket.socket] = []
        self.metrics_dir: str | None = None
        self.workers: list[Worker] = []

    def live_workers(self) -> list[tuple[int, int]]:
        return [(w.index, w.process.pid) for w in self.workers if w.process and w.process.poll() is None]

    def run(self) -> int:
        shutdown = Shutdown()
        shutdown.install()
        tcp, health_tcp = self._reserve_ports()
        endpoint = self._start_metrics()
        try:
            self.workers = [Worker(i, self._worker_config(i, tcp, health_tcp)) for i in range(self.config.workers)]
            for worker in self.workers:
                self._spawn(worker)
            log(
                supervisor_log,
                logging.INFO,
                "start",
                version=version(),
                kubevirt_commit=KUBEVIRT_COMMIT,
                listen=tcp + [a for a in self.config.listen if is_unix(a)],
                health_listen=health_tcp + [a for a in self.config.health_listen if is_unix(a)],
                metrics_listen=endpoint.address if endpoint else None,
                tls=self.config.tls_mode,
                workers=self.config.workers,
                worker_pids=[w.process.pid for w in self.workers if w.process],
            )
            code = self._supervise(shutdown)
        finally:
            if endpoint is not None:
                endpoint.close()
            for sock in self.reserved:
                sock.close()
            if self.metrics_dir:
                shutil.rmtree(self.metrics_dir, ignore_errors=True)
        return code

    def _reserve_ports(self) -> tuple[list[str], list[str]]:
        from vmi_converter.server.transport import reserve_port

        def reserve(addresses: list[str]) -> list[str]:
            concrete = []
            for address in addresses:
                if is_unix(address):
                    continue
                sock, bound = reserve_port(address)
                self.reserved.append(sock)
                concrete.append(bound)
            return concrete

        return reserve(self.config.listen), reserve(self.config.health_listen)

    def _start_metrics(self) -> MetricsEndpoint | None:
        if self.config.metrics_listen is None:
            return None
        from vmi_converter.server import metrics

        self.metrics_dir = tempfile.mkdtemp(prefix="vmi-converter-metrics-")
        registry = metrics.multiprocess_registry(self.metrics_dir, self.live_workers)
        return metrics.serve_metrics(self.config.metrics_listen, registry)

    def _worker_config(self, index: int, tcp: list[str], health_tcp: list[str]) -> ServerConfig:
        unix = [a for a in self.config.listen if is_unix(a)] if index == 0 else []
        health_unix = [a for a in self.config.health_listen if is_unix(a)] if index == 0 else []
        return self.config.with_changes(
            listen=tcp + unix,
            health_listen=health_tcp + health_unix,
            metrics_listen=None,
            workers=1,
            reuse_port=True,
            worker_index=index,
        )

    def _spawn(self, worker: Worker) -> None:
        env = dict(os.environ, **{CONFIG_ENV: worker.config.to_json()})
        env["PYTHONPATH"] = os.pathsep.join([*_source_roots(), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        if self.metrics_dir:
            env["PROMETHEUS_MULTIPROC_DIR"] = self.metrics_dir
        # Own process group: a terminal's Ctrl-C reaches only the supervisor, which forwards it once.
        command = [sys.executable, "-m", "vmi_converter.server.workers"]
        worker.process = subprocess.Popen(command, env=env, process_group=0)
        worker.started = time.monotonic()
        worker.pids.append(worker.process.pid)

    def _supervise(self, shutdown: Shutdown) -> int:
        while not shutdown.requested.wait(0.2):
            for worker in self.workers:
                if not self._check(worker):
                    shutdown.requested.set()
                    self._stop_all(shutdown)
                    return 1
        return self._stop_all(shutdown)

    def _check(self, worker: Worker) -> bool:
        """Restart a worker that died; False when it keeps dying at once (bad config, port taken...)."""
        assert worker.process is not None
        code = worker.process.poll()
        if code is None:
            return True
        self._forget(worker.process.pid)
        lived = time.monotonic() - worker.started
        worker.quick_deaths = worker.quick_deaths + 1 if lived < _QUICK_DEATH_S else 0
        log(
            supervisor_log,
            logging.ERROR,
            "worker exited",
            worker=worker.index,
            worker_pid=worker.process.pid,
            exit_code=code,
            lived_s=round(lived, 3),
        )
        if worker.quick_deaths >= _QUICK_DEATHS_ALLOWED:
            log(supervisor_log, logging.ERROR, "worker keeps failing; stopping", worker=worker.index)
            return False
        time.sleep(_RESTART_PAUSE_S)
        self._spawn(worker)
        assert worker.process is not None
        log(supervisor_log, logging.INFO, "worker restarted", worker=worker.index, worker_pid=worker.process.pid)
        return True

    def _stop_all(self, shutdown: Shutdown) -> int:
        """Forward the stop to every worker and wait for them to drain; the exit code says whether all did."""
        log(supervisor_log, logging.INFO, "shutdown", workers=len(self.live_workers()), grace_s=self.config.grace)
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + self.config.shutdown_delay + self.config.grace + _KILL_MARGIN_S
        hurried = False
        while self.live_workers() and time.monotonic() < deadline:
            if shutdown.hurry.is_set() and not hurried:
                hurried = True
                self._signal_all(signal.SIGTERM)  # a second signal: the workers cut their grace short
            time.sleep(0.05)
        ok = True
        for worker in self.workers:
            assert worker.process is not None
            if worker.process.poll() is None:
                worker.process.kill()
                ok = False
            ok = worker.process.wait() == 0 and ok
            self._forget(worker.process.pid)
        log(supervisor_log, logging.INFO, "stopped", clean=ok)
        return 0 if ok else 1

    def _signal_all(self, sig: int) -> None:
        for _, pid in self.live_workers():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)

    def _forget(self, pid: int) -> None:
        if self.metrics_dir:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(pid, self.metrics_dir)


def _source_roots() -> list[str]:
    """Where `server` and the generated stubs were imported from, so a source checkout runs unchanged."""
    from vmi_converter.api import service_pb2

    roots = [Path(__file__).resolve().parents[1], Path(service_pb2.__file__).resolve().parents[3]]
    return [str(r) for r in dict.fromkeys(roots)]


def supervise(config: ServerConfig) -> int:
    return Supervisor(config).run()


def worker_main() -> int:
    from vmi_converter.server.app import serve
    from vmi_converter.server.logs import configure

    config = ServerConfig.from_json(os.environ[CONFIG_ENV])
    configure(config.log_level)
    return serve(config)


if __name__ == "__main__":
    sys.exit(worker_main())
