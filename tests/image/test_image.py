"""Smoke test of the container image scripts/build-image makes (pytest marker `image`).

Runs when the image exists in buildah's storage (vfs, chroot isolation: how it is built here) or in a
docker/podman engine that answers, and was built from this tree (its source-hash label equals
`scripts/build-image --source-hash`); skips with the reason otherwise. scripts/test builds it first
when asked to (see its comment). The container shares the host's network and the server listens on
loopback addresses only.

Checked: the health-only port says SERVING, and so does the image's own HEALTHCHECK command run inside
it; Convert of the golden amd64 request over TCP and over a unix socket in a mounted directory;
`vmi-converter version` inside the image; the server process runs as the image's unprivileged user
(10001); SIGTERM drains and the container exits 0.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from conftest import expected_xml, load_request
from grpc_health.v1 import health_pb2, health_pb2_grpc
from libvirt_check import assert_same_domain

REPO = Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
IMAGE = os.environ.get("VMI_CONVERTER_IMAGE", f"vmi-converter:{VERSION}")
SOURCE_LABEL = "io.github.vmi-converter.source-hash"
IMAGE_UID = 10001
GOLDEN = "golden-amd64"
SOCKET_DIR = "/run/vmi-converter"  # inside the container
SERVICE = "kubevirt.converter.v1.Converter"
# buildah as scripts/build-image runs it.
BUILDAH_ENV = {"STORAGE_DRIVER": "vfs", "BUILDAH_ISOLATION": "chroot"}

pytestmark = pytest.mark.image


def _run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env=env)


@dataclass
class Engine:
    """How to inspect, run and stop the image with one tool: buildah, docker or podman."""

    tool: str
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    container: str = ""  # buildah's working container

    def inspect(self) -> dict[str, object] | None:
        """The image's config (Labels, User, Healthcheck), or None when the tool does not have the image."""
        if self.tool == "buildah":
            found = _run(["buildah", "inspect", "--type", "image", IMAGE], env=self.env)
            return json.loads(found.stdout)["Docker"]["config"] if found.returncode == 0 else None
        found = _run([self.tool, "image", "inspect", IMAGE], env=self.env)
        return json.loads(found.stdout)[0]["Config"] if found.returncode == 0 else None

    def command(self, mounts: dict[str, str], args: list[str], name: str = "") -> list[str]:
        """A container of the image running `args` (a whole command), host network, the mounts (host: inside)."""
        volumes = [flag for host, inside in mounts.items() for flag in ("-v", f"{host}:{inside}")]
        if self.tool == "buildah":
            return ["buildah", "run", *volumes, self.container, "--", *args]
        named = ["--name", name] if name else []
        entrypoint = ["--entrypoint", args[0], IMAGE, *args[1:]]
        return [self.tool, "run", "--rm", "--network", "host", *named, *volumes, *entrypoint]

    def start(self) -> None:
        """buildah runs commands in a working container made from the image; docker/podman need none."""
        if self.tool == "buildah":
            made = _run(["buildah", "from", "--pull-never", IMAGE], env=self.env)
            assert made.returncode == 0, made.stderr
            self.container = made.stdout.strip()

    def stop(self) -> None:
        if self.container:
            _run(["buildah", "rm", self.container], env=self.env)


def _engine() -> Engine:
    """The first tool holding an image built from this tree; skips with the reason when there is none."""
    expected = _run([str(REPO / "scripts/build-image"), "--source-hash"]).stdout.strip()
    reasons = []
    candidates = []
    if shutil.which("buildah"):
        candidates.append(Engine("buildah", dict(os.environ, **BUILDAH_ENV)))
    for tool in ("docker", "podman"):
        if shutil.which(tool) and _run([tool, "info"]).returncode == 0:
            candidates.append(Engine(tool))
    for engine in candidates:
        config = engine.inspect()
        if config is None:
            reasons.append(f"{engine.tool} has no image {IMAGE}")
            continue
        labels = config.get("Labels") or {}
        assert isinstance(labels, dict)
        if labels.get(SOURCE_LABEL) != expected:
            reasons.append(f"{engine.tool}'s {IMAGE} was built from another tree (rebuild: scripts/build-image)")
            continue
        return engine
    if not candidates:
        reasons.append("neither buildah nor a docker/podman engine is available")
    pytest.skip("; ".join(reasons) + " (scripts/build-image builds it; VMI_CONVERTER_IMAGE_TEST=build scripts/test)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _health(address: str) -> int:
    with grpc.insecure_channel(address) as channel:
        answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=SERVICE), timeout=2)
    return int(answer.status)


