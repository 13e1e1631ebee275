"""Byte snapshots: the exact text the converter emits for each of the 43 reference requests.

tests/test_golden.py holds our domains to KubeVirt's after libvirt has normalised both sides, which
cannot see element order, `<x></x>` against `<x/>`, or what libvirt fills in. These snapshots can:
any change to the emitted bytes fails here. When a change is meant, regenerate them with
`.venv/bin/python -m pytest -p no:cacheprovider tests/test_snapshots.py --update-snapshots` and review the diff.
"""

from __future__ import annotations

import pytest
from conftest import REPO, fixture_names, load_request

from vmi_converter.converter.pipeline import convert

SNAPSHOTS = REPO / "tests" / "data" / "snapshots"


def test_one_snapshot_per_reference_request() -> None:
    assert sorted(p.stem for p in SNAPSHOTS.glob("*.xml")) == fixture_names()
    assert len(fixture_names()) == 43


@pytest.mark.parametrize("name", fixture_names())
def test_emitted_bytes_match_the_snapshot(name: str, request: pytest.FixtureRequest) -> None:
    reference = load_request(name)
    emitted = convert(reference["vmi"], reference["context"]).xml.encode()
    snapshot = SNAPSHOTS / f"{name}.xml"
    if request.config.getoption("--update-snapshots"):
        snapshot.write_bytes(emitted)
    assert emitted == snapshot.read_bytes(), f"{name}: the emitted domain differs from {snapshot}"
