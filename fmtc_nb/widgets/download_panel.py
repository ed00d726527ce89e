"""The download panel: runs a job in the notebook's process (a background thread) with progress bars per zoom,
the live figures, and pause / resume / cancel buttons.

Everything the panel shows (header, figures, bars, per-zoom counts and which buttons work) is drawn by one
method from one state: the download's snapshot (plus, for a resumed job, the tiles its earlier runs finished),
so they agree at every moment, after a pause, a resume and the end.

>>> panel = DownloadPanel(job, root)        # doctest: +SKIP
>>> panel.pause_at(400); panel.start(); panel   # it pauses itself at 400 tiles, however slowly cells are run
>>> panel.wait_paused(); panel.resume(); panel.wait()
"""

from __future__ import annotations

import dataclasses
import html
import threading
import time
from typing import Any

import ipywidgets as w

from fmtc_nb.engine import Checkpointer, Download, DownloadJob, ProgressSnapshot, TileEvent
from fmtc_nb.reports import ProgressRecorder, completion_by_zoom
from fmtc_nb.states import END_STATUSES
from fmtc_nb.widgets.progress_view import ProgressView
from fmtc_nb.widgets.run_controls import RunPanel

#: Seconds between redraws of the per-zoom bars (the overall figures follow every snapshot).
ZOOM_REDRAW_S = 0.5


def done_before(checkpointer: Any, planned: dict[int, int]) -> dict[int, int]:
    """Tiles per zoom that earlier runs of a resumed job finished successfully (read from a recovery tracker's
    checkpoint; {} for a fresh job). ``planned`` is the cover's tiles per zoom, in cover order."""
    checkpoint = getattr(checkpointer, "checkpoint", None)
    if checkpoint is None:
        return {}
    ok = checkpoint.finished
    for failed in checkpoint.failed.values():
        ok = ok.difference(failed)
    out, start = {}, 0
    for z, n in planned.items():
        count = len(ok.above(start)) - len(ok.above(start + n))
        if count:
            out[z] = count
        start += n
    return out


class DownloadPanel(RunPanel):
    """A :class:`~fmtc_nb.engine.Download` of ``job`` into ``root`` with its widgets; ``recorder`` collects what
    the reports need (a fresh :class:`~fmtc_nb.reports.ProgressRecorder` unless given)."""

    def __init__(self, job: DownloadJob, root: Any = None, *, checkpointer: Checkpointer | None = None,
                 recorder: ProgressRecorder | None = None) -> None:
        super().__init__()
        self.job = job
        self.recorder = recorder or ProgressRecorder()
        self.planned = job.cover().counts
        #: Tiles per zoom finished by earlier runs (a resumed job); shown with this run's.
        self.earlier = done_before(checkpointer, self.planned)
        self.download = Download(job, root, checkpointer=checkpointer, on_progress=self._on_progress,
                                 on_tile=self._on_tile)
        bind = getattr(checkpointer, "bind", None)
        if bind is not None:  # a recovery tracker: cancel() and pauses of the registry reach this download
            bind(self.download)
        self._last_zoom_redraw = 0.0
        self._pause_at: int | None = None
        self._lock = threading.Lock()
        self.view = ProgressView("all zooms")
        self.zoom_bars = {z: w.IntProgress(value=0, min=0, max=max(n, 1), description=f"zoom {z}",
                                           layout=w.Layout(width="420px"))
                          for z, n in self.planned.items()}
        self.zoom_labels = {z: w.Label(f"0 / {n:,}") for z, n in self.planned.items()}
        self.header = self.controls.header
        self.pause_button = self.controls.pause_button
        self.resume_button = self.controls.resume_button
        self.cancel_button = self.controls.cancel_button
        self.widget = w.VBox([
            self.controls.widget,
            self.view.widget,
            w.VBox([w.HBox([self.zoom_bars[z], self.zoom_labels[z]]) for z in self.planned]),
        ])
        self._show(full=True)

    # -- control -------------------------------------------------------------------------------------
    def pause_at(self, tiles: int) -> None:
        """Pause by itself once ``tiles`` tiles (this run's) have an outcome: a pause from code that works however
        long the user takes between cells (call it before or after :meth:`start`)."""
        self._pause_at = int(tiles)
        self._maybe_pause_at(self.snapshot)

    def wait_paused(self, timeout: float = 60.0) -> ProgressSnapshot:
        """Wait (up to ``timeout`` seconds) until the download is paused or has ended; returns the snapshot."""
        deadline = time.monotonic() + timeout
        while self.status not in ("paused", *END_STATUSES) and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.snapshot

    def resume(self) -> None:
        """Continue after :meth:`pause` (a pending :meth:`pause_at` is dropped)."""
        self._pause_at = None
        super().resume()

    @property
    def shown(self) -> ProgressSnapshot:
        """The snapshot as the panel shows it: with the tiles earlier runs of a resumed job finished."""
        snap = self.snapshot
        earlier = sum(self.earlier.values())
        return dataclasses.replace(snap, successful=snap.successful + earlier) if earlier else snap

    def completion(self) -> Any:
        """Per-zoom completion table (see :func:`fmtc_nb.reports.completion_by_zoom`)."""
        return completion_by_zoom(self.recorder, self.planned)

    # -- internals -----------------------------------------------------------------------------------
    def _maybe_pause_at(self, snapshot: ProgressSnapshot) -> None:
        if self._pause_at is not None and snapshot.attempted >= self._pause_at and snapshot.status == "running":
            self._pause_at = None
            self.download.pause()
            self._show()

    def _on_progress(self, snapshot: ProgressSnapshot) -> None:
        self.recorder.on_progress(snapshot)
        self._maybe_pause_at(snapshot)
        self._show(full=time.monotonic() - self._last_zoom_redraw >= ZOOM_REDRAW_S)

    def _on_tile(self, event: TileEvent) -> None:
        self.recorder.on_tile(event)
        if self._pause_at is not None and event.outcome != "retry":
            self._maybe_pause_at(self.snapshot)

    def _show(self, full: bool = False) -> None:
        """Draw header, figures, buttons and (when ``full``) the per-zoom bars from the one state."""
        with self._lock:
            status = self.status
            total = sum(self.planned.values())
            ended = self._ended
            problem = str(self.error) if self.error else (self.download.reason if ended and status == "paused" else None)
            self.controls.show(status, f"{total:,} tiles into store <code>{html.escape(self.job.store)}</code>",
                               problem, ended=ended)
            self.view.update(self.shown, status)
            if full:
                self._redraw_zooms()

    def _redraw_zooms(self) -> None:
        self._last_zoom_redraw = time.monotonic()
        done = self.recorder.done_by_zoom()
        for z, bar in self.zoom_bars.items():
            n = done.get(z, 0) + self.earlier.get(z, 0)
            bar.value = min(n, bar.max)
            self.zoom_labels[z].value = f"{n:,} / {self.planned[z]:,}"
            bar.bar_style = "success" if n >= self.planned[z] else ""
