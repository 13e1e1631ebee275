"""Transport: unix socket permissions, TLS and mutual TLS, no plaintext on the network by accident (issue 9)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from ops_harness import Authority, Issued, convert_request, make_authority, tls_channel

from vmi_converter.api import service_pb2_grpc
from vmi_converter.server.app import Running, start
from vmi_converter.server.cli import main
from vmi_converter.server.config import ConfigError, ServerConfig, is_loopback


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    # Short paths: unix socket paths are limited to 107 bytes and pytest's tmp_path can be longer.
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="vmic-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- unix sockets ----------------------------------------------------------------------------


def test_unix_socket_is_created_0600_by_default(sock_dir: Path) -> None:
    old_umask = os.umask(0)  # even with a permissive umask
    try:
        running = start(ServerConfig(listen=[f"unix:{sock_dir}/c.sock"]))
    finally:
        os.umask(old_umask)
    try:
        assert _mode(sock_dir / "c.sock") == 0o600
        assert stat.S_ISSOCK((sock_dir / "c.sock").stat().st_mode)
    finally:
        running.stop(0)
    assert not (sock_dir / "c.sock").exists()


def test_unix_socket_mode_is_configurable(sock_dir: Path) -> None:
    running = start(ServerConfig(listen=[f"unix://{sock_dir}/c.sock"], unix_socket_mode=0o660))
    try:
        assert _mode(sock_dir / "c.sock") == 0o660
        with grpc.insecure_channel(f"unix:{sock_dir}/c.sock") as channel:
            reply = service_pb2_grpc.ConverterStub(channel).Convert(convert_request(request_id="u"), timeout=10)
        assert reply.id == "u"
    finally:
        running.stop(0)


def test_stale_socket_is_replaced(sock_dir: Path) -> None:
    path = sock_dir / "c.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # the file stays, nobody listens
    running = start(ServerConfig(listen=[f"unix:{path}"]))
    try:
        assert path.is_socket()
        with grpc.insecure_channel(f"unix:{path}") as channel:
            reply = service_pb2_grpc.ConverterStub(channel).Convert(convert_request(request_id="s"), timeout=10)
        assert reply.id == "s"  # the new server answers on the path the stale file held
    finally:
        running.stop(0)


def test_regular_file_in_the_way_is_not_removed(sock_dir: Path) -> None:
    path = sock_dir / "c.sock"
    path.write_text("precious")
    with pytest.raises(ConfigError) as raised:
        start(ServerConfig(listen=[f"unix:{path}"]))
    assert str(raised.value) == f"unix:{path}: {path} exists and is not a socket; refusing to replace it"
    assert path.read_text() == "precious"


def test_live_socket_is_not_stolen(sock_dir: Path) -> None:
    path = sock_dir / "c.sock"
    running = start(ServerConfig(listen=[f"unix:{path}"]))
    try:
        with pytest.raises(ConfigError) as raised:
            start(ServerConfig(listen=[f"unix:{path}"]))
        assert str(raised.value) == f"unix:{path}: another server is listening on {path}"
    finally:
        running.stop(0)


def test_missing_socket_directory_is_an_error(sock_dir: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        start(ServerConfig(listen=[f"unix:{sock_dir}/nope/c.sock"]))
    assert str(raised.value) == f"unix:{sock_dir}/nope/c.sock: directory {sock_dir}/nope does not exist"


def test_cli_parses_the_socket_mode_as_octal(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--unix-socket-mode", "rw-------"])
    assert "'rw-------' is not an octal file mode such as 0600" in capsys.readouterr().err


# --- plaintext only on loopback ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1:50051", True),
        ("127.3.4.5:1", True),
        ("localhost:50051", True),
        ("[::1]:50051", True),
        ("0.0.0.0:50051", False),
        ("[::]:50051", False),
        ("10.1.2.3:50051", False),
        ("converter.example:50051", False),
    ],
)
def test_loopback_addresses(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_plaintext_on_a_network_address_is_refused() -> None:
    with pytest.raises(ConfigError) as raised:
        ServerConfig(listen=["127.0.0.1:0", "0.0.0.0:50051", "unix:/tmp/x.sock"]).validate()
    assert str(raised.value) == (
        "refusing to serve plaintext on 0.0.0.0:50051: give --tls-cert and --tls-key, "
        "or --insecure to accept unencrypted connections from the network"
    )
    ServerConfig(listen=["0.0.0.0:50051"], insecure=True).validate()


def test_cli_refuses_plaintext_on_a_network_address(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--listen", "[::]:50051", "--workers", "1"]) == 2
    assert capsys.readouterr().err == (
        "vmi-converter serve: error: refusing to serve plaintext on [::]:50051: give --tls-cert and --tls-key, "
        "or --insecure to accept unencrypted connections from the network\n"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tls_cert": "CERT"}, "--tls-cert and --tls-key go together"),
        ({"tls_key": "KEY"}, "--tls-cert and --tls-key go together"),
        ({"tls_client_ca": "CA"}, "--tls-client-ca needs --tls-cert and --tls-key"),
        ({"tls_cert": "CERT", "tls_key": "/nonexistent.key"}, "--tls-key /nonexistent.key: no such file"),
        ({"max_stream_items": 0}, "--max-stream-items must be at least 1"),
        ({"max_concurrent_rpcs": 0}, "--max-concurrent-rpcs must be at least 1"),
        ({"grace": -1.0}, "--grace must not be negative"),
        ({"unix_socket_mode": 0o1777}, "--unix-socket-mode must be an octal permission between 000 and 777"),
        ({"listen": ["nonsense"]}, "'nonsense': expected HOST:PORT, [IPV6]:PORT or unix:PATH"),
        ({"metrics_listen": "unix:/tmp/m.sock"}, "--metrics-listen takes HOST:PORT (Prometheus scrapes over TCP)"),
    ],
)
def test_settings_that_cannot_work(changes: dict[str, object], message: str, tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    resolved = {k: str(cert) if v in ("CERT", "KEY", "CA") else v for k, v in changes.items()}
    with pytest.raises(ConfigError) as raised:
        ServerConfig(listen=["127.0.0.1:0"]).with_changes(**resolved).validate()
    assert str(raised.value) == message


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    directory = tmp_path_factory.mktemp("pki")
    ca = make_authority(directory, "main")
    other = make_authority(directory, "other")
    return {
        "dir": directory,
        "ca": ca,
        "server": ca.issue(directory, "converter", server=True),
        "client": ca.issue(directory, "launcher", server=False),
        "stranger": other.issue(directory, "stranger", server=False),
        "other": other,
    }


def _tls_server(pki: dict[str, object], mutual: bool, extra: list[str] | None = None) -> Running:
    server, ca = pki["server"], pki["ca"]
    assert isinstance(server, Issued) and isinstance(ca, Authority)
    return start(
        ServerConfig(
            listen=["127.0.0.1:0", *(extra or [])],
            tls_cert=str(server.cert),
            tls_key=str(server.key),
            tls_client_ca=str(ca.cert_path) if mutual else None,
        )
    )


def _health_over(channel: grpc.Channel) -> int:
    reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    return int(reply.status)


def test_tls_server_converts_for_a_client_trusting_its_ca(pki: dict[str, object]) -> None:
    ca = pki["ca"]
    assert isinstance(ca, Authority)
    running = _tls_server(pki, mutual=False)
    try:
        with tls_channel(running.addresses[0], ca.cert_path) as channel:
            reply = service_pb2_grpc.ConverterStub(channel).Convert(convert_request(request_id="tls"), timeout=10)
        assert reply.id == "tls"
        with grpc.insecure_channel(running.addresses[0]) as plain, pytest.raises(grpc.RpcError) as raised:
            _health_over(plain)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
        other = pki["other"]
        assert isinstance(other, Authority)
        with tls_channel(running.addresses[0], other.cert_path) as wrong_ca, pytest.raises(grpc.RpcError) as raised:
            _health_over(wrong_ca)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        running.stop(0)


def test_mutual_tls_accepts_a_client_certificate_from_the_ca(pki: dict[str, object]) -> None:
    ca, client = pki["ca"], pki["client"]
    assert isinstance(ca, Authority) and isinstance(client, Issued)
    running = _tls_server(pki, mutual=True)
    try:
        with tls_channel(running.addresses[0], ca.cert_path, client) as channel:
            reply = service_pb2_grpc.ConverterStub(channel).Convert(convert_request(request_id="mtls"), timeout=10)
        assert reply.id == "mtls"
    finally:
        running.stop(0)


@pytest.mark.parametrize("who", ["no certificate", "certificate from another CA"])
def test_mutual_tls_rejects_other_clients(pki: dict[str, object], who: str) -> None:
    ca = pki["ca"]
    assert isinstance(ca, Authority)
    client = None if who == "no certificate" else pki["stranger"]
    assert client is None or isinstance(client, Issued)
    running = _tls_server(pki, mutual=True)
    try:
        with tls_channel(running.addresses[0], ca.cert_path, client) as channel, pytest.raises(grpc.RpcError) as raised:
            _health_over(channel)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        running.stop(0)


def test_unix_sockets_stay_plaintext_beside_tls(pki: dict[str, object], sock_dir: Path) -> None:
    running = _tls_server(pki, mutual=True, extra=[f"unix:{sock_dir}/c.sock"])
    try:
        with grpc.insecure_channel(f"unix:{sock_dir}/c.sock") as channel:
            assert _health_over(channel) == health_pb2.HealthCheckResponse.SERVING
    finally:
        running.stop(0)


def test_rotated_certificate_is_used_for_new_connections(pki: dict[str, object], tmp_path: Path) -> None:
    """Kubernetes rewrites a mounted secret in place; new handshakes must present the new certificate."""
    ca, other = pki["ca"], pki["other"]
    assert isinstance(ca, Authority) and isinstance(other, Authority)
    first = ca.issue(tmp_path, "first", server=True)
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    shutil.copy(first.cert, cert)
    shutil.copy(first.key, key)
    running = start(ServerConfig(listen=["127.0.0.1:0"], tls_cert=str(cert), tls_key=str(key)))
    try:
        with tls_channel(running.addresses[0], ca.cert_path) as channel:
            assert _health_over(channel) == health_pb2.HealthCheckResponse.SERVING
        rotated = other.issue(tmp_path, "rotated", server=True)
        shutil.copy(rotated.key, key)
        shutil.copy(rotated.cert, cert)
        with tls_channel(running.addresses[0], other.cert_path) as channel:
            assert _health_over(channel) == health_pb2.HealthCheckResponse.SERVING
        with tls_channel(running.addresses[0], ca.cert_path) as channel, pytest.raises(grpc.RpcError) as raised:
            _health_over(channel)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        running.stop(0)


def test_health_cli_over_mutual_tls(pki: dict[str, object], capsys: pytest.CaptureFixture[str]) -> None:
    ca, client = pki["ca"], pki["client"]
    assert isinstance(ca, Authority) and isinstance(client, Issued)
    running = _tls_server(pki, mutual=True)
    try:
        args = ["health", "--target", running.addresses[0], "--tls-ca", str(ca.cert_path)]
        assert main([*args, "--tls-cert", str(client.cert), "--tls-key", str(client.key)]) == 0
        assert capsys.readouterr().out == "SERVING\n"
        assert main(args) == 1
        assert capsys.readouterr().out.startswith("UNREACHABLE: UNAVAILABLE: ")
    finally:
        running.stop(0)
