"""What the registry says about one job (:class:`JobInfo`) and how its status follows from the owner's liveness."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, cast

from fmtc_nb.recovery.owner import Owner
from fmtc_nb.states import LIVE_STATUSES, JobStatus
from fmtc_nb.wire import JobRow

#: Every status a job of the registry can have. ``stale`` is never stored: it is what a held job whose owner
#: cannot be asked looks like once its heartbeat is older than the lease (a live owner's job stays running,
#: its age said).
STATUSES: tuple[JobStatus, ...] = ("running", "paused", "stale", "failed", "cancelled", "completed")


@dataclass(frozen=True)
class JobInfo:
    """One job of the registry; counts are tiles, ``bytes`` bytes, times Unix seconds, ages seconds."""

    id: str
    store: str
    status: JobStatus
    reason: str | None
    tiles_done: int
    tiles_failed: int
    tiles_total: int | None
    bytes: int
    heartbeat_age_s: float
    owner: Owner
    region_kind: str
    zooms: list[int]
    created_at: float
    heartbeat_at: float
    finished_at: float | None
    active_s: float
    runs: int
    held: bool
    spec: dict[str, Any] = field(repr=False, compare=False)

    @property
    def live(self) -> bool:
        """True while a runner may still be working on the job (running, paused in place, or stale)."""
        return self.held and self.status in LIVE_STATUSES

    @property
    def tiles_per_s(self) -> float:
        """Tiles finished per second of running, over all runs."""
        return (self.tiles_done + self.tiles_failed) / self.active_s if self.active_s > 0 else 0.0

    def row(self) -> JobRow:
        """The job as every host lists it (ages and durations rounded to milliseconds)."""
        return JobRow(id=self.id, store=self.store, status=self.status, reason=self.reason,
                      tiles_done=self.tiles_done, tiles_failed=self.tiles_failed, tiles_total=self.tiles_total,
                      bytes=self.bytes, heartbeat_age_s=round(self.heartbeat_age_s, 3), owner=self.owner.describe(),
                      owner_detail=self.owner.to_dict(), region_kind=self.region_kind, zooms=tuple(self.zooms),
                      created_at=self.created_at, heartbeat_at=self.heartbeat_at, finished_at=self.finished_at,
                      active_s=round(self.active_s, 3), runs=self.runs, held=self.held)

    def job(self) -> Any:
        """The job rebuilt from its stored specification: a :class:`~fmtc_nb.engine.DownloadJob`, or a
        :class:`~fmtc_nb.packs.PackJob` for a style pack."""
        from fmtc_nb.packs.job import job_from_dict

        return job_from_dict(self.spec)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (the ``fmtc-nb recovery list --json`` object): :meth:`row`'s."""
        return self.row().to_dict()


def human_age(seconds: float) -> str:
    """A duration for sentences: '0.4 s', '75 s', '12 min', '5 h', '3 d'."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h" if seconds < 172800 else f"{seconds / 86400:.0f} d"


def derive_status(row: sqlite3.Row, alive: bool | None, now: float,
                  lease_s: float) -> tuple[JobStatus, str | None]:
    """The status and reason of a stored job given whether its owner is alive (True/False/None)."""
    status, reason = cast(JobStatus, row["status"]), row["reason"]
    if not row["held"]:
        return status, reason
    owner = Owner.from_json(row["owner"]).describe()
    age = max(now - row["heartbeat_at"], 0.0)
    if alive is False:
        return "failed", f"{owner} ended without finishing the job"
    if age > lease_s and alive:  # a live owner is never doubted: running (or paused), with the age said
        return status, (f"{owner} is alive but its last heartbeat is {human_age(age)} old (lease {lease_s:g} s)")
    if age > lease_s:
        return "stale", (f"{owner} cannot be asked and its last heartbeat is {human_age(age)} old "
                         f"(lease {lease_s:g} s); it may still be running")
    return status, reason


def info_from_row(row: sqlite3.Row, status: JobStatus, reason: str | None, now: float) -> JobInfo:
    """A :class:`JobInfo` from a ``jobs`` row and its derived status."""
    return JobInfo(id=row["id"], store=row["store"], status=status, reason=reason, tiles_done=row["tiles_done"],
                   tiles_failed=row["tiles_failed"], tiles_total=row["tiles_total"], bytes=row["bytes"],
                   heartbeat_age_s=max(now - row["heartbeat_at"], 0.0), owner=Owner.from_json(row["owner"]),
                   region_kind=row["region_kind"], zooms=json.loads(row["zooms"]), created_at=row["created_at"],
                   heartbeat_at=row["heartbeat_at"], finished_at=row["finished_at"], active_s=row["active_s"],
                   runs=row["runs"], held=bool(row["held"]) and status in LIVE_STATUSES,
                   spec=json.loads(row["spec"]))