@dataclass
class Running:
    engine: Engine
    proc: subprocess.Popen[bytes]
    log: Path
    tcp: str
    health: str
    socket: Path
    name: str  # docker/podman's container name

    def start_line(self) -> dict[str, object]:
        for line in self.log.read_text(errors="replace").splitlines():
            if '"msg":"start"' in line:
                parsed: dict[str, object] = json.loads(line)
                return parsed
        raise AssertionError(f"no start line in {self.log.read_text()}")


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    chosen = _engine()
    chosen.start()
    try:
        yield chosen
    finally:
        chosen.stop()


@pytest.fixture(scope="module")
def server(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The image's server on two loopback ports and a socket in a mounted directory (writable by its user)."""
    sockets = Path(tempfile.mkdtemp(prefix="vmc-img-"))  # short: socket paths are limited to 107 bytes
    os.chown(sockets, IMAGE_UID, IMAGE_UID)
    tcp, health = f"127.0.0.1:{_free_port()}", f"127.0.0.1:{_free_port()}"
    args = ["vmi-converter", "serve", "--listen", tcp, "--listen", f"unix:{SOCKET_DIR}/conv.sock"]
    args += ["--health-listen", health, "--workers", "1"]
    log = tmp_path_factory.mktemp("image") / "server.log"
    name = f"vmi-converter-smoke-{os.getpid()}"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            engine.command({str(sockets): SOCKET_DIR}, args, name), env=engine.env, stdout=out, stderr=subprocess.STDOUT
        )
    running = Running(engine, proc, log, tcp, health, sockets / "conv.sock", name)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, f"the container exited with {proc.returncode}: {log.read_text()}"
            try:
                if _health(health) == health_pb2.HealthCheckResponse.SERVING and running.socket.exists():
                    break
            except grpc.RpcError:
                pass
            assert time.monotonic() < deadline, f"not serving after 60 s: {log.read_text()}"
            time.sleep(0.2)
        yield running
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(sockets, ignore_errors=True)


def test_health_only_port_serves_and_the_healthcheck_command_passes(server: Running) -> None:
    assert _health(server.health) == health_pb2.HealthCheckResponse.SERVING
    config = server.engine.inspect()
    assert config is not None
    healthcheck = config["Healthcheck"]
    assert isinstance(healthcheck, dict)
    test = healthcheck["Test"]
    assert test[:3] == ["CMD", "vmi-converter", "health"]
    probe = test[1:]
    target = probe.index("--target") + 1
    assert probe[target] == "127.0.0.1:50052"  # the default CMD's health port; ours is a free one
    probe[target] = server.health
    ran = _run(server.engine.command({}, probe), env=server.engine.env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "SERVING"


@pytest.mark.parametrize("over", ["tcp", "unix"])
def test_convert_golden_request(server: Running, over: str) -> None:
    from vmi_converter_client import Client

    request = load_request(GOLDEN)
    target = server.tcp if over == "tcp" else f"unix:{server.socket}"
    with Client(target, timeout=30) as client:
        result = client.convert(request["vmi"], context=request["context"], id=over)
    assert result.id == over
    assert_same_domain(result.domain_xml, expected_xml(GOLDEN))


def test_version_inside_the_image(engine: Engine) -> None:
    ran = _run(engine.command({}, ["vmi-converter", "version", "--json"]), env=engine.env)
    assert ran.returncode == 0, ran.stderr
    info = json.loads(ran.stdout)
    assert info["version"] == VERSION
    assert info["kubevirtCommit"].startswith("d923fdb8")
    # The build stage has a compiler: the image must carry the mypyc-compiled core, not a silent
    # pure-Python fallback.
    assert info["build"] == "compiled"


def test_image_user_and_no_compiler(engine: Engine, server: Running) -> None:
    config = engine.inspect()
    assert config is not None and config["User"] == f"{IMAGE_UID}:{IMAGE_UID}"
    if engine.tool == "buildah":  # the container shares the host's PID namespace
        pid = server.start_line()["pid"]
        status = Path(f"/proc/{pid}/status").read_text()
        uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
        assert uids == [str(IMAGE_UID)] * 4
    ran = _run(engine.command({}, ["sh", "-c", "id -u; command -v gcc cc || echo no compiler"]), env=engine.env)
    assert ran.stdout.split("\n")[:2] == [str(IMAGE_UID), "no compiler"], ran.stdout + ran.stderr


def test_sigterm_drains_and_exits_0(server: Running) -> None:
    """Last in this module: it stops the server."""
    pid = server.start_line()["pid"]
    assert isinstance(pid, int)
    if server.engine.tool == "buildah":
        os.kill(pid, signal.SIGTERM)  # the server is the container's process (buildah run forwards no signal)
    else:
        _run([server.engine.tool, "kill", "--signal", "TERM", server.name])
    assert server.proc.wait(timeout=60) == 0, server.log.read_text()
    messages = [json.loads(line)["msg"] for line in server.log.read_text().splitlines() if line.startswith("{")]
    assert messages[-2:] == ["shutdown", "stopped"]
    assert not server.socket.exists()
