"""The recovery registry: every download job of a root, who runs it, how far it got, and how to resume it.

One SQLite file ``<root>/recovery.sqlite`` (WAL) shared by every process using the root. The exact
checkpoint itself lives in the job's store, written in the same transaction as the tiles; the registry holds
the job's specification, owner, heartbeat, status and counts.

A job's status is decided when it is read: a job held by a runner whose owner is known gone is failed; one
whose owner cannot be asked and whose heartbeat is older than the lease is stale; otherwise (owner alive, or
heartbeat fresh) it is what its runner last said (running or paused), with the heartbeat's age. Only one
runner holds a job at a time; ``force`` takes a job whose heartbeat is older than the lease.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmtc_nb.errors import JobConflict, RecoveryError, StoreError
from fmtc_nb.recovery.checkpoint import Checkpoint
from fmtc_nb.recovery.db import FILE_NAME, connect
from fmtc_nb.recovery.info import JobInfo, derive_status, human_age, info_from_row
from fmtc_nb.recovery.owner import DeviceLiveness, Owner, owner_alive
from fmtc_nb.recovery.resume_options import reoptioned
from fmtc_nb.recovery.tracker import JobTracker
from fmtc_nb.sqlitefiles import disk_full

if TYPE_CHECKING:
    import pandas

    from fmtc_nb.engine.job import DownloadJob
    from fmtc_nb.packs.job import PackJob
    from fmtc_nb.states import JobStatus

#: Seconds without a heartbeat after which a job whose owner cannot vouch for it is reported stale.
DEFAULT_LEASE_S = 15.0


def root_dir(root: Any) -> Path:
    """The directory of ``root``: a ``fmtc_nb.store.Root``, a path, or None for the default root."""
    from fmtc_nb.paths import resolve_root

    if root is None or isinstance(root, str | os.PathLike):
        return resolve_root(root)
    for attr in ("path", "root", "directory"):
        value = getattr(root, attr, None)
        if isinstance(value, str | os.PathLike):
            return Path(value)
    return resolve_root(root)


class RecoveryRegistry:
    """The registry of the root ``root`` (a ``Root``, a path, or None for the default root).

    ``lease_s``: heartbeat age in seconds after which an unaskable owner's job is stale.
    ``device_liveness(device_id, job_id) -> True | False | None``: how device owners are asked (the device
    bridge registers it; without it device-owned jobs are never failed, only stale once silent).
    """

    def __init__(self, root: Any = None, *, lease_s: float = DEFAULT_LEASE_S,
                 device_liveness: DeviceLiveness | None = None) -> None:
        self.root = root
        self.root_dir = root_dir(root)
        self.path = self.root_dir / FILE_NAME
        self.lease_s = lease_s
        self.device_liveness = device_liveness
        self._db = connect(self.root_dir)
        self._lock = threading.RLock()

    def close(self) -> None:
        """Close the registry's connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> RecoveryRegistry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"RecoveryRegistry({str(self.root_dir)!r})"

    # -- claiming --------------------------------------------------------------------------------------
    def start(self, job: DownloadJob | PackJob, owner: Owner | None = None, *, job_id: str | None = None) -> JobTracker:
        """Record a new job held by ``owner`` (default: this process) and return its checkpointer.

        The job is recorded under ``job_id``, else the job's own ``job_id``, else a random id."""
        owner = owner or Owner.this_process()
        job_id = job_id or getattr(job, "job_id", None) or uuid.uuid4().hex[:16]
        now = time.time()
        with self._writing():
            try:
                self._db.execute(
                    "INSERT INTO jobs (id, store, spec, region_kind, zooms, owner, held, claim, status, "
                    "created_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, 1, 1, 'running', ?, ?)",
                    (job_id, job.store, json.dumps(job.to_dict()), getattr(job.region, "kind", "region"),
                     json.dumps(list(job.zooms)), owner.to_json(), now, now))
            except Exception as exc:
                if "UNIQUE" in str(exc):
                    raise RecoveryError(f"A job with id {job_id!r} is already in the recovery registry.") from None
                raise
        return JobTracker(self, job_id, 1, Checkpoint())

    def resume(self, job_id: str, owner: Owner | None = None, *, force: bool = False,
               options: Mapping[str, Any] | None = None) -> tuple[DownloadJob | PackJob, JobTracker]:
        """Claim job ``job_id`` for ``owner`` (default: this process): its job and a checkpointer that
        yields the missing tiles, then the failed ones.

        ``options`` (DownloadOptions field -> value, only those of :data:`~fmtc_nb.recovery.resume_options.
        RESUME_OPTIONS`: how tiles are fetched, e.g. ``ca_bundle`` after a CertificateError) replace the
        recorded ones, in the job returned and in the registry, so later resumes use them too.

        Refused with :class:`JobConflict` while another runner holds it (running or paused in place), and
        while it is stale unless ``force``.
        """
        info = self.get(job_id)
        if info.live and not self._takeable(info, force):
            raise JobConflict(conflict_sentence(info, silent=self._silent(info)))
        job = reoptioned(info.job(), options or {})
        checkpoint = self.checkpoint(info.id, info.store) or Checkpoint()
        owner = owner or Owner.this_process()
        now = time.time()
        with self._writing():
            row = self._db.execute("SELECT claim, heartbeat_at FROM jobs WHERE id = ?", (info.id,)).fetchone()
            cur = self._db.execute(
                "UPDATE jobs SET owner = ?, held = 1, claim = claim + 1, status = 'running', reason = NULL, "
                "heartbeat_at = ?, finished_at = NULL, runs = runs + 1, cancel_requested = 0, tiles_done = ?, "
                "tiles_failed = ?, spec = COALESCE(?, spec) WHERE id = ? AND claim = ? AND heartbeat_at = ?",
                (owner.to_json(), now, checkpoint.tiles_done, checkpoint.tiles_failed,
                 json.dumps(job.to_dict()) if options else None, info.id,
                 row["claim"] if row else -1, info.heartbeat_at))
            if cur.rowcount != 1:
                raise JobConflict(f"Job {info.id} was claimed by another runner a moment ago, so it cannot be "
                                  "resumed here.")
        return job, JobTracker(self, info.id, row["claim"] + 1, checkpoint, info.bytes, info.active_s)

    # -- reading ---------------------------------------------------------------------------------------
    def jobs(self, store: str | None = None) -> list[JobInfo]:
        """Every job (of ``store`` if given), oldest first, with its status decided now."""
        with self._lock:
            sql = "SELECT * FROM jobs" + (" WHERE store = ?" if store else "") + " ORDER BY created_at, id"
            rows = self._db.execute(sql, (store,) if store else ()).fetchall()
        return [self._info(row) for row in rows]

    def get(self, job_id: str) -> JobInfo:
        """The job ``job_id`` (a unique prefix of it is enough); :class:`RecoveryError` if unknown."""
        return self._info(self._row(job_id))

    def checkpoint(self, job_id: str, store: str | None = None) -> Checkpoint | None:
        """The exact checkpoint stored with the tiles in the job's store (None if the store or checkpoint
        is not in this root, e.g. a job run on a device)."""
        store = store or self._row(job_id)["store"]
        opened = self._open_store(store)
        if opened is None:
            return None
        try:
            text = opened.read_checkpoint(job_id)
        finally:
            opened.close()
        return Checkpoint.from_text(text) if text else None

    def report(self) -> pandas.DataFrame:
        """One row per job (see :func:`fmtc_nb.recovery.report.jobs_frame`); needs pandas."""
        from fmtc_nb.recovery.report import jobs_frame

        return jobs_frame(self.jobs())

    # -- acting ----------------------------------------------------------------------------------------
    def cancel(self, job_id: str, *, force: bool = False) -> JobInfo:
        """Cancel the job: a held job's runner is asked to stop (it sees the request within a second and
        ends cancelled); a job nobody runs is marked cancelled at once, and so is a stale one with ``force``
        (its runner, if it still runs somewhere, loses its claim and stops). Returns the job as it is now."""
        info = self.get(job_id)
        if info.status == "completed" and not info.tiles_failed:
            raise RecoveryError(f"Job {info.id} is already completed, so there is nothing to cancel.")
        with self._writing():
            if info.live and self._takeable(info, force):
                self._db.execute("UPDATE jobs SET status = 'cancelled', reason = 'cancelled by the user while "
                                 "stale', held = 0, claim = claim + 1, finished_at = ? WHERE id = ?",
                                 (time.time(), info.id))
            elif info.live:
                self._db.execute("UPDATE jobs SET cancel_requested = 1 WHERE id = ?", (info.id,))
            else:
                self._db.execute("UPDATE jobs SET status = 'cancelled', reason = 'cancelled by the user', "
                                 "held = 0 WHERE id = ? AND held = 0", (info.id,))
        return self.get(info.id)

    def forget(self, job_id: str, *, force: bool = False) -> None:
        """Remove the job from the registry and its checkpoint from its store; refused while it is live,
        and while it is stale unless ``force`` (a runner still running somewhere then loses its claim)."""
        info = self.get(job_id)
        if info.live and not self._takeable(info, force):
            raise JobConflict(conflict_sentence(info, "forgotten", silent=self._silent(info)))
        opened = self._open_store(info.store, readonly=False)
        if opened is not None:
            try:
                opened.delete_checkpoint(info.id)
            finally:
                opened.close()
        with self._writing():
            self._db.execute("DELETE FROM jobs WHERE id = ? AND (held = 0 OR ?)", (info.id, info.live))

    # -- internals -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """The registry's lock for a write; a write SQLite refuses (a full disk, a read-only medium, a lock
        held too long) becomes one sentence (``RecoveryError``)."""
        with self._lock:
            try:
                yield
            except sqlite3.OperationalError as exc:
                full = disk_full(self.root_dir)
                raise RecoveryError(f"The recovery registry {self.path} cannot be written ({exc})"
                                    + ("; the disk holding it is full, so free some space." if full else ".")) from None

    def _silent(self, info: JobInfo) -> bool:
        """Whether a held job's heartbeat is older than the lease (stale, or a live owner gone quiet)."""
        return info.heartbeat_age_s > self.lease_s

    def _takeable(self, info: JobInfo, force: bool) -> bool:
        """Whether ``force`` may take a held job from its runner: only once its heartbeat is past the lease."""
        return force and self._silent(info)

    def _row(self, job_id: str) -> Any:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None and job_id:  # a prefix, matched exactly (LIKE would ignore case)
                rows = self._db.execute("SELECT * FROM jobs WHERE substr(id, 1, ?) = ? LIMIT 2",
                                        (len(job_id), job_id)).fetchall()
                if len(rows) > 1:
                    raise RecoveryError(f"The job id prefix {job_id!r} matches several jobs; give more of it.")
                row = rows[0] if rows else None
        if row is None:
            raise RecoveryError(f"There is no job {job_id!r} in the recovery registry {self.path}.")
        return row

    def _info(self, row: Any) -> JobInfo:
        """Decide the row's status now; a held job whose owner is gone is recorded as failed, with the
        counts of the checkpoint its store really holds."""
        now = time.time()
        alive = owner_alive(Owner.from_json(row["owner"]), row["id"], self.device_liveness) if row["held"] else None
        status, reason = derive_status(row, alive, now, self.lease_s)
        if status == "failed" and row["held"]:
            checkpoint = self.checkpoint(row["id"], row["store"])
            counts = {"tiles_done": checkpoint.tiles_done, "tiles_failed": checkpoint.tiles_failed} if checkpoint else {}
            try:
                with self._writing():
                    self._db.execute(
                        "UPDATE jobs SET held = 0, status = 'failed', reason = ?, finished_at = heartbeat_at, "
                        "tiles_done = coalesce(?, tiles_done), tiles_failed = coalesce(?, tiles_failed) "
                        "WHERE id = ? AND claim = ? AND held = 1",
                        (reason, counts.get("tiles_done"), counts.get("tiles_failed"), row["id"], row["claim"]))
                    row = self._db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
            except RecoveryError:  # not writable now (a full disk): shown as recorded next time it can be
                row = dict(zip(row.keys(), row, strict=True)) | counts | {
                    "held": 0, "status": "failed", "reason": reason, "finished_at": row["heartbeat_at"]}
            status, reason = derive_status(row, alive, now, self.lease_s)
        return info_from_row(row, status, reason, now)

    def _open_store(self, name: str, *, readonly: bool = True) -> Any:
        """The store ``name`` of this root, or None if this root has no such store."""
        from fmtc_nb.store import Root

        try:
            return Root(self.root_dir).open(name, readonly=readonly)
        except (StoreError, FileNotFoundError):
            return None

    def record_progress(self, tracker: JobTracker, *, status: JobStatus, bytes_: int, active_s: float) -> bool | None:
        """Heartbeat of ``tracker`` (its checkpoint's counts, ``bytes_`` stored and ``active_s`` seconds of work):
        None if it lost its claim, else whether a cancel was requested. Called by the tracker only."""
        cp = tracker.checkpoint
        with self._writing():
            row = self._db.execute(
                "UPDATE jobs SET heartbeat_at = ?, status = ?, tiles_done = ?, tiles_failed = ?, "
                "tiles_total = coalesce(?, tiles_total), bytes = ?, active_s = ? "
                "WHERE id = ? AND claim = ? AND held = 1 RETURNING cancel_requested",
                (time.time(), status, cp.tiles_done, cp.tiles_failed, cp.total, bytes_, active_s,
                 tracker.job_id, tracker.claim)).fetchone()
        return None if row is None else bool(row[0])

    def record_end(self, tracker: JobTracker, status: JobStatus, reason: str | None, *, bytes_: int,
                   active_s: float) -> None:
        """The end of ``tracker``'s run: its status with ``reason`` and final counts; the claim is released.
        Called by the tracker only."""
        cp = tracker.checkpoint
        now = time.time()
        with self._writing():
            self._db.execute(
                "UPDATE jobs SET held = 0, status = ?, reason = ?, heartbeat_at = ?, finished_at = ?, "
                "tiles_done = ?, tiles_failed = ?, tiles_total = coalesce(?, tiles_total), bytes = ?, "
                "active_s = ?, cancel_requested = 0 WHERE id = ? AND claim = ?",
                (status, reason, now, now, cp.tiles_done, cp.tiles_failed, cp.total, bytes_, active_s,
                 tracker.job_id, tracker.claim))


def conflict_sentence(info: JobInfo, verb: str = "resumed or retried", *, silent: bool = False) -> str:
    """Why a live job cannot be taken: where it runs and how fresh its heartbeat is (``silent``: older than
    the lease, so ``--force`` may take it)."""
    where = info.owner.describe()
    age = info.heartbeat_age_s
    if info.status == "stale":
        return (f"Job {info.id} may still be running in {where} (its owner cannot be asked and its last "
                f"heartbeat is {human_age(age)} old), so it cannot be {verb} here without --force.")
    force = " without --force" if silent else ""
    return (f"Job {info.id} is {info.status} in {where} (last heartbeat {human_age(age)} ago), so it cannot be "
            f"{verb} here{force}.")
