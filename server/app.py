"""Building and running the gRPC server: converter service, health, reflection."""

from __future__ import annotations

import logging
import os
import signal
import threading
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from kubevirt.converter.v1 import service_pb2, service_pb2_grpc

from server.service import ConverterService

log = logging.getLogger("vmi_converter.server")

DEFAULT_LISTEN = "127.0.0.1:50051"
SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["Converter"].full_name
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass
class Running:
    server: grpc.Server
    health: health.HealthServicer
    ports: list[int]

    def stop(self, grace: float) -> None:
        """Report NOT_SERVING first, then drain in-flight calls for up to `grace` seconds."""
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()


def start(addresses: list[str], max_workers: int = 8, unix_socket_mode: int = 0o600) -> Running:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rpc"),
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
    )
    service_pb2_grpc.add_ConverterServicer_to_server(ConverterService(), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME),
        server,
    )
    ports = []
    for address in addresses:
        if address.startswith("unix:"):
            _remove_stale_socket(address)
        ports.append(server.add_insecure_port(address))
    server.start()
    for address in addresses:
        if address.startswith("unix:"):
            os.chmod(_socket_path(address), unix_socket_mode)
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("serving %s on %s", SERVICE_NAME, ", ".join(addresses))
    return Running(server, health_servicer, ports)


def _socket_path(address: str) -> str:
    path = address[len("unix:") :]
    return path[2:] if path.startswith("//") else path


def _remove_stale_socket(address: str) -> None:
    path = _socket_path(address)
    if os.path.exists(path) and not os.path.isdir(path):
        os.unlink(path)


def serve(addresses: list[str], grace: float = 10.0, max_workers: int = 8) -> int:
    """Run until SIGTERM or SIGINT, then shut down cleanly; returns the exit code."""
    running = start(addresses, max_workers=max_workers)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    log.info("shutting down (grace %.0fs)", grace)
    running.stop(grace)
    for address in addresses:
        if address.startswith("unix:"):
            _remove_stale_socket(address)
    return 0
