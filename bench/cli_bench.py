"""The command line as a user meets it: one conversion as a whole process, and a batch per conversion.

- single: `vmi-converter convert golden-amd64.json` run --runs times, each a new process; median and
  fastest wall time (startup, imports, one conversion, exit).
- batch: N copies of the golden request in a temporary directory converted by one
  `vmi-converter convert --out-dir DIR FILE...`; per conversion = (time(N) - time(1)) / (N - 1), which
  leaves out the process start; the median over --rounds rounds.
- python: `python -c pass` with the same interpreter, the floor any Python command pays.

--reference CMD measures another converter the same way in the same run: CMD FILE for one
conversion, CMD FILE... for the batch (it must write each domain to stdout, which is discarded).

    python bench/cli_bench.py                      # about a minute on 2 CPUs
    python bench/cli_bench.py --reference '/path/to/other-converter'
    python bench/cli_bench.py --quick              # a few seconds, for CI
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "bench")]

from convert_bench import machine, reference_dir  # noqa: E402

Command = Callable[[list[str]], list[str]]  # input files -> argv


def ours() -> list[str]:
    """The installed console script next to this interpreter, else the module."""
    script = Path(sys.executable).parent / "vmi-converter"
    return [str(script)] if script.exists() else [sys.executable, "-m", "vmi_converter.server"]


def wall_seconds(argv: list[str]) -> float:
    """Wall time of one process run to completion; a failure stops the benchmark."""
    start = time.perf_counter()
    result = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(argv[:4])}... exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return seconds


def single(argv: list[str], runs: int) -> tuple[float, float]:
    """(median, fastest) milliseconds of `runs` whole-process runs, after one untimed run (file cache)."""
    wall_seconds(argv)
    times = [wall_seconds(argv) for _ in range(runs)]
    return statistics.median(times) * 1e3, min(times) * 1e3


def batch(command: Command, files: list[str], rounds: int) -> tuple[float, float, float]:
    """(µs per conversion, median ms of time(1), median ms of time(N)) over `rounds` rounds."""
    wall_seconds(command(files[:1]))
    ones, alls, per = [], [], []
    for _ in range(rounds):
        one, everything = wall_seconds(command(files[:1])), wall_seconds(command(files))
        ones.append(one)
        alls.append(everything)
        per.append((everything - one) / (len(files) - 1))
    return statistics.median(per) * 1e6, statistics.median(ones) * 1e3, statistics.median(alls) * 1e3


def golden_copies(directory: Path, count: int) -> list[str]:
    golden = (reference_dir() / "expected" / "golden-amd64.json").read_bytes()
    files = []
    for index in range(count):
        path = directory / f"golden-{index:05d}.json"
        path.write_bytes(golden)
        files.append(str(path))
    return files


def check_batch(out_dir: Path, count: int, golden: str) -> None:
    """Our batch wrote one domain per copy, each the domain a single conversion prints."""
    domains = sorted(out_dir.glob("*.xml"))
    single_output = subprocess.run([*ours(), "convert", golden], capture_output=True, check=True).stdout
    if len(domains) != count or domains[0].read_bytes() != single_output or list(out_dir.glob("*.err")):
        raise RuntimeError(f"the batch wrote {len(domains)} domains for {count} files, or not the golden domain")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds: 3 runs, a batch of 20, one round")
    parser.add_argument("--runs", type=int, help="whole-process runs of one conversion (default 21, quick 3)")
    parser.add_argument("--batch", type=int, help="copies of the golden request in the batch (default 1000, quick 20)")
    parser.add_argument("--rounds", type=int, help="batch rounds; the median is reported (default 3, quick 1)")
    parser.add_argument("--reference", metavar="CMD", help="another converter: CMD FILE... prints each domain")
    args = parser.parse_args(argv)
    runs = args.runs or (3 if args.quick else 21)
    count = args.batch or (20 if args.quick else 1000)
    rounds = args.rounds or (1 if args.quick else 3)
    golden = str(reference_dir() / "expected" / "golden-amd64.json")

    print(f"machine: {machine()}, load average {os.getloadavg()[0]:.1f}")
    print(f"single: {runs} runs of one conversion per process; batch: {count} copies, {rounds} round(s)")
    print()
    with tempfile.TemporaryDirectory(prefix="cli-bench-") as temp:
        files = golden_copies(Path(temp), count)
        out_dir = Path(temp) / "out"
        commands: dict[str, Command] = {"vmi-converter": lambda f: [*ours(), "convert", "--out-dir", str(out_dir), *f]}
        if args.reference:
            reference = shlex.split(args.reference)
            commands["reference"] = lambda f: [*reference, *f]
        rows = []
        for name, command in commands.items():
            median, fastest = single(command([golden]) if name == "reference" else [*ours(), "convert", golden], runs)
            rows.append((name, median, fastest, *batch(command, files, rounds)))
        check_batch(out_dir, count, golden)
        shutil.rmtree(out_dir)
    python_median, python_fastest = single([sys.executable, "-c", "pass"], runs)

    print(f"{'command':16s} {'single_median_ms':>17s} {'single_min_ms':>14s} ", end="")
    print(f"{'batch_us_per_conversion':>24s} {'batch_1_ms':>11s} {'batch_n_ms':>11s}")
    for name, median, fastest, per, one, everything in rows:
        print(f"{name:16s} {median:17.1f} {fastest:14.1f} {per:24.0f} {one:11.1f} {everything:11.1f}")
    print(f"{'python-startup':16s} {python_median:17.1f} {python_fastest:14.1f}")
    if args.reference:
        ratio = rows[0][3] / rows[1][3]
        print(f"\nbatch per conversion, vmi-converter / reference: {ratio:.2f}x;", end=" ")
        print(f"single process: {rows[0][1] / rows[1][1]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
