"""Listening: TLS credentials (re-read when the files change), unix socket files, bound addresses."""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc

from vmi_converter.server.config import ConfigError, ServerConfig, is_unix, join_host_port, socket_path, split_host_port


class CertificateFiles:
    """The server's key pair (and client CA) on disk. gRPC asks before each handshake whether they
    changed, so a rotated Kubernetes secret is picked up without a restart."""

    def __init__(self, cert: str, key: str, client_ca: str | None) -> None:
        self.paths = [Path(cert), Path(key)] + ([Path(client_ca)] if client_ca else [])
        self._stamp = self._current_stamp()
        self.loaded = self._load()

    def _current_stamp(self) -> tuple[tuple[int, int], ...]:
        stamps = []
        for path in self.paths:
            try:
                info = path.stat()
            except OSError:
                return ()
            stamps.append((info.st_mtime_ns, info.st_size))
        return tuple(stamps)

    def _load(self) -> grpc.ServerCertificateConfiguration:
        cert, key = self.paths[0].read_bytes(), self.paths[1].read_bytes()
        client_ca = self.paths[2].read_bytes() if len(self.paths) > 2 else None
        return grpc.ssl_server_certificate_configuration([(key, cert)], root_certificates=client_ca)

    def fetch(self) -> grpc.ServerCertificateConfiguration | None:
        """None means "keep what you have" (also while a rotation is half-written)."""
        stamp = self._current_stamp()
        if not stamp or stamp == self._stamp:
            return None
        try:
            self.loaded = self._load()
        except (OSError, ValueError):
            return None
        self._stamp = stamp
        return self.loaded

    def credentials(self) -> grpc.ServerCredentials:
        # grpc's stubs type the fetcher as never returning None, but gRPC documents None as "no change".
        fetch: Callable[[], grpc.ServerCertificateConfiguration] = self.fetch  # type: ignore[assignment]
        return grpc.dynamic_ssl_server_credentials(
            self.loaded, fetch, require_client_authentication=len(self.paths) > 2
        )


def server_credentials(config: ServerConfig) -> grpc.ServerCredentials | None:
    if config.tls_cert is None or config.tls_key is None:
        return None
    try:
        return CertificateFiles(config.tls_cert, config.tls_key, config.tls_client_ca).credentials()
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot load TLS files: {err}") from None


def bind(server: grpc.Server, address: str, credentials: grpc.ServerCredentials | None) -> str:
    """Add a listening port; returns the address clients dial (the real port when 0 was asked)."""
    try:
        port = server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)
    except RuntimeError:
        port = 0
    if is_unix(address):
        if port == 0:
            raise ConfigError(f"cannot listen on {address}")
        return address
    if port == 0:
        raise ConfigError(f"cannot listen on {address}: address in use or not available")
    host, _ = split_host_port(address)
    return join_host_port(host, port)


# --- unix sockets ------------------------------------------------------------------------------


def prepare_unix_socket(address: str) -> None:
    """Make room for the socket file: replace only a stale socket, never another kind of file or a live server."""
    path = Path(socket_path(address))
    if not path.parent.is_dir():
        raise ConfigError(f"{address}: directory {path.parent} does not exist")
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ConfigError(f"{address}: {path} exists and is not a socket; refusing to replace it")
    if socket_in_use(str(path)):
        raise ConfigError(f"{address}: another server is listening on {path}")
    path.unlink()


def socket_in_use(path: str) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(path)
        except OSError as err:
            if err.errno in (errno.ECONNREFUSED, errno.ENOENT):
                return False
            raise
        return True


@contextlib.contextmanager
def socket_umask(mode: int) -> Iterator[None]:
    """Sockets are created with 0777 & ~umask: narrow the umask so the file never exists with wider rights."""
    previous = os.umask(0o777 & ~mode)
    try:
        yield
    finally:
        os.umask(previous)


def finish_unix_socket(address: str, mode: int) -> None:
    os.chmod(socket_path(address), mode)


def remove_unix_socket(address: str) -> None:
    path = Path(socket_path(address))
    with contextlib.suppress(FileNotFoundError):
        if stat.S_ISSOCK(path.lstat().st_mode):
            path.unlink()


# --- shared ports for workers ------------------------------------------------------------------


def reserve_port(address: str) -> tuple[socket.socket, str]:
    """Bind (without listening) a SO_REUSEPORT socket: it fixes the port a 0 asked for, and holds it
    while workers come and go. Only listening sockets get connections, so it never takes one."""
    host, port = split_host_port(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    bind_host = "127.0.0.1" if host == "localhost" else host
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((bind_host, port))
    except OSError as err:
        sock.close()
        raise ConfigError(f"cannot listen on {address}: {err.strerror}") from None
    return sock, join_host_port(host, sock.getsockname()[1])
