"""The benchmark scripts run (in --quick mode) and print every row they promise; nothing is timed here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXPECTED_DIR

REPO = Path(__file__).resolve().parents[1]
NUMBER = r"-?\d+(?:\.\d+)?"  # a batch difference can come out negative on a busy machine


def _run(script: str, *options: str) -> str:
    result = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), "--quick", *options],
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
    match = re.search(rf"^{label}\s+((?:{NUMBER}%?\s*){{{numbers}}})$", output, re.MULTILINE)
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
    """Both echo flavours, the shipped server and the serving variants, each request kind and mode; the
    converter's rows carry their share of the floor (the bench itself checks answers name their VMI)."""
    output = _run("server_bench.py", "--serving")
    assert "a distinct VMI per call" in output
    for target in ("echo-sync", "echo-aio", "convert-1w", "convert-bare", "convert-aio"):
        for kind in ("typed", "vmiJson"):
            for mode in ("sequential", "pipelined", "stream"):
                numbers = _row(output, f"{target} {kind} {mode}", 5 if target.startswith("echo") else 6)
                calls, rate, p50, p99, cpu = (float(n) for n in numbers[:5])
                assert calls == 60 and rate > 0 and 0 < p50 <= p99 and cpu >= 0
                if not target.startswith("echo"):
                    assert numbers[5].endswith("%")
    for kind in ("typed", "vmiJson"):
        assert re.search(rf"^floor {kind}: sequential \d+/s, pipelined \d+/s, stream \d+/s$", output, re.MULTILINE)
    for level in ("WARNING", "INFO"):
        assert re.search(rf"^interceptors, log {level}: {NUMBER} cpu_us per call", output, re.MULTILINE), output


@pytest.mark.skipif(not (EXPECTED_DIR / "golden-amd64.json").exists(), reason="reference requests not available")
def test_cli_bench_quick(tmp_path: Path) -> None:
    """One conversion per process and the batch, for ours and for a reference command given on the
    command line (here ours again through the module: any command taking FILE... works)."""
    reference = f"{sys.executable} -m vmi_converter.server convert --out-dir {tmp_path}"
    output = _run("cli_bench.py", "--reference", reference)
    for name in ("vmi-converter", "reference"):
        median, fastest, _per_conversion, one, everything = (float(n) for n in _row(output, name, 5))
        assert 0 < fastest <= median and one > 0 and everything > 0
    startup = [float(n) for n in _row(output, "python-startup", 2)]
    assert 0 < startup[1] <= startup[0]
    assert re.search(r"^batch per conversion, vmi-converter / reference: -?\d+\.\d+x;", output, re.MULTILINE)
    assert len(list(tmp_path.glob("golden-0*.xml"))) == 20  # the reference really ran on the batch
