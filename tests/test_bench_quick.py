"""The benchmark scripts run (in --quick mode) and print every row they promise; nothing is timed here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXPECTED_DIR

REPO = Path(__file__).resolve().parents[1]
NUMBER = r"\d+(?:\.\d+)?"


def _run(script: str) -> str:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _row(output: str, name: str, numbers: int) -> list[str]:
    """The numbers of the row called `name` (it must be there, with `numbers` of them)."""
    label = r"\s+".join(re.escape(word) for word in name.split())
    match = re.search(rf"^{label}\s+((?:{NUMBER}\s*){{{numbers}}})$", output, re.MULTILINE)
    assert match is not None, f"no row {name!r} with {numbers} numbers in:\n{output}"
    return match.group(1).split()


@pytest.mark.skipif(not (EXPECTED_DIR / "golden-amd64.json").exists(), reason="reference requests not available")
def test_convert_bench_quick() -> None:
    output = _run("convert_bench.py")
    assert output.startswith("machine: ")
    for name in ("golden-amd64", "golden-amd64 +json.loads", "golden-amd64 gc-disabled", "large-64disks-16nics"):
        count, mean, median, p99 = (float(n) for n in _row(output, name, 4))
        assert count > 0 and 0 < median <= p99 and mean > 0
    scaling = output.split("scaling:", 1)[1]
    for devices in (2, 8, 32):  # --quick stops before the biggest sizes
        assert re.search(rf"^\s+{devices}\s+\d+\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}", scaling, re.MULTILINE), scaling


@pytest.mark.skipif(not (EXPECTED_DIR / "golden-amd64.json").exists(), reason="reference requests not available")
def test_server_bench_quick() -> None:
    output = _run("server_bench.py")
    assert "request: golden-amd64 ConvertRequest" in output
    for mode in ("unary", "pipelined", "stream"):
        calls, rate, p50, p99 = (float(n) for n in _row(output, f"echo {mode}", 4))
        assert calls > 0 and rate > 0 and 0 < p50 <= p99
        converter_rows = re.findall(rf"^convert\S*\s+{mode}\s+.*\d+%$", output, re.MULTILINE)
        assert converter_rows, output
