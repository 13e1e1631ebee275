"""protos/ compiles with plain protoc, lints with buf, and the committed Python and Go stubs are fresh."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_protos_compile_with_plain_protoc(tmp_path: Path) -> None:
    """Only protos/ and the well-known types protoc ships: no googleapis checkout."""
    if shutil.which("protoc") is None:
        pytest.skip("protoc not installed (scripts/setup-clients)")
    protos = sorted(str(p.relative_to(REPO / "protos")) for p in (REPO / "protos").rglob("*.proto"))
    proc = _run("protoc", "-I", "protos", "-o", str(tmp_path / "all.binpb"), *protos)
    assert proc.returncode == 0, proc.stderr


def test_python_stubs_are_fresh() -> None:
    proc = _run("scripts/check-stubs", "--python", "--no-lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_go_stubs_are_fresh() -> None:
    if not all(shutil.which(tool) for tool in ("protoc", "protoc-gen-go", "protoc-gen-go-grpc")):
        pytest.skip("protoc, protoc-gen-go or protoc-gen-go-grpc not installed (scripts/setup-clients)")
    proc = _run("scripts/check-stubs", "--no-lint")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_buf_lint() -> None:
    if shutil.which("npx") is None:
        pytest.skip("npx not installed (scripts/setup-clients)")
    proc = _run("npx", "--yes", "@bufbuild/buf", "lint", "protos")
    assert proc.returncode == 0, proc.stdout + proc.stderr
