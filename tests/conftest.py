"""Shared fixtures: KubeVirt's reference requests and expected domains."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def reference_dir() -> Path:
    env = os.environ.get("VMI_CONVERTER_REFERENCE")
    if env:
        return Path(env)
    return REPO.parent / "shared" / "reference"


EXPECTED_DIR = reference_dir() / "kubevirt-expected"


def load_request(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXPECTED_DIR / f"{name}.json").read_text())
    return data


def expected_xml(name: str) -> str:
    return (EXPECTED_DIR / f"{name}.xml").read_text()


def fixture_names() -> list[str]:
    return sorted(p.stem for p in EXPECTED_DIR.glob("*.json"))


@pytest.fixture
def reference() -> Path:
    return reference_dir()
