"""bench/soak.py still runs: a two-second soak against a server it starts on loopback."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from ops_harness import REPO


def _soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", REPO / "bench" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_short_soak_reports_no_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "soak.json"
    args = ["--seconds", "2", "--workers", "1", "--clients", "2", "--report-every", "1", "--json", str(report)]
    assert _soak().main(args) == 0
    summary = json.loads(report.read_text())["summary"]
    assert summary["unexpected_errors"] == 0
    assert summary["calls"] > 0 and summary["items"] >= summary["calls"]
    assert summary["rss_mib_last"] > 10
    assert "calls/s" in capsys.readouterr().out


def test_soak_refuses_a_non_loopback_target() -> None:
    with pytest.raises(SystemExit) as raised:
        _soak().main(["--seconds", "1", "--target", "10.0.0.1:50051"])
    assert str(raised.value) == "--target 10.0.0.1:50051: only loopback addresses are driven"
