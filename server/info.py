"""What this build is: service version, the KubeVirt converter it reproduces, what it supports."""

from __future__ import annotations

from importlib import metadata
from importlib.machinery import EXTENSION_SUFFIXES
from typing import Any

from vmi_converter.converter.common.arch import ARCHES

KUBEVIRT_COMMIT = "d923fdb8"
API_VERSIONS = ("v1",)
GRPC_SERVICES = ("kubevirt.converter.v1.Converter",)
_FALLBACK_VERSION = "0.1.0"


def version() -> str:
    """The installed distribution's version; a source checkout run in place reports the fallback."""
    try:
        return metadata.version("vmi-converter")
    except metadata.PackageNotFoundError:
        return _FALLBACK_VERSION


def build() -> str:
    """"compiled" when the converter runs as C extensions (mypyc, `pip install .`), else "pure"."""
    from vmi_converter.converter import pipeline  # here: `version` alone should not load the converter

    return "compiled" if (pipeline.__file__ or "").endswith(tuple(EXTENSION_SUFFIXES)) else "pure"


def architectures() -> list[str]:
    return sorted(ARCHES)


def server_info() -> dict[str, Any]:
    return {
        "version": version(),
        "build": build(),
        "kubevirtCommit": KUBEVIRT_COMMIT,
        "architectures": architectures(),
        "apiVersions": list(API_VERSIONS),
        "grpcServices": list(GRPC_SERVICES),
    }


def describe() -> str:
    info = server_info()
    return (
        f"vmi-converter {info['version']}\n"
        f"build: {info['build']}\n"
        f"kubevirt commit: {info['kubevirtCommit']}\n"
        f"architectures: {', '.join(info['architectures'])}\n"
        f"api versions: {', '.join(info['apiVersions'])}\n"
        f"grpc services: {', '.join(info['grpcServices'])}\n"
    )
