"""SIGTERM/SIGINT handling shared by a server process and the supervisor."""

from __future__ import annotations

import os
import signal
import threading


class Shutdown:
    """The first SIGTERM or SIGINT starts a graceful stop; a second one cuts the grace short."""

    def __init__(self) -> None:
        self.requested = threading.Event()
        self.hurry = threading.Event()
        self._parent: int | None = None

    def watch_parent(self) -> None:
        """Also stop when the process that started us is gone (a supervisor killed with SIGKILL)."""
        self._parent = os.getppid()

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.requested.is_set():
            self.hurry.set()
        self.requested.set()

    def wait(self) -> None:
        # A timeout keeps the main thread waking up so Python runs signal handlers promptly.
        while not self.requested.wait(1.0):
            if self._parent is not None and os.getppid() != self._parent:
                self.requested.set()
