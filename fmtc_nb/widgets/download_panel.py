"""The download panel: runs a job in the notebook's process (a background thread) with progress bars per zoom,
the live figures, and pause / resume / cancel buttons.

>>> panel = DownloadPanel(job, root)        # doctest: +SKIP
>>> panel.start(); panel                    # buttons work while it runs; panel.wait() blocks until the end
"""

from __future__ import annotations

import threading
import time
from typing import Any

import ipywidgets as w

from fmtc_nb.engine import Checkpointer, Download, DownloadJob, ProgressSnapshot, TileEvent
from fmtc_nb.reports import ProgressRecorder, completion_by_zoom
from fmtc_nb.widgets.progress_view import ProgressView

#: Seconds between redraws of the per-zoom bars (the overall figures follow every snapshot).
ZOOM_REDRAW_S = 0.5


class DownloadPanel:
    """A :class:`~fmtc_nb.engine.Download` of ``job`` into ``root`` with its widgets; ``recorder`` collects what
    the reports need (a fresh :class:`~fmtc_nb.reports.ProgressRecorder` unless given)."""

    def __init__(self, job: DownloadJob, root: Any = None, *, checkpointer: Checkpointer | None = None,
                 recorder: ProgressRecorder | None = None) -> None:
        self.job = job
        self.recorder = recorder or ProgressRecorder()
        self.planned = job.cover().counts
        self.download = Download(job, root, checkpointer=checkpointer, on_progress=self._on_progress,
                                 on_tile=self._on_tile)
        bind = getattr(checkpointer, "bind", None)
        if bind is not None:  # a recovery tracker: cancel() and pauses of the registry reach this download
            bind(self.download)
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._last_zoom_redraw = 0.0
        self.view = ProgressView("all zooms")
        self.zoom_bars = {z: w.IntProgress(value=0, min=0, max=max(n, 1), description=f"zoom {z}",
                                           layout=w.Layout(width="420px"))
                          for z, n in self.planned.items()}
        self.zoom_labels = {z: w.Label(f"0 / {n:,}") for z, n in self.planned.items()}
        self.pause_button = w.Button(description="Pause", icon="pause")
        self.resume_button = w.Button(description="Resume", icon="play", disabled=True)
        self.cancel_button = w.Button(description="Cancel", icon="stop", button_style="danger")
        self.pause_button.on_click(lambda _b: self.pause())
        self.resume_button.on_click(lambda _b: self.resume())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.widget = w.VBox([
            w.HTML(f"<b>Downloading {sum(self.planned.values()):,} tiles into store "
                   f"<code>{job.store}</code></b>"),
            w.HBox([self.pause_button, self.resume_button, self.cancel_button]),
            self.view.widget,
            w.VBox([w.HBox([self.zoom_bars[z], self.zoom_labels[z]]) for z in self.planned]),
        ])

    # -- control -------------------------------------------------------------------------------------
    def start(self) -> DownloadPanel:
        """Start downloading in a background thread and return at once."""
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

    def pause(self) -> None:
        """Stop starting requests (tiles in flight finish and are stored)."""
        self.download.pause()
        self._buttons(paused=True)

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        self.download.resume()
        self._buttons(paused=False)

    def cancel(self) -> None:
        """Stop for good: the buffer is flushed, the job stays recoverable."""
        self.download.cancel()

    @property
    def snapshot(self) -> ProgressSnapshot:
        """The current progress."""
        return self.download.snapshot

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
            self._redraw_zooms()
            for button in (self.pause_button, self.resume_button, self.cancel_button):
                button.disabled = True

    def _buttons(self, paused: bool) -> None:
        self.pause_button.disabled, self.resume_button.disabled = paused, not paused

    def _on_progress(self, snapshot: ProgressSnapshot) -> None:
        self.recorder.on_progress(snapshot)
        self.view.update(snapshot)
        if time.monotonic() - self._last_zoom_redraw >= ZOOM_REDRAW_S:
            self._redraw_zooms()

    def _on_tile(self, event: TileEvent) -> None:
        self.recorder.on_tile(event)

    def _redraw_zooms(self) -> None:
        self._last_zoom_redraw = time.monotonic()
        done = self.recorder.done_by_zoom()
        for z, bar in self.zoom_bars.items():
            bar.value = min(done.get(z, 0), bar.max)
            self.zoom_labels[z].value = f"{done.get(z, 0):,} / {self.planned[z]:,}"
            bar.bar_style = "success" if done.get(z, 0) >= self.planned[z] else ""
