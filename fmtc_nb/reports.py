"""Completion reports of downloads as pandas DataFrames, and matplotlib plots of them (Jupyter-side).

A :class:`ProgressRecorder` listens to a download (``on_progress`` and ``on_tile`` of the engine, or the
progress events a paired device sends) and keeps what the reports need: per zoom and outcome, the tiles and
bytes; over time, the progress snapshots. Recovery's table comes from :class:`fmtc_nb.recovery.RecoveryRegistry`.

>>> rec = ProgressRecorder()                                         # doctest: +SKIP
>>> Download(job, root, on_progress=rec.on_progress, on_tile=rec.on_tile).run()
>>> completion_by_zoom(rec, planned=cover.counts); throughput_frame(rec); plot_progress(rec)
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fmtc_nb.engine.progress import ProgressSnapshot, TileEvent
from fmtc_nb.states import FINAL_OUTCOMES, TileOutcome
from fmtc_nb.units import human_bytes, human_count, human_duration

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["FINAL_OUTCOMES", "SAMPLE_FIELDS", "ProgressRecorder", "completion_by_zoom", "outcomes_frame",
           "plot_progress", "plot_tiles_per_zoom", "recovery_frame", "store_zoom_frame", "summary",
           "throughput_frame"]
#: Fields of a progress snapshot kept per sample (counts in tiles, sizes in bytes, times in seconds).
SAMPLE_FIELDS = ("elapsed_s", "attempted", "successful", "cached", "skipped", "failed", "remaining", "max_tiles",
                 "cached_bytes", "tiles_per_s", "percentage", "status")


class ProgressRecorder:
    """Collects a download's progress snapshots (``on_progress``) and tile events (``on_tile``); thread-safe.

    ``on_progress`` takes a ``ProgressSnapshot`` (or its dict, read with ``ProgressSnapshot.from_dict``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.samples: list[dict[str, Any]] = []
        self.tiles: dict[tuple[int, TileOutcome], int] = defaultdict(int)
        self.bytes: dict[tuple[int, TileOutcome], int] = defaultdict(int)
        self.retries = 0
        self.started_at = time.time()

    def on_progress(self, snapshot: ProgressSnapshot | Mapping[str, Any]) -> None:
        """Record one progress snapshot (with the wall-clock time it arrived)."""
        if not isinstance(snapshot, ProgressSnapshot):
            snapshot = ProgressSnapshot.from_dict(snapshot)
        row: dict[str, Any] = {name: getattr(snapshot, name) for name in SAMPLE_FIELDS}
        row["time"] = time.time()
        with self._lock:
            self.samples.append(row)

    def on_tile(self, event: TileEvent) -> None:
        """Record one tile event (``retry`` events are counted apart: they are not final)."""
        with self._lock:
            if event.outcome == "retry":
                self.retries += 1
                return
            self.tiles[event.z, event.outcome] += 1
            self.bytes[event.z, event.outcome] += event.size

    def done_by_zoom(self) -> dict[int, int]:
        """Tiles with a final outcome so far, per zoom (zooms without any are absent)."""
        done: dict[int, int] = defaultdict(int)
        with self._lock:
            for (z, _outcome), n in self.tiles.items():
                done[z] += n
        return dict(done)

    @property
    def last(self) -> dict[str, Any] | None:
        """The latest snapshot recorded (None before any)."""
        with self._lock:
            return dict(self.samples[-1]) if self.samples else None


def outcomes_frame(recorder: ProgressRecorder) -> pd.DataFrame:
    """Long table: one row per (zoom, outcome) with ``tiles`` and ``bytes``."""
    import pandas as pd

    with recorder._lock:
        rows = [{"zoom": z, "outcome": o, "tiles": n, "bytes": recorder.bytes[z, o]}
                for (z, o), n in sorted(recorder.tiles.items())]
    return pd.DataFrame(rows, columns=["zoom", "outcome", "tiles", "bytes"])


def completion_by_zoom(recorder: ProgressRecorder, planned: dict[int, int] | None = None) -> pd.DataFrame:
    """Per zoom: tiles by outcome (one column each), ``done``, ``bytes`` (new bytes stored) and, when the
    ``planned`` tiles per zoom (``TileCover.counts``) are given, ``planned`` and ``complete_%``."""
    import pandas as pd

    long = outcomes_frame(recorder)
    zooms = sorted(set(long["zoom"]) | set(planned or {}))
    table = long.pivot_table(index="zoom", columns="outcome", values="tiles", aggfunc="sum", fill_value=0)
    table = table.reindex(index=zooms, columns=list(FINAL_OUTCOMES), fill_value=0).fillna(0).astype("int64")
    table.index.name, table.columns.name = "zoom", None
    table["done"] = table.sum(axis=1)
    stored = long[long["outcome"] == "cached"].groupby("zoom")["bytes"].sum()
    table["bytes"] = stored.reindex(zooms, fill_value=0).astype("int64")
    if planned is not None:
        table["planned"] = pd.Series(planned).reindex(zooms, fill_value=0).astype("int64")
        table["complete_%"] = (100.0 * table["done"] / table["planned"].where(table["planned"] > 0)).round(1)
    return table


def throughput_frame(recorder: ProgressRecorder) -> pd.DataFrame:
    """Progress over time: one row per snapshot with ``elapsed_s``, tiles attempted, ``tiles_per_s`` (mean since
    the start), ``interval_tiles_per_s`` (since the previous snapshot), ``cached_bytes`` and ``mb_per_s``."""
    import pandas as pd

    with recorder._lock:
        frame = pd.DataFrame(recorder.samples, columns=[*SAMPLE_FIELDS, "time"])
    if frame.empty:
        return frame.assign(seconds=[], interval_tiles_per_s=[], mb_per_s=[])  # the same columns, no rows
    frame["seconds"] = frame["time"] - frame["time"].iloc[0]
    dt = frame["seconds"].diff()
    frame["interval_tiles_per_s"] = (frame["attempted"].diff() / dt.where(dt > 0)).fillna(0.0)
    frame["mb_per_s"] = (frame["cached_bytes"].diff() / 1e6 / dt.where(dt > 0)).fillna(0.0)
    return frame


def summary(recorder: ProgressRecorder) -> dict[str, str]:
    """The last snapshot's totals as text for people (``"8.0 s"``, ``"412 kB"``, ``"134.8 tiles/s"``, thousands
    separators); the raw numbers are in :func:`throughput_frame` and :attr:`ProgressRecorder.last`."""
    last = recorder.last
    if last is None:
        return {"status": "no progress recorded yet"}
    return {"status": str(last["status"]),
            "tiles": f"{last['attempted']:,} of {last['max_tiles']:,}",
            "stored / skipped / failed": f"{last['cached']:,} / {last['skipped']:,} / {last['failed']:,}",
            "bytes stored": human_bytes(float(last["cached_bytes"])),
            "elapsed": human_duration(last["elapsed_s"]),
            "speed": human_count(round(float(last["tiles_per_s"]), 1), "tiles/s"),
            "retries": f"{recorder.retries:,}"}


def store_zoom_frame(stats: Any) -> pd.DataFrame:
    """Tiles per zoom held by a store (a :class:`fmtc_nb.store.StoreStats` or its ``to_dict()``)."""
    import pandas as pd

    zooms = stats["zooms"] if isinstance(stats, dict) else stats.zooms
    frame = pd.DataFrame({"tiles": pd.Series({int(z): int(n) for z, n in zooms.items()}, dtype="int64")})
    frame.index.name = "zoom"
    return frame.sort_index()


def recovery_frame(root: Any = None) -> pd.DataFrame:
    """The recovery registry of ``root`` as a DataFrame (one row per job: status, progress, owner, times)."""
    from fmtc_nb.recovery import RecoveryRegistry

    registry = RecoveryRegistry(root)
    try:
        return registry.report()
    finally:
        registry.close()


# -- plots -------------------------------------------------------------------------------------------------
def _axes(ax: Axes | None, title: str) -> Axes:
    if ax is None:
        import matplotlib.pyplot as plt

        _fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return ax


def plot_progress(recorder: ProgressRecorder, ax: Axes | None = None) -> Axes:
    """Tiles done (and stored) over seconds since the start, with the speed on a second axis."""
    frame = throughput_frame(recorder)
    ax = _axes(ax, "Download progress")
    if frame.empty:
        return ax
    ax.plot(frame["seconds"], frame["attempted"], label="tiles done", color="#1c7ed6")
    ax.plot(frame["seconds"], frame["cached"], label="tiles stored", color="#37b24d", linestyle="--")
    ax.set_xlabel("seconds since start")
    ax.set_ylabel("tiles")
    speed = ax.twinx()
    speed.plot(frame["seconds"], frame["interval_tiles_per_s"], color="#f08c00", alpha=0.6, label="tiles/s")
    speed.set_ylabel("tiles per second")
    lines = ax.get_lines() + speed.get_lines()
    ax.legend(lines, [str(line.get_label()) for line in lines], loc="upper left", fontsize="small")
    return ax


def plot_tiles_per_zoom(table: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Stacked bars of tiles per zoom by outcome (a :func:`completion_by_zoom` table), or plain bars of a
    one-column table such as :func:`store_zoom_frame` or ``RegionPicker.counts_frame``."""
    ax = _axes(ax, "Tiles per zoom")
    outcome_columns = [c for c in FINAL_OUTCOMES if c in table.columns and table[c].sum() > 0]
    if outcome_columns:
        table[outcome_columns].plot.bar(stacked=True, ax=ax)
    else:
        table[table.columns[0]].plot.bar(ax=ax, color="#1c7ed6")
    if "planned" in table.columns:
        ax.plot(range(len(table)), table["planned"], "k_", markersize=18, label="planned")
        ax.legend(fontsize="small")
    ax.set_xlabel("zoom")
    ax.set_ylabel("tiles")
    if len(table) and table.to_numpy().max() > 50 * max(1, table.to_numpy().min()):
        ax.set_yscale("log")
    return ax
