"""What the download panel (one engine) and the sharded panel (a Dask cluster) share: the header line and the
pause / resume / cancel buttons drawn from one state (:class:`RunControls`), and the run in a background thread
with its control methods (:class:`RunPanel`)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from fmtc_nb.engine.background import BackgroundRun
from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.states import END_STATUSES
from fmtc_nb.widgets.progress_view import STATUS_WORDS


class RunControls:
    """A header (``<b class='fmtc-download-header'>``) and three buttons calling ``pause``, ``resume`` and
    ``cancel``; :meth:`show` sets the words and which buttons work."""

    def __init__(self, pause: Callable[[], None], resume: Callable[[], None], cancel: Callable[[], None]) -> None:
        self.header = w.HTML()
        self.pause_button = w.Button(description="Pause", icon="pause")
        self.resume_button = w.Button(description="Resume", icon="play")
        self.cancel_button = w.Button(description="Cancel", icon="stop", button_style="danger")
        self.pause_button.on_click(lambda _b: pause())
        self.resume_button.on_click(lambda _b: resume())
        self.cancel_button.on_click(lambda _b: cancel())
        self.widget = w.VBox([self.header, w.HBox([self.pause_button, self.resume_button, self.cancel_button])])

    def show(self, status: str, what: str, problem: str | None = None, *, ended: bool = False) -> None:
        """Show ``status`` (a job status, or ``failed``) of the run described by ``what`` (HTML), with
        ``problem`` (plain text) in red; ``ended``: the run is over even if its status is ``paused`` (a store
        that could not be written pauses the job for a later resume), so no button works."""
        words = STATUS_WORDS.get(status, status)
        red = f" <span style='color:#c92a2a'>{html.escape(problem)}</span>" if problem else ""
        self.header.value = f"<b class='fmtc-download-header'>{words}: {what}</b>{red}"
        self.pause_button.disabled = ended or status != "running"
        self.resume_button.disabled = ended or status != "paused"
        self.cancel_button.disabled = ended or status not in ("running", "paused")


class RunPanel(BackgroundRun):
    """What the download panels share: ``self.download`` (a run with ``run``, ``pause``, ``resume``, ``cancel``
    and ``snapshot``: an engine :class:`~fmtc_nb.engine.Download` or a sharded download) run from a background
    thread (:class:`~fmtc_nb.engine.background.BackgroundRun`), its controls, and one state. Subclasses build
    ``self.widget`` and draw in :meth:`_show`."""

    download: Any
    widget: Any
    thread_name = "fmtc-nb-download-panel"

    def __init__(self) -> None:
        self.controls = RunControls(self.pause, self.resume, self.cancel)
        self._ended = False  # the run is over (even if paused: a store that could not be written)

    # -- control -------------------------------------------------------------------------------------
    def run(self) -> ProgressSnapshot:
        """Download to the end in this thread (blocking); returns the final snapshot. What ends it badly is
        shown in the panel and raised."""
        try:
            self.download.run()
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self._ended = True
            self._finished()
            self._show(full=True)
        return self.snapshot

    def pause(self) -> None:
        """Stop starting requests (tiles in flight finish and are stored); nothing to do once it has ended."""
        if self.status not in END_STATUSES:
            self.download.pause()
            self._show()

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        if self.status not in END_STATUSES:
            self.download.resume()
            self._show()

    def cancel(self) -> None:
        """Stop for good: what was fetched is flushed and the job stays recoverable."""
        self.download.cancel()

    @property
    def snapshot(self) -> ProgressSnapshot:
        """The current progress of this run."""
        return self.download.snapshot

    @property
    def status(self) -> str:
        """The panel's one state: the snapshot's status, ``running`` from the start, ``failed`` when it raised."""
        if self.error is not None:
            return "failed"
        status = self.snapshot.status
        return "running" if status == "pending" and self.running else status

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- internals -----------------------------------------------------------------------------------
    def _finished(self) -> None:
        """Called once the run has ended, before the last drawing."""

    def _show(self, full: bool = False) -> None:
        """Draw the panel from its one state (``full``: also the parts redrawn less often)."""
        raise NotImplementedError
