"""Server settings: what `vmi-converter serve` accepts, checked once before anything binds."""

from __future__ import annotations

import ipaddress
import json
import math
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_LISTEN = "127.0.0.1:50051"
DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_CONCURRENT_RPCS = 32
DEFAULT_MAX_STREAM_ITEMS = 100_000
DEFAULT_UNIX_SOCKET_MODE = 0o600


class ConfigError(ValueError):
    """A setting that cannot work; the message says which and why."""


@dataclass(frozen=True)
class ServerConfig:
    listen: list[str] = field(default_factory=lambda: [DEFAULT_LISTEN])
    # Plaintext listeners serving only grpc.health.v1 (for kubelet probes, which speak no TLS).
    health_listen: list[str] = field(default_factory=list)
    metrics_listen: str | None = None
    grace: float = 10.0
    # Seconds between reporting NOT_SERVING and refusing new calls, so load balancers notice first.
    shutdown_delay: float = 0.0
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    max_concurrent_rpcs: int = DEFAULT_MAX_CONCURRENT_RPCS
    max_stream_items: int = DEFAULT_MAX_STREAM_ITEMS
    unix_socket_mode: int = DEFAULT_UNIX_SOCKET_MODE
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    insecure: bool = False
    workers: int = 1
    log_level: str = "INFO"
    # Set by the supervisor for its workers, never from the command line.
    reuse_port: bool = False
    worker_index: int | None = None

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def tls_mode(self) -> str:
        if not self.tls:
            return "off"
        return "mutual" if self.tls_client_ca else "server"

    def validate(self) -> ServerConfig:
        _check_positive(self)
        _check_tls(self)
        for address in [*self.listen, *self.health_listen]:
            check_address(address)
        if self.metrics_listen is not None:
            _check_metrics_address(self.metrics_listen)
        if not self.tls and not self.insecure:
            exposed = [a for a in self.listen if not is_unix(a) and not is_loopback(a)]
            if exposed:
                raise ConfigError(
                    f"refusing to serve plaintext on {', '.join(exposed)}: give --tls-cert and --tls-key, "
                    "or --insecure to accept unencrypted connections from the network"
                )
        return self

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServerConfig:
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def with_changes(self, **changes: Any) -> ServerConfig:
        return replace(self, **changes)


def _check_positive(config: ServerConfig) -> None:
    for name in ("max_message_bytes", "max_concurrent_rpcs", "max_stream_items", "workers"):
        if getattr(config, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("grace", "shutdown_delay"):
        if getattr(config, name) < 0:
            raise ConfigError(f"--{name.replace('_', '-')} must not be negative")
    if not 0 <= config.unix_socket_mode <= 0o777:
        raise ConfigError("--unix-socket-mode must be an octal permission between 000 and 777")
    if not config.listen:
        raise ConfigError("at least one --listen address is needed")


def _check_tls(config: ServerConfig) -> None:
    if (config.tls_cert is None) != (config.tls_key is None):
        raise ConfigError("--tls-cert and --tls-key go together")
    if config.tls_client_ca is not None and not config.tls:
        raise ConfigError("--tls-client-ca needs --tls-cert and --tls-key")
    for option, path in (
        ("--tls-cert", config.tls_cert),
        ("--tls-key", config.tls_key),
        ("--tls-client-ca", config.tls_client_ca),
    ):
        if path is not None and not Path(path).is_file():
            raise ConfigError(f"{option} {path}: no such file")


# --- addresses ---------------------------------------------------------------------------------


def is_unix(address: str) -> bool:
    return address.startswith("unix:")


def socket_path(address: str) -> str:
    """The filesystem path of `unix:/p`, `unix:///p` or `unix:relative`."""
    path = address[len("unix:") :]
    return path[2:] if path.startswith("//") else path


def split_host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ConfigError(f"{address!r}: expected HOST:PORT, [IPV6]:PORT or unix:PATH")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


def join_host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def check_address(address: str) -> None:
    if is_unix(address):
        if not socket_path(address):
            raise ConfigError(f"{address!r}: empty unix socket path")
        return
    _, port = split_host_port(address)
    if port > 65535:
        raise ConfigError(f"{address!r}: port out of range")


def _check_metrics_address(address: str) -> None:
    if is_unix(address):
        raise ConfigError("--metrics-listen takes HOST:PORT (Prometheus scrapes over TCP)")
    check_address(address)


def is_loopback(address: str) -> bool:
    """Only literal loopback addresses and `localhost` count; any other name may resolve outwards."""
    host, _ = split_host_port(address)
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- worker count ------------------------------------------------------------------------------


def default_workers() -> int:
    """CPUs this process may use: its affinity mask, capped by a cgroup v2 CPU quota if there is one."""
    cpus = len(os.sched_getaffinity(0))
    quota = _cgroup_cpu_quota()
    if quota is not None:
        cpus = min(cpus, max(1, math.ceil(quota)))
    return max(1, cpus)


def _cgroup_cpu_quota(path: str = "/sys/fs/cgroup/cpu.max") -> float | None:
    try:
        limit, period = Path(path).read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if limit == "max":
        return None
    return int(limit) / int(period)
