"""A gRPC health check from the command line (Docker HEALTHCHECK, exec probes, scripts)."""

from __future__ import annotations

from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def check_health(
    target: str,
    service: str = "",
    timeout: float = 3.0,
    ca: str | None = None,
    cert: str | None = None,
    key: str | None = None,
    server_name: str | None = None,
) -> tuple[str, str | None]:
    """(status name, None) from the server, or ("UNREACHABLE"/"ERROR", why)."""
    try:
        channel = _channel(target, ca, cert, key, server_name)
    except OSError as err:
        return "ERROR", str(err)
    with channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError as err:
            name = (
                "UNREACHABLE"
                if err.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
                else "ERROR"
            )
            details = err.details()
            return name, f"{err.code().name}: {details}" if details else err.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status), None


def _channel(target: str, ca: str | None, cert: str | None, key: str | None, server_name: str | None) -> grpc.Channel:
    if ca is None and cert is None:
        return grpc.insecure_channel(target)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=Path(ca).read_bytes() if ca else None,
        private_key=Path(key).read_bytes() if key else None,
        certificate_chain=Path(cert).read_bytes() if cert else None,
    )
    options = [("grpc.ssl_target_name_override", server_name)] if server_name else []
    return grpc.secure_channel(target, credentials, options=options)
