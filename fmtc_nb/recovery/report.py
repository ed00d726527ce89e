"""The pandas report of the registry: one row per job (pandas is imported only here)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fmtc_nb.recovery.info import JobInfo
from fmtc_nb.wire import JobRow

if TYPE_CHECKING:
    import pandas

#: Columns of :func:`jobs_frame`, in order.
COLUMNS = ("id", "store", "region_kind", "zooms", "status", "reason", "tiles_done", "tiles_failed", "tiles_total",
           "bytes", "started", "last_heartbeat", "heartbeat_age_s", "duration_s", "tiles_per_s", "runs", "owner")


def jobs_frame(infos: Iterable[JobInfo]) -> pandas.DataFrame:
    """The registry's jobs as :func:`rows_frame` does it."""
    return rows_frame(info.row() for info in infos)


def rows_frame(rows: Iterable[JobRow]) -> pandas.DataFrame:
    """A DataFrame of :data:`COLUMNS` from job rows (this root's, or a device's ``GET recovery``):
    ``started``/``last_heartbeat`` are UTC timestamps, ``duration_s`` the seconds spent running over all runs,
    ``tiles_per_s`` tiles finished per second of running, ``zooms`` a text like ``"0-12"``."""
    import pandas as pd

    records: list[dict[str, Any]] = [
        {"id": r.id, "store": r.store, "region_kind": r.region_kind, "zooms": zoom_text(r.zooms), "status": r.status,
         "reason": r.reason, "tiles_done": r.tiles_done, "tiles_failed": r.tiles_failed,
         "tiles_total": r.tiles_total, "bytes": r.bytes, "started": r.created_at, "last_heartbeat": r.heartbeat_at,
         "heartbeat_age_s": r.heartbeat_age_s, "duration_s": r.active_s, "tiles_per_s": r.tiles_per_s,
         "runs": r.runs, "owner": r.owner}
        for r in rows]
    frame = pd.DataFrame(records, columns=list(COLUMNS))
    for column in ("started", "last_heartbeat"):
        frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    frame["tiles_total"] = frame["tiles_total"].astype("Int64")
    return frame


def zoom_text(zooms: Iterable[int]) -> str:
    """Zooms as compact text: ``[0, 1, 2, 5]`` -> ``"0-2,5"``."""
    parts: list[str] = []
    for z in sorted(set(zooms)):
        if parts and z == int(parts[-1].split("-")[-1]) + 1:
            parts[-1] = f"{parts[-1].split('-')[0]}-{z}"
        else:
            parts.append(str(z))
    return ",".join(parts)
