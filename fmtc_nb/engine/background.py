"""Running an ``arun()`` coroutine to its end: blocking (``run``), or in a background thread (``start`` then
``wait``), as notebooks, the CLI and the device bridge need. Shared by the engine's ``Download`` and a style
pack's ``PackDownload``."""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar

from fmtc_nb.engine.progress import ProgressSnapshot


class BackgroundRun:
    """Adds :meth:`run`, :meth:`start` and :meth:`wait` to a class with ``async arun()`` and ``snapshot``."""

    thread_name: ClassVar[str] = "fmtc-nb-run"
    _thread: threading.Thread | None = None

    async def arun(self) -> ProgressSnapshot:
        raise NotImplementedError

    @property
    def snapshot(self) -> ProgressSnapshot:
        raise NotImplementedError

    def run(self) -> ProgressSnapshot:
        """Run to the end in this thread (blocking) and return the final snapshot."""
        return asyncio.run(self.arun())

    def start(self) -> threading.Thread:
        """Run in a background daemon thread (for notebooks); returns the thread."""
        self._thread = threading.Thread(target=self.run, name=self.thread_name, daemon=True)
        self._thread.start()
        return self._thread

    def wait(self, timeout: float | None = None) -> ProgressSnapshot:
        """Wait for a :meth:`start`-ed run to end and return the snapshot."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.snapshot
