"""The `boot` marker, and a summary of each boot: its time and what the test changed."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .harness import BOOT_LOG, EmbeddedQemu, SecondHost, embedded_qemu, hardcoded_entry, missing_emulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "boot: starts converted domains under QEMU/TCG with libvirt (needs scripts/setup-boot)"
    )


def _rewritten_dirs(paths: list[str]) -> list[str]:
    """Re-rooted host paths as their HARDCODED_PATHS entry."""
    return sorted({hardcoded_entry(p) or p for p in paths})


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not BOOT_LOG:
        return
    write = terminalreporter.write_line
    terminalreporter.section("boot stage (define+start+check+destroy+undefine), seconds")
    for record in BOOT_LOG:
        detail = " ".join(f"{stage}={secs:.2f}" for stage, secs in record.stages.items())
        write(f"{sum(record.stages.values()):6.2f}  {record.arch:8} {record.name}  ({detail})")
    total = sum(sum(r.stages.values()) for r in BOOT_LOG)
    write(f"{total:6.2f}  total for {len(BOOT_LOG)} boots")
    if terminalreporter.config.get_verbosity() < 1:
        return
    terminalreporter.section("boot: test-only changes to the domains")
    for record in BOOT_LOG:
        moved = _rewritten_dirs(list(record.prepared.rewritten))
        write(f"{record.name}: {'; '.join(record.prepared.edits) or 'no edits'}")
        if moved:
            write(f"    re-rooted (not under a context root): {', '.join(moved)}")


# One embedded driver for the whole run: libvirt opens one per process.


@pytest.fixture(scope="session")
def boot_dir() -> Iterator[Path]:
    # Under /tmp with a short name: QEMU's UNIX sockets live below it (108-byte limit).
    path = Path(tempfile.mkdtemp(prefix="vmiboot", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def embedded(boot_dir: Path) -> Iterator[EmbeddedQemu]:
    if os.geteuid() != 0:
        pytest.skip("needs root: the embedded QEMU driver runs privileged and block disks use loop devices")
    reason = missing_emulator("x86_64")
    if reason:
        pytest.skip(reason)
    with embedded_qemu(boot_dir / "libvirt") as driver:
        yield driver


@pytest.fixture(scope="session")
def second_host(embedded: EmbeddedQemu, boot_dir: Path) -> Iterator[SecondHost]:
    """The migration target: a second embedded libvirt with its own root, in a child process."""
    host = SecondHost(boot_dir / "tv", seed=embedded.root)  # short: QEMU channel sockets live below it
    yield host
    host.close()
