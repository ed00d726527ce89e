"""The records that cross a process boundary about jobs: one typed model each, with ``to_dict()`` (JSON-safe)
and ``from_dict()`` (its inverse, tolerant of keys a newer version adds).

- :class:`JobRow`: one job as every host lists it. The recovery registry produces it (``JobInfo.row()``),
  the device bridge answers its API with it (live figures of an active job on top), the device client parses
  it, and reports and widgets read its typed fields and properties.
- :class:`JobEvent`: one live progress event of a device's job (``GET /api/v1/jobs/{id}/events``).
- The engine's progress snapshot is :class:`fmtc_nb.engine.progress.ProgressSnapshot` (same two methods).

Rows and events also read like the JSON they travel as (``row["status"] == row.status``; ``dict(row) ==
row.to_dict()``), so code written against the API's dicts keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any, ClassVar

from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.states import LIVE_STATUSES, JobStatus


class WireRecord(Mapping[str, Any]):
    """Read-only dict access to a model's ``to_dict()`` (computed once: the models are frozen)."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    @cached_property
    def _wire(self) -> dict[str, Any]:
        return self.to_dict()

    def __getitem__(self, key: str) -> Any:
        return self._wire[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._wire)

    def __len__(self) -> int:
        return len(self._wire)


def _known_fields(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The values of ``data`` for the dataclass fields of ``cls`` (others, derived or newer, ignored)."""
    return {f.name: data[f.name] for f in fields(cls) if f.name in data}


@dataclass(frozen=True, eq=True)
class JobRow(WireRecord):
    """One job: counts are tiles, ``bytes`` bytes, times Unix seconds, ages and durations seconds.

    ``tiles_done`` counts tiles finished successfully (stored, or skipped as existing or sea) over every run,
    ``tiles_failed`` those whose last outcome was a failure; ``owner`` says who runs or ran it (and
    ``owner_detail`` the owner record); ``held``: a runner holds it. A device bridge adds ``running_here``
    (the job is active in the bridge's process) and ``snapshot``, the engine's progress of the current or last
    run while the bridge has it.
    """

    id: str
    store: str
    status: JobStatus
    reason: str | None = None
    tiles_done: int = 0
    tiles_failed: int = 0
    tiles_total: int | None = None
    bytes: int = 0
    heartbeat_age_s: float = 0.0
    owner: str = ""
    owner_detail: dict[str, Any] = field(default_factory=dict)
    region_kind: str = ""
    zooms: tuple[int, ...] = ()
    created_at: float = 0.0
    heartbeat_at: float = 0.0
    finished_at: float | None = None
    active_s: float = 0.0
    runs: int = 0
    held: bool = False
    running_here: bool = False
    snapshot: ProgressSnapshot | None = None

    #: Properties that :meth:`to_dict` adds to the fields (and :meth:`from_dict` ignores).
    DERIVED: ClassVar[tuple[str, ...]] = ("percentage", "tiles_per_s")

    @property
    def percentage(self) -> float | None:
        """Share of the job's tiles with a final outcome (done or failed), 0-100; None while the total is
        unknown."""
        if self.tiles_total is None:
            return None
        if not self.tiles_total:
            return 100.0
        return round(min(100.0 * (self.tiles_done + self.tiles_failed) / self.tiles_total, 100.0), 2)

    @property
    def tiles_per_s(self) -> float:
        """Tiles finished (done or failed) per second of running, over every run."""
        return round((self.tiles_done + self.tiles_failed) / self.active_s, 3) if self.active_s > 0 else 0.0

    @property
    def live(self) -> bool:
        """True while a runner may still be working on the job (running, paused in place, or stale)."""
        return self.held and self.status in LIVE_STATUSES

    def progress(self, last: ProgressSnapshot | None = None) -> ProgressSnapshot:
        """The job's figures over every run as a snapshot: ``tiles_done`` split into stored and skipped by the
        skips of ``last`` (the latest run's snapshot; earlier runs' skips are not told apart), failures by
        kind as far as ``last`` tells them, bytes and seconds of every run."""
        last = last or self.snapshot or ProgressSnapshot()
        skipped_existing = min(last.skipped_existing, self.tiles_done)
        skipped_sea = min(last.skipped_sea, self.tiles_done - skipped_existing)
        negative = min(last.failed_negative, self.tiles_failed)
        return replace(last, max_tiles=self.tiles_total or 0, successful=self.tiles_done,
                       cached=self.tiles_done - skipped_existing - skipped_sea, skipped_existing=skipped_existing,
                       skipped_sea=skipped_sea, failed_negative=negative, failed_request=self.tiles_failed - negative,
                       cached_bytes=self.bytes, elapsed_s=self.active_s, tiles_per_s=self.tiles_per_s,
                       status=self.status)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict: every field (``zooms`` a list, ``snapshot`` its own dict or None) and the
        :data:`DERIVED` properties."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update(zooms=list(self.zooms), owner_detail=dict(self.owner_detail),
                    snapshot=None if self.snapshot is None else self.snapshot.to_dict())
        data.update({name: getattr(self, name) for name in self.DERIVED})
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobRow:
        """Inverse of :meth:`to_dict`; derived and unknown keys are ignored, missing fields get defaults."""
        values = _known_fields(cls, data)
        values["zooms"] = tuple(values.get("zooms") or ())
        values["owner_detail"] = dict(values.get("owner_detail") or {})
        snapshot = values.get("snapshot")
        values["snapshot"] = None if snapshot is None else ProgressSnapshot.from_dict(snapshot)
        return cls(**values)


@dataclass(frozen=True, eq=True)
class JobEvent(WireRecord):
    """One live progress event of a device's job: the engine's ``snapshot`` of the current run and
    ``tiles_done``, the tiles finished successfully over every run (a resumed job's snapshot counts only its
    own run). On the wire it is the snapshot's dict with ``job_id`` and ``tiles_done`` added."""

    job_id: str
    tiles_done: int
    snapshot: ProgressSnapshot

    @property
    def overall(self) -> ProgressSnapshot:
        """The snapshot over every run: earlier runs' finished tiles counted as done (and stored: their skips
        are not told apart), so ``attempted``, ``remaining`` and ``percentage`` cover the whole job."""
        snap = self.snapshot
        earlier = max(self.tiles_done - snap.successful, 0)
        return replace(snap, successful=snap.successful + earlier, cached=snap.cached + earlier)

    def to_dict(self) -> dict[str, Any]:
        """The snapshot's dict with ``job_id`` and ``tiles_done``."""
        return {**self.snapshot.to_dict(), "job_id": self.job_id, "tiles_done": self.tiles_done}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JobEvent:
        """Inverse of :meth:`to_dict` (unknown keys ignored; ``tiles_done`` defaults to the run's own)."""
        snapshot = ProgressSnapshot.from_dict(data)
        return cls(str(data.get("job_id", "")), int(data.get("tiles_done", snapshot.successful)), snapshot)


__all__ = ["JobEvent", "JobRow", "WireRecord"]
