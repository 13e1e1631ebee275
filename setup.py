"""Build of the `vmi-converter` distribution: the repository's folders under one import namespace.

The repository keeps its top-level folders; installed, they live under `vmi_converter`:

    converter/      -> vmi_converter.converter   the pure VMI -> domain library
    server/         -> vmi_converter.server      gRPC service and CLI
    protos/python/  -> vmi_converter.api         generated stubs of protos/ (scripts/gen-protos)

Metadata lives in pyproject.toml; this file only computes the package list from that mapping.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
NAMESPACE = "vmi_converter"
PACKAGE_DIRS = {
    f"{NAMESPACE}.converter": "converter",
    f"{NAMESPACE}.server": "server",
    f"{NAMESPACE}.api": "protos/python",
}


def mapped_packages() -> list[str]:
    """Every package below each mapped folder (a folder with an __init__.py), named in the namespace."""
    packages = []
    for name, folder in PACKAGE_DIRS.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            relative = init.parent.relative_to(ROOT / folder)
            packages.append(".".join([name, *relative.parts]))
    return packages


setup(package_dir=PACKAGE_DIRS, packages=mapped_packages())
