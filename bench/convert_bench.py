"""In-process conversion benchmark: VMI dict + context dict in, domain XML string out.

Rows: KubeVirt's golden domains, a large VMI (64 disks, 16 NICs), KubeVirt's
example requests, the golden amd64 request with its JSON parsing, and the
golden amd64 request with the garbage collector off; then a scaling run over
1..256 disks and NICs giving the cost per device.

    python bench/convert_bench.py            # full run (about a minute)
    python bench/convert_bench.py --quick    # a few seconds, for CI

Times are wall-clock per conversion (time.perf_counter_ns) after a warm-up,
with the garbage collector running as it does in the server unless a row says
otherwise.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout, not whatever copy pip installed

from vmi_converter.converter.pipeline import convert  # noqa: E402

JSON = dict[str, Any]
SCALING_SIZES = (1, 4, 16, 64, 256)


def reference_dir() -> Path:
    """KubeVirt's reference requests, carried in the repository (as tests/conftest.py finds them)."""
    return REPO / "tests" / "data" / "kubevirt"


# ---------------------------------------------------------------- inputs


def large_vmi(disks: int, nics: int) -> JSON:
    """A VMI with `disks` virtio disks (PVC, container disk, empty disk in turn) and `nics` bridge NICs."""
    disk_specs: list[JSON] = []
    volumes: list[JSON] = []
    for i in range(disks):
        name = f"disk{i}"
        disk_specs.append({"name": name, "disk": {"bus": "virtio"}})
        if i % 3 == 0:
            volumes.append({"name": name, "persistentVolumeClaim": {"claimName": f"pvc-{i}"}})
        elif i % 3 == 1:
            volumes.append({"name": name, "containerDisk": {"image": f"registry.example/disk:{i}"}})
        else:
            volumes.append({"name": name, "emptyDisk": {"capacity": "1Gi"}})
    interfaces: list[JSON] = [{"name": "default", "masquerade": {}}]
    networks: list[JSON] = [{"name": "default", "pod": {}}]
    for i in range(1, nics):
        interfaces.append({"name": f"net{i}", "bridge": {}})
        networks.append({"name": f"net{i}", "multus": {"networkName": f"ns/net{i}"}})
    return {
        "apiVersion": "kubevirt.io/v1",
        "kind": "VirtualMachineInstance",
        "metadata": {"name": "large", "namespace": "bench", "uid": "0c7a5b3e-8d1f-4a8e-9a55-6f0f4ae1d2c4"},
        "spec": {
            "domain": {
                "cpu": {"cores": 4},
                "resources": {"requests": {"memory": "4Gi"}},
                "devices": {"disks": disk_specs, "interfaces": interfaces},
            },
            "networks": networks,
            "volumes": volumes,
        },
    }


def large_request(disks: int, nics: int) -> JSON:
    """The large VMI with the context a launcher would send (image facts of its container disks)."""
    vmi = large_vmi(disks, nics)
    disks_info = {
        v["name"]: {"format": "qcow2", "virtual-size": 1 << 30} for v in vmi["spec"]["volumes"] if "containerDisk" in v
    }
    context = {
        "architecture": "amd64",
        "hypervisorDeviceAvailable": True,
        "disksInfo": disks_info,
        "domainAttachmentByInterfaceName": {i["name"]: "tap" for i in vmi["spec"]["domain"]["devices"]["interfaces"]},
    }
    return {"vmi": vmi, "context": context}


def fixture_requests(reference: Path, quick: bool) -> list[tuple[str, JSON]]:
    expected = reference / "expected"
    names = sorted(p.stem for p in expected.glob("golden-*.json"))
    names += sorted(p.stem for p in expected.glob("vm-*.json"))
    names += sorted(p.stem for p in expected.glob("vmi-*.json"))
    if quick:
        names = [n for n in names if n == "golden-amd64"] + [n for n in names if n.startswith("vmi-")][:2]
    return [(name, json.loads((expected / f"{name}.json").read_text())) for name in names]


# ---------------------------------------------------------------- timing


