"""The `boot` marker, and a summary of each boot: its time and what the test changed."""

from __future__ import annotations

import pytest

from .harness import BOOT_LOG, hardcoded_entry


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
