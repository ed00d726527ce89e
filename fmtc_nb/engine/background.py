"""Running a job to its end: blocking (``run``), or in a background thread (``start`` then ``wait``), as
notebooks, the CLI and the device bridge need. Shared by the engine's ``Download``, a style pack's
``PackDownload``, a sharded download and the notebook panels that run them."""

from __future__ import annotations

import asyncio
import threading
from typing import ClassVar, Self

from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.errors import FmtcError


class BackgroundRun:
    """Adds :meth:`start` and :meth:`wait` to a class with :meth:`run` (by default ``asyncio.run(self.arun())``)
    and ``snapshot``. What ends a started run badly is kept in :attr:`error` and raised again by :meth:`wait`."""

    thread_name: ClassVar[str] = "fmtc-nb-run"
    _thread: threading.Thread | None = None
    #: What ended a :meth:`start`-ed run badly (None while it runs or when it ended well).
    error: BaseException | None = None

    async def arun(self) -> ProgressSnapshot:
        raise NotImplementedError

    @property
    def snapshot(self) -> ProgressSnapshot:
        raise NotImplementedError

    def run(self) -> ProgressSnapshot:
        """Run to the end in this thread (blocking) and return the final snapshot."""
        return asyncio.run(self.arun())

    def start(self) -> Self:
        """Run in a background daemon thread (for notebooks) and return at once; a second start is refused."""
        if self._thread is not None:
            raise FmtcError("This run was started already; make a new one to run the job again.")
        self._thread = threading.Thread(target=self._run_kept, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> ProgressSnapshot:
        """Wait (at most ``timeout`` seconds) for a :meth:`start`-ed run; re-raises what ended it badly."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.snapshot

    @property
    def running(self) -> bool:
        """True while the started thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _run_kept(self) -> None:
        try:
            self.run()
        except BaseException as exc:  # noqa: BLE001 - kept for wait()
            self.error = exc
