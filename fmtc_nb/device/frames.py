"""Device jobs and recovery records as pandas DataFrames (pandas imported only here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import pandas as pd

from fmtc_nb.wire import JobRow

#: Columns every jobs frame starts with, in this order (every other field of a job row follows).
JOB_COLUMNS = ["id", "store", "status", "reason", "tiles_done", "tiles_failed", "tiles_total", "percentage"]


def jobs_frame(rows: Sequence[JobRow]) -> pd.DataFrame:
    """One row per job, indexed by ``id``: the rows' fields and properties except the live snapshot."""
    records = [{k: v for k, v in row.to_dict().items() if k != "snapshot"} for row in rows]
    every = [f.name for f in fields(JobRow)] + list(JobRow.DERIVED)
    columns = JOB_COLUMNS + [c for c in every if c not in JOB_COLUMNS and c != "snapshot"]
    frame = pd.DataFrame(records, columns=columns)
    frame["percentage"] = frame["percentage"].astype("Float64")
    frame["tiles_total"] = frame["tiles_total"].astype("Int64")
    return frame.set_index("id")


def recovery_frame(rows: Sequence[JobRow]) -> pd.DataFrame:
    """The device's recovery rows in the same columns as a local ``RecoveryRegistry.report()``, indexed
    by job id."""
    from fmtc_nb.recovery.report import rows_frame

    return rows_frame(rows).set_index("id")


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