def measure(run: Callable[[], object], iterations: int, warmup: int, gc_enabled: bool = True) -> list[int]:
    """Per-call nanoseconds of `run` after `warmup` untimed calls."""
    for _ in range(warmup):
        run()
    samples = [0] * iterations
    was_enabled = gc.isenabled()
    if not gc_enabled:
        gc.collect()
        gc.disable()
    try:
        clock = time.perf_counter_ns
        for i in range(iterations):
            start = clock()
            run()
            samples[i] = clock() - start
    finally:
        if was_enabled:
            gc.enable()
    return samples


def summary(samples: list[int]) -> tuple[float, float, float]:
    """(mean, median, p99) in microseconds."""
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.fmean(ordered) / 1e3, statistics.median(ordered) / 1e3, p99 / 1e3


def converter(request: JSON) -> Callable[[], str]:
    vmi, context = request["vmi"], request.get("context")
    return lambda: convert(vmi, context).xml


def converter_from_json(raw: bytes) -> Callable[[], str]:
    def run() -> str:
        request = json.loads(raw)
        return convert(request["vmi"], request.get("context")).xml

    return run


def iterations_for(base: int, devices: int = 0) -> int:
    """Fewer iterations for big inputs, so every row takes about as long."""
    return max(20, base // max(1, devices // 8))


# ---------------------------------------------------------------- report


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cpu = model or platform.processor() or "unknown CPU"
    return f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}"


def print_row(name: str, samples: list[int]) -> None:
    mean, median, p99 = summary(samples)
    print(f"{name:44s} {len(samples):7d} {mean:10.1f} {median:10.1f} {p99:10.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a few seconds: fewer rows and iterations")
    parser.add_argument("--iterations", type=int, help="timed conversions per row (default 3000, quick 200)")
    parser.add_argument("--warmup", type=int, help="untimed conversions first (default 300, quick 20)")
    parser.add_argument("--reference", type=Path, default=reference_dir(), help="tests/data/kubevirt")
    args = parser.parse_args(argv)
    iterations = args.iterations or (200 if args.quick else 3000)
    warmup = args.warmup if args.warmup is not None else (20 if args.quick else 300)

    print(f"machine: {machine()}")
    print(f"iterations {iterations}, warm-up {warmup}; times in microseconds per conversion")
    print()
    print(f"{'conversion':44s} {'n':>7s} {'mean_us':>10s} {'median_us':>10s} {'p99_us':>10s}")
    requests = fixture_requests(args.reference, args.quick)
    golden = dict(requests)["golden-amd64"]
    for name, request in requests:
        print_row(name, measure(converter(request), iterations, warmup))
        if name == "golden-amd64":
            raw = json.dumps(golden).encode()
            print_row("golden-amd64 +json.loads", measure(converter_from_json(raw), iterations, warmup))
            print_row("golden-amd64 gc-disabled", measure(converter(golden), iterations, warmup, gc_enabled=False))
    large = large_request(64, 16)
    print_row("large-64disks-16nics", measure(converter(large), iterations_for(iterations, 80), warmup // 10))

    print()
    print("scaling: n disks + n NICs (2n devices); marginal = extra time per added device")
    print(f"{'devices':>8s} {'n':>7s} {'mean_us':>10s} {'median_us':>10s} {'us_per_device':>14s} {'marginal_us':>12s}")
    sizes = SCALING_SIZES[:4] if args.quick else SCALING_SIZES
    previous: tuple[int, float] | None = None
    for size in sizes:
        samples = measure(converter(large_request(size, size)), iterations_for(iterations, 2 * size), warmup // 10)
        mean, median, _ = summary(samples)
        marginal = "" if previous is None else f"{(median - previous[1]) / (2 * (size - previous[0])):.2f}"
        per_device = median / (2 * size)
        print(f"{2 * size:8d} {len(samples):7d} {mean:10.1f} {median:10.1f} {per_device:14.2f} {marginal:>12s}")
        previous = (size, median)
    return 0


if __name__ == "__main__":
    sys.exit(main())
