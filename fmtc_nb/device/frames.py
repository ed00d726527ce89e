"""Device jobs and recovery records as pandas DataFrames (pandas imported only here)."""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Columns every jobs frame has, in this order (others follow).
JOB_COLUMNS = ["id", "store", "status", "reason", "tiles_done", "tiles_failed", "tiles_total", "percentage"]


def jobs_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per job, indexed by ``id``; ``percentage`` filled in from the tile counts where missing."""
    frame = pd.DataFrame(rows)
    for column in JOB_COLUMNS:
        if column not in frame:
            frame[column] = pd.NA
    if len(frame):
        computed = 100.0 * frame["tiles_done"] / frame["tiles_total"].where(frame["tiles_total"] > 0)
        frame["percentage"] = frame["percentage"].astype("Float64").fillna(computed.astype("Float64"))
    frame = frame[JOB_COLUMNS + [c for c in frame.columns if c not in JOB_COLUMNS and c != "snapshot"]]
    return frame.set_index("id")


def recovery_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The device's recovery records in the same columns as a local ``RecoveryRegistry.report()``, indexed
    by job id."""
    from fmtc_nb.recovery.report import records_frame

    return records_frame(rows).set_index("id")


def stores_frame(stats: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per store (tiles, bytes, unique blobs, bytes on disk, hits, misses), indexed by name, with one
    ``z<N>`` column of tile counts per zoom."""
    rows = []
    for entry in stats:
        row = {k: v for k, v in entry.items() if k != "zooms"}
        row.update({f"z{z}": n for z, n in sorted(entry.get("zooms", {}).items(), key=lambda kv: int(kv[0]))})
        rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("created_at", "updated_at"):
        if column in frame:
            frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame.set_index("name") if len(frame) else frame
