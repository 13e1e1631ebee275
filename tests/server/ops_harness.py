"""Helpers for the server-operations tests: `vmi-converter serve` as a real process, its JSON log,
log capture for in-process servers, throwaway certificates, and small requests."""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from vmi_converter.api import service_pb2

REPO = Path(__file__).resolve().parents[2]


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll until `predicate()` is truthy; its value, or AssertionError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


# --- requests ----------------------------------------------------------------------------------


def small_vmi(name: str = "vm1", namespace: str = "default", **extra_spec: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {"domain": {"devices": {}, "resources": {"requests": {"memory": "64Mi"}}}, **extra_spec}
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": {"name": name, "namespace": namespace, "uid": "0f5c6c2e-6a0e-4a5e-9d77-2f4a0b3c9c01"},
        "spec": spec,
    }


def convert_request(name: str = "vm1", request_id: str = "", arch: str = "amd64") -> service_pb2.ConvertRequest:
    request = service_pb2.ConvertRequest(id=request_id, vmi_json=json.dumps(small_vmi(name)).encode())
    request.context.architecture = arch
    request.context.hypervisor_device_available = True
    return request


def stream_item(name: str, request_id: str, arch: str = "amd64") -> service_pb2.ConvertStreamRequest:
    item = service_pb2.ConvertStreamRequest(id=request_id, vmi_json=json.dumps(small_vmi(name)).encode())
    item.context.architecture = arch
    item.context.hypervisor_device_available = True
    return item


class Feeder:
    """A request iterator the test feeds item by item; `close()` half-closes the stream."""

    _END = object()

    def __init__(self) -> None:
        self._items: queue.Queue[Any] = queue.Queue()

    def send(self, item: Any) -> None:
        self._items.put(item)

    def close(self) -> None:
        self._items.put(self._END)

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                item = self._items.get(timeout=60)
            except queue.Empty:
                return
            if item is self._END:
                return
            yield item


# --- in-process log capture ----------------------------------------------------------------------


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def fields(self, msg: str = "rpc", **match: Any) -> list[dict[str, Any]]:
        found = []
        for record in list(self.records):
            fields = getattr(record, "fields", {})
            if record.getMessage() == msg and all(fields.get(k) == v for k, v in match.items()):
                found.append(dict(fields))
        return found

    def one(self, msg: str = "rpc", timeout: float = 10.0, **match: Any) -> dict[str, Any]:
        lines = wait_until(lambda: self.fields(msg, **match), timeout)
        assert len(lines) == 1, lines
        result: dict[str, Any] = lines[0]
        return result


@contextmanager
def captured_logs(name: str = "vmi_converter", level: int = logging.DEBUG) -> Iterator[Records]:
    logger = logging.getLogger(name)
    handler = Records()
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


# --- `vmi-converter serve` as a process ----------------------------------------------------------


def child_env() -> dict[str, str]:
    paths = [str(REPO), str(REPO / "clients" / "python"), os.environ.get("PYTHONPATH", "")]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p))


class ServerProcess:
    """`python -m vmi_converter.server serve ARGS`; its stderr JSON lines are collected as they come."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vmi_converter.server", "serve", *args],
            cwd=REPO,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict[str, Any]] = []
        self.raw: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.raw.append(line)
            with suppress(ValueError):
                self.lines.append(json.loads(line))

    def find(self, msg: str, **match: Any) -> list[dict[str, Any]]:
        return [
            line
            for line in list(self.lines)
            if line.get("msg") == msg and all(line.get(k) == v for k, v in match.items())
        ]

    def wait_line(self, msg: str, timeout: float = 20.0, **match: Any) -> dict[str, Any]:
        def seen() -> dict[str, Any] | None:
            found = self.find(msg, **match)
            if not found and self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}: {''.join(self.raw)}")
            return found[0] if found else None

        line: dict[str, Any] = wait_until(seen, timeout)
        return line

    def started(self, timeout: float = 20.0) -> dict[str, Any]:
        """The first start line (the supervisor's when there are workers)."""
        return self.wait_line("start", timeout)

    def signal(self, sig: int = signal.SIGTERM) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float = 30.0) -> int:
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)
        self._reader.join(5)


@contextmanager
def server_process(*args: str) -> Iterator[ServerProcess]:
    proc = ServerProcess(*args)
    try:
        yield proc
    finally:
        proc.stop()


# --- certificates --------------------------------------------------------------------------------


@dataclass
class Issued:
    cert: Path
    key: Path


@dataclass
class Authority:
    name: str
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    cert_path: Path

    def issue(self, directory: Path, common_name: str, *, server: bool) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.now(UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
        )
        if server:
            names = [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        stem = directory / f"{self.name}-{common_name}"
        return Issued(_write_cert(stem.with_suffix(".crt"), cert), _write_key(stem.with_suffix(".key"), key))


def make_authority(directory: Path, name: str) -> Authority:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Authority(name, key, cert, _write_cert(directory / f"{name}-ca.crt", cert))


def _write_cert(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)
    return path


def tls_channel(target: str, ca: Path, client: Issued | None = None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes(),
        private_key=client.key.read_bytes() if client else None,
        certificate_chain=client.cert.read_bytes() if client else None,
    )
    return grpc.secure_channel(target, credentials)
