"""Building and running one server process: converter service, health, reflection, limits, observability."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from vmi_converter.api import service_pb2, service_pb2_grpc
from vmi_converter.server import metrics
from vmi_converter.server.config import DEFAULT_LISTEN, ServerConfig, is_unix
from vmi_converter.server.info import KUBEVIRT_COMMIT, version
from vmi_converter.server.limits import (
    ConcurrencyInterceptor,
    ConcurrencyLimit,
    LimitsInterceptor,
    SlotReleasingExecutor,
)
from vmi_converter.server.logs import log
from vmi_converter.server.observe import ObservingInterceptor
from vmi_converter.server.service import ConverterService
from vmi_converter.server.signals import Shutdown
from vmi_converter.server.transport import (
    bind,
    finish_unix_socket,
    prepare_unix_socket,
    remove_unix_socket,
    server_credentials,
    socket_umask,
)

__all__ = ["DEFAULT_LISTEN", "Running", "serve", "start"]

server_log = logging.getLogger("vmi_converter.server")

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["Converter"].full_name
HEALTH_SERVICE_NAME = health_pb2.DESCRIPTOR.services_by_name["Health"].full_name
# Threads for the plaintext health-only listener: probes are tiny and must never queue behind conversions.
_HEALTH_THREADS = 2
_REFUSING_THREADS = 2


@dataclass
class Running:
    config: ServerConfig
    server: grpc.Server
    health: health.HealthServicer
    addresses: list[str]
    health_server: grpc.Server | None = None
    health_addresses: list[str] = field(default_factory=list)

    @property
    def ports(self) -> list[int]:
        return [int(a.rpartition(":")[2]) for a in self.addresses if not is_unix(a)]

    def not_serving(self) -> None:
        self.health.enter_graceful_shutdown()

    def stop(self, grace: float) -> None:
        """Report NOT_SERVING first, refuse new calls, then give in-flight calls up to `grace` seconds."""
        self.not_serving()
        self.server.stop(grace).wait()
        if self.health_server is not None:
            self.health_server.stop(0).wait()
        for address in [*self.addresses, *self.health_addresses]:
            if is_unix(address):
                remove_unix_socket(address)


def _options(config: ServerConfig) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        # Off unless the supervisor shares the port between workers: a second server started by
        # mistake on the same port must fail, not silently take half the connections.
        ("grpc.so_reuseport", 1 if config.reuse_port else 0),
    ]


def start(config: ServerConfig | None = None) -> Running:
    config = (config or ServerConfig()).validate()
    credentials = server_credentials(config)
    # One thread per admitted call, and a few to refuse calls over the limit at once while every admitted
    # call is busy. The limit is ours, not gRPC's maximum_concurrent_rpcs (server.limits says why); the
    # observing interceptor comes first so that refused calls are counted and logged.
    limit = ConcurrencyLimit(config.max_concurrent_rpcs)
    threads = config.max_concurrent_rpcs + _REFUSING_THREADS
    server = grpc.server(
        SlotReleasingExecutor(limit, max_workers=threads, thread_name_prefix="rpc"),
        interceptors=[
            ObservingInterceptor(),
            ConcurrencyInterceptor(limit),
            LimitsInterceptor(config.max_stream_items),
        ],
        options=_options(config),
    )
    service_pb2_grpc.add_ConverterServicer_to_server(ConverterService(), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, HEALTH_SERVICE_NAME, reflection.SERVICE_NAME), server)

    addresses = _listen(server, config.listen, config, credentials)
    health_server, health_addresses = None, []
    if config.health_listen:
        health_server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=_HEALTH_THREADS, thread_name_prefix="health"),
            options=_options(config),
        )
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, health_server)
        health_addresses = _listen(health_server, config.health_listen, config, None)
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return Running(config, server, health_servicer, addresses, health_server, health_addresses)


def _listen(
    server: grpc.Server, addresses: list[str], config: ServerConfig, credentials: grpc.ServerCredentials | None
) -> list[str]:
    """Bind every address (TLS on TCP when configured; unix sockets are protected by their file mode) and start."""
    bound = []
    with socket_umask(config.unix_socket_mode):
        for address in addresses:
            if is_unix(address):
                prepare_unix_socket(address)
                bound.append(bind(server, address, None))
            else:
                bound.append(bind(server, address, credentials))
        server.start()
    for address in bound:
        if is_unix(address):
            finish_unix_socket(address, config.unix_socket_mode)
    return bound


def serve(config: ServerConfig) -> int:
    """Run one server process until SIGTERM or SIGINT, then shut down cleanly; returns the exit code."""
    shutdown = Shutdown()
    shutdown.install()
    if config.worker_index is not None:
        shutdown.watch_parent()
    running = start(config)
    with _metrics_endpoint(config) as metrics_address:
        log(
            server_log,
            logging.INFO,
            "start",
            version=version(),
            kubevirt_commit=KUBEVIRT_COMMIT,
            listen=running.addresses,
            health_listen=running.health_addresses,
            metrics_listen=metrics_address,
            tls=config.tls_mode,
            worker=config.worker_index,
            max_concurrent_rpcs=config.max_concurrent_rpcs,
            max_message_bytes=config.max_message_bytes,
            max_stream_items=config.max_stream_items,
        )
        shutdown.wait()
        drain(running, config, shutdown)
    return 0


def drain(running: Running, config: ServerConfig, shutdown: Shutdown) -> None:
    started = time.monotonic()
    running.not_serving()
    log(server_log, logging.INFO, "shutdown", grace_s=config.grace, shutdown_delay_s=config.shutdown_delay)
    shutdown.hurry.wait(config.shutdown_delay)
    stopped = running.server.stop(config.grace)
    while not stopped.wait(0.2):
        if shutdown.hurry.is_set():
            running.server.stop(0).wait()
            break
    running.stop(0)
    log(server_log, logging.INFO, "stopped", duration_s=round(time.monotonic() - started, 3))


@contextlib.contextmanager
def _metrics_endpoint(config: ServerConfig) -> Iterator[str | None]:
    if config.metrics_listen is None:
        yield None
        return
    endpoint = metrics.serve_metrics(config.metrics_listen)
    try:
        yield endpoint.address
    finally:
        endpoint.close()
