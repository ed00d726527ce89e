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
from fmtc_nb.errors import FmtcError
from fmtc_nb.reports import ProgressRecorder, completion_by_zoom
from fmtc_nb.states import END_STATUSES
from fmtc_nb.widgets.progress_view import STATUS_WORDS, ProgressView

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


class DownloadPanel:
    """A :class:`~fmtc_nb.engine.Download` of ``job`` into ``root`` with its widgets; ``recorder`` collects what
    the reports need (a fresh :class:`~fmtc_nb.reports.ProgressRecorder` unless given)."""

    def __init__(self, job: DownloadJob, root: Any = None, *, checkpointer: Checkpointer | None = None,
                 recorder: ProgressRecorder | None = None) -> None:
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
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._last_zoom_redraw = 0.0
        self._pause_at: int | None = None
        self._lock = threading.Lock()
        self.header = w.HTML()
        self.view = ProgressView("all zooms")
        self.zoom_bars = {z: w.IntProgress(value=0, min=0, max=max(n, 1), description=f"zoom {z}",
                                           layout=w.Layout(width="420px"))
                          for z, n in self.planned.items()}
        self.zoom_labels = {z: w.Label(f"0 / {n:,}") for z, n in self.planned.items()}
        self.pause_button = w.Button(description="Pause", icon="pause")
        self.resume_button = w.Button(description="Resume", icon="play")
        self.cancel_button = w.Button(description="Cancel", icon="stop", button_style="danger")
        self.pause_button.on_click(lambda _b: self.pause())
        self.resume_button.on_click(lambda _b: self.resume())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.widget = w.VBox([
            self.header,
            w.HBox([self.pause_button, self.resume_button, self.cancel_button]),
            self.view.widget,
            w.VBox([w.HBox([self.zoom_bars[z], self.zoom_labels[z]]) for z in self.planned]),
        ])
        self._show(zooms=True)

    # -- control -------------------------------------------------------------------------------------
    def start(self) -> DownloadPanel:
        """Start downloading in a background thread and return at once."""
        if self._thread is not None:
            raise FmtcError("This panel's download was started already; make a new panel to run the job again.")
        self._thread = threading.Thread(target=self._run, name="fmtc-nb-download-panel", daemon=True)
        self._thread.start()
        return self

    def run(self) -> ProgressSnapshot:
        """Download to the end in this thread (blocking); returns the final snapshot."""
        self._run()
        if self.error is not None:
            raise self.error
        return self.snapshot

    def wait(self, timeout: float | None = None) -> ProgressSnapshot:
        """Wait for a started download to end (or ``timeout`` seconds); re-raises what ended it badly."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.snapshot

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

    def pause(self) -> None:
        """Stop starting requests (tiles in flight finish and are stored); nothing to do once it has ended."""
        if self.status in END_STATUSES:
            return
        self.download.pause()
        self._show()

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        self._pause_at = None
        if self.status in END_STATUSES:
            return
        self.download.resume()
        self._show()

    def cancel(self) -> None:
        """Stop for good: the buffer is flushed, the job stays recoverable."""
        self.download.cancel()

    @property
    def snapshot(self) -> ProgressSnapshot:
        """The current progress of this run (the engine's own figures)."""
        return self.download.snapshot

    @property
    def status(self) -> str:
        """The panel's one state: the snapshot's status, or ``failed`` when the run raised."""
        if self.error is not None:
            return "failed"
        status = self.snapshot.status
        if status == "pending" and self.running:
            return "running"
        return status

    @property
    def shown(self) -> ProgressSnapshot:
        """The snapshot as the panel shows it: with the tiles earlier runs of a resumed job finished."""
        snap = self.snapshot
        earlier = sum(self.earlier.values())
        return dataclasses.replace(snap, successful=snap.successful + earlier) if earlier else snap

    @property
    def running(self) -> bool:
        """True while the download thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def completion(self) -> Any:
        """Per-zoom completion table (see :func:`fmtc_nb.reports.completion_by_zoom`)."""
        return completion_by_zoom(self.recorder, self.planned)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- internals -----------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self.download.run()
        except BaseException as exc:  # shown in the panel and re-raised by wait()/run()
            self.error = exc
        finally:
            self._show(zooms=True)

    def _maybe_pause_at(self, snapshot: ProgressSnapshot) -> None:
        if self._pause_at is not None and snapshot.attempted >= self._pause_at and snapshot.status == "running":
            self._pause_at = None
            self.download.pause()
            self._show()

    def _on_progress(self, snapshot: ProgressSnapshot) -> None:
        self.recorder.on_progress(snapshot)
        self._maybe_pause_at(snapshot)
        self._show(zooms=time.monotonic() - self._last_zoom_redraw >= ZOOM_REDRAW_S)

    def _on_tile(self, event: TileEvent) -> None:
        self.recorder.on_tile(event)
        if self._pause_at is not None and event.outcome != "retry":
            self._maybe_pause_at(self.snapshot)

    def _show(self, zooms: bool = False) -> None:
        """Draw header, figures, buttons and (when ``zooms``) the per-zoom bars from the one state."""
        with self._lock:
            status = self.status
            total = sum(self.planned.values())
            words = STATUS_WORDS.get(status, status)
            problem = f" <span style='color:#c92a2a'>{html.escape(str(self.error))}</span>" if self.error else ""
            self.header.value = (f"<b class='fmtc-download-header'>{words}: {total:,} tiles into store "
                                 f"<code>{html.escape(self.job.store)}</code></b>{problem}")
            self.view.update(self.shown, status)
            self.pause_button.disabled = status != "running"
            self.resume_button.disabled = status != "paused"
            self.cancel_button.disabled = status not in ("running", "paused")
            if zooms:
                self._redraw_zooms()

    def _redraw_zooms(self) -> None:
        self._last_zoom_redraw = time.monotonic()
        done = self.recorder.done_by_zoom()
        for z, bar in self.zoom_bars.items():
            n = done.get(z, 0) + self.earlier.get(z, 0)
            bar.value = min(n, bar.max)
            self.zoom_labels[z].value = f"{n:,} / {self.planned[z]:,}"
            bar.bar_style = "success" if n >= self.planned[z] else ""
