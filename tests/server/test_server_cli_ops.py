"""`vmi-converter version`, `vmi-converter health`, and the serve options' defaults."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import EXPECTED_BUILD

from vmi_converter.server.app import Running, start
from vmi_converter.server.cli import _parser, main, serve_config
from vmi_converter.server.config import ServerConfig
from vmi_converter.server.info import server_info


def test_version_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version"]) == 0
    out = capsys.readouterr().out
    version = server_info()["version"]
    assert out == (
        f"vmi-converter {version}\n"
        f"build: {EXPECTED_BUILD}\n"
        "kubevirt commit: d923fdb8\n"
        "architectures: amd64, arm64, s390x\n"
        "api versions: v1\n"
        "grpc services: kubevirt.converter.v1.Converter\n"
    )


def test_version_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["version", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info == {
        "version": server_info()["version"],
        "build": EXPECTED_BUILD,
        "kubevirtCommit": "d923fdb8",
        "architectures": ["amd64", "arm64", "s390x"],
        "apiVersions": ["v1"],
        "grpcServices": ["kubevirt.converter.v1.Converter"],
    }


@pytest.fixture
def running() -> Iterator[Running]:
    server = start(ServerConfig(listen=["127.0.0.1:0"]))
    try:
        yield server
    finally:
        server.stop(0)


def test_health_command_serving_then_not(running: Running, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--target", running.addresses[0]]) == 0
    assert capsys.readouterr().out == "SERVING\n"
    assert main(["health", "--target", running.addresses[0], "--service", "kubevirt.converter.v1.Converter"]) == 0
    capsys.readouterr()
    running.not_serving()
    assert main(["health", "--target", running.addresses[0]]) == 1
    assert capsys.readouterr().out == "NOT_SERVING\n"


def test_health_command_unknown_service(running: Running, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--target", running.addresses[0], "--service", "nope"]) == 1
    assert capsys.readouterr().out == "ERROR: NOT_FOUND\n"


def test_health_command_nobody_listening(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health", "--target", "unix:/nonexistent/c.sock", "--timeout", "1"]) == 1
    assert capsys.readouterr().out.startswith("UNREACHABLE: ")


def test_serve_defaults() -> None:
    config = serve_config(_parser().parse_args(["serve", "--workers", "1"]))
    assert config == ServerConfig(workers=1)
    assert (config.listen, config.max_message_bytes, config.max_concurrent_rpcs, config.max_stream_items) == (
        ["127.0.0.1:50051"],
        16 * 1024 * 1024,
        32,
        100_000,
    )
    assert (config.unix_socket_mode, config.grace, config.shutdown_delay, config.metrics_listen) == (
        0o600,
        10.0,
        0.0,
        None,
    )


def test_unix_only_server_is_one_process() -> None:
    config = serve_config(_parser().parse_args(["serve", "--listen", "unix:/tmp/x.sock", "--workers", "4"]))
    assert config.workers == 1


def test_serve_help_mentions_the_unix_socket_rule(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "unix sockets are served by worker 0 only" in help_text
    assert "a server with no TCP address runs one process" in help_text
