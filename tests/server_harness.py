"""A real server on a free loopback port or a unix socket, for RPC tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf import json_format

from vmi_converter.api import service_pb2, service_pb2_grpc
from vmi_converter.server.app import start
from vmi_converter.server.config import ServerConfig

M = TypeVar("M", service_pb2.ConvertRequest, service_pb2.ConvertStreamRequest, service_pb2.ExplainRequest)


@contextmanager
def running_server(address: str = "127.0.0.1:0") -> Iterator[str]:
    """Start the server; yield the address a client dials."""
    running = start(ServerConfig(listen=[address], max_concurrent_rpcs=4))
    try:
        yield running.addresses[0]
    finally:
        running.stop(grace=1)


@contextmanager
def stub(target: str) -> Iterator[service_pb2_grpc.ConverterStub]:
    with grpc.insecure_channel(target) as channel:
        yield service_pb2_grpc.ConverterStub(channel)


def convert_request(document: dict[str, Any], request_id: str = "", kind: type[M] = service_pb2.ConvertRequest) -> M:
    """A Convert(Stream)Request from the JSON form `{"vmi": ..., "context": ...}` (protobuf's JSON mapping)."""
    body = dict(document, id=request_id)
    return json_format.Parse(json.dumps(body), kind())


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path
