"""The sharded download panel: a job run as shards on a Dask cluster (:mod:`fmtc_nb.scale`), watched from the
notebook: the aggregated progress (the engine's figures summed over shards), a table of the shards, a link to
Dask's dashboard, and pause / resume / cancel for every shard at once.

Needs the ``dask`` extra; ``import fmtc_nb.widgets`` does not load it (the panel is imported on first use).

>>> panel = ShardedPanel.for_job(job, root, cluster="local:2")   # doctest: +SKIP
>>> panel.start(); panel                 # the table of shards follows the workers
>>> panel.wait(); panel.shards_frame()   # pandas: one row a shard
"""

from __future__ import annotations

import html
import threading
import time
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from fmtc_nb.engine import DownloadJob, ProgressSnapshot
from fmtc_nb.reports import ProgressRecorder
from fmtc_nb.scale.sharded import ShardedDownload
from fmtc_nb.widgets.progress_view import ProgressView
from fmtc_nb.widgets.run_controls import RunPanel

if TYPE_CHECKING:
    import pandas

#: Seconds between redraws of the shards table (the overall figures follow every snapshot).
TABLE_REDRAW_S = 0.5
#: Columns of :meth:`ShardedDownload.shards_frame` the table shows.
TABLE_COLUMNS = ["shard", "tiles", "state", "attempts", "worker", "tiles_done", "tiles_failed", "tiles_per_s"]


class ShardedPanel(RunPanel):
    """Widgets over a :class:`~fmtc_nb.scale.ShardedDownload` (made by :meth:`for_job`, or given: a resumed one
    from :func:`fmtc_nb.scale.resumed`); ``recorder`` collects the snapshots for the reports' tables and plots.
    The panel takes the run's ``on_progress`` and ``on_start`` callbacks."""

    thread_name = "fmtc-nb-sharded-panel"

    def __init__(self, sharded: ShardedDownload, *, recorder: ProgressRecorder | None = None,
                 on_end: Any = None) -> None:
        super().__init__()
        self.download = sharded
        self.recorder = recorder or ProgressRecorder()
        self._on_end = on_end  # called when the run ends (the panel's own registry is closed then)
        self._last_table = 0.0
        self._lock = threading.Lock()
        sharded.on_progress, sharded.on_start = self._on_progress, self._on_started
        self.view = ProgressView("all shards")
        self.dashboard = w.HTML()
        self.table = w.HTML()
        self.table.add_class("fmtc-shards")
        self.widget = w.VBox([self.controls.widget, self.view.widget, self.dashboard, self.table])
        self._show(full=True)

    @classmethod
    def for_job(cls, job: DownloadJob, root: Any = None, *, cluster: Any, recovery: bool = True,
                recorder: ProgressRecorder | None = None, **settings: Any) -> ShardedPanel:
        """A panel running ``job`` into ``root`` on ``cluster`` (``local:N``, ``tcp://HOST:PORT``, a Dask client
        or cluster); with ``recovery`` the job is recorded (``fmtc-nb recovery resume`` continues it after a
        stop). ``settings``: :class:`~fmtc_nb.scale.ShardedDownload` keywords (``shard_tiles``, ``pmtiles``...)."""
        from fmtc_nb.recovery import RecoveryRegistry
        from fmtc_nb.scale.jobs import recorded
        from fmtc_nb.store import Root

        root = root if isinstance(root, Root) else Root(root)
        if not recovery:
            return cls(recorded(job, root, None, cluster=cluster, **settings), recorder=recorder)
        registry = RecoveryRegistry(root)  # open while the run lasts: the panel closes it at the end
        try:
            sharded = recorded(job, root, registry, cluster=cluster, **settings)
        except BaseException:
            registry.close()
            raise
        return cls(sharded, recorder=recorder, on_end=registry.close)

    @property
    def sharded(self) -> ShardedDownload:
        """The sharded run the panel shows."""
        return self.download

    def shards_frame(self) -> pandas.DataFrame:
        """One row a shard (see :meth:`fmtc_nb.scale.ShardedDownload.shards_frame`)."""
        return self.sharded.shards_frame()

    # -- internals -----------------------------------------------------------------------------------
    def _finished(self) -> None:
        if self._on_end is not None:
            self._on_end()

    def _on_started(self, sharded: ShardedDownload) -> None:
        link = sharded.dashboard
        self.dashboard.value = (f"{len(sharded.states):,} shards on <code>{html.escape(str(sharded.cluster_spec))}"
                                "</code>" + (f"; Dask's dashboard: <a href='{html.escape(link)}' target='_blank'>"
                                             f"{html.escape(link)}</a>" if link else ""))
        self._show(full=True)

    def _on_progress(self, snapshot: ProgressSnapshot) -> None:
        self.recorder.on_progress(snapshot)
        self._show(full=time.monotonic() - self._last_table >= TABLE_REDRAW_S)

    def _show(self, full: bool = False) -> None:
        """Draw header, buttons, figures and (when ``full``) the shards table from the one state."""
        with self._lock:
            status, job = self.status, self.sharded.job
            self.controls.show(status, f"{self.snapshot.max_tiles:,} tiles into store "
                                       f"<code>{html.escape(job.store)}</code> as shards",
                               str(self.error) if self.error else None, ended=self._ended)
            self.view.update(self.snapshot, status)
            if full:
                self._last_table = time.monotonic()
                frame = self.shards_frame()
                counts = frame["state"].value_counts().to_dict() if len(frame) else {}
                summary = ", ".join(f"{n} {state}" for state, n in counts.items())
                self.table.value = (f"<div>{html.escape(summary) or 'no shards yet'}</div>"
                                    + frame[TABLE_COLUMNS].to_html(index=False, classes="fmtc-shards-table"))
