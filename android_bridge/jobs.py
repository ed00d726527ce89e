"""Jobs on the device: the fmtc_nb engine run in this process, recorded by recovery with the device as owner.

Each active job runs one :class:`fmtc_nb.engine.Download` on its own thread (its own event loop, so the API
stays responsive). The manager keeps the latest progress of each active job, drives the foreground service
from it, refuses to run a job twice, and on start resumes the jobs this device owned that died with the
previous process. Stopping the service (``shutdown``) leaves active jobs paused and resumable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from android_bridge.errors import ApiError
from android_bridge.foreground import ForegroundService
from android_bridge.recovery_link import RecoveryLink
from fmtc_nb.engine import Download, DownloadJob, ProgressSnapshot
from fmtc_nb.errors import FmtcError, JobConflict, RecoveryError


@dataclass
class ActiveJob:
    """A job running (or paused) in this process; ``prior_done``/``prior_failed`` count earlier runs' tiles."""

    id: str
    job: DownloadJob
    download: Download
    prior_done: int = 0
    snapshot: ProgressSnapshot = field(default_factory=ProgressSnapshot)
    thread: threading.Thread | None = None
    stopping: bool = False  # the service stops: end as "paused" (resumable), not "cancelled"

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self.download.paused

    def progress(self) -> tuple[int, int]:
        """(tiles attempted, tiles in the job), earlier runs included."""
        snap = self.snapshot
        return min(self.prior_done + snap.attempted, self.total), self.total

    @property
    def total(self) -> int:
        """Tiles in the job."""
        return self.snapshot.max_tiles or self.job.cover().total

    def row(self) -> dict[str, Any]:
        """The job as the API lists it."""
        snap = self.snapshot
        done = min(self.prior_done + snap.successful, self.total)
        return {"id": self.id, "store": self.job.store, "status": "paused" if self.paused else "running",
                "reason": None, "tiles_done": done, "tiles_failed": snap.failed, "tiles_total": self.total,
                "percentage": round(100.0 * self.progress()[0] / self.total, 2) if self.total else 100.0,
                "heartbeat_age_s": 0.0, "running_here": True}


class _BridgeCheckpointer:
    """Recovery's checkpointer with the bridge in between: live progress, and "paused" when the service stops."""

    def __init__(self, inner: Any, active: ActiveJob) -> None:
        self._inner, self._active = inner, active
        self.job_id = inner.job_id
        self.ended = False

    def todo(self, total: int) -> Any:
        return self._inner.todo(total)

    def batch_done(self, done: Any, failed: Any) -> tuple[str, str]:
        return self._inner.batch_done(done, failed)

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        self._inner.heartbeat(snapshot)

    def finished(self, snapshot: ProgressSnapshot, status: str, reason: str | None) -> None:
        if self._active.stopping and status == "cancelled":
            status, reason = "paused", "the service stopped; the job resumes when it starts again"
        self.ended = True
        self._inner.finished(snapshot, status, reason)


class JobManager:
    """Starts, follows, pauses, resumes and cancels the device's jobs."""

    def __init__(self, link: RecoveryLink, foreground: ForegroundService) -> None:
        self.link = link
        self.foreground = foreground
        self._lock = threading.RLock()
        self._active: dict[str, ActiveJob] = {}
        self._starting: set[str] = set()  # claimed in recovery, thread not yet running: alive all the same
        self._last_final: dict[str, dict[str, Any]] = {}

    # -- starting --------------------------------------------------------------------------------------------
    def dispatch(self, job: DownloadJob) -> dict[str, Any]:
        """Record ``job`` for recovery and start it; returns its row."""
        with self._starting_job(job.job_id):
            try:
                checkpointer = self.link.start(job)
            except RecoveryError as exc:  # the id is taken: dispatching the same job again is not doubled
                raise ApiError(409, str(exc)) from None
            except FmtcError as exc:
                raise ApiError(400, str(exc)) from None
            return self._run(checkpointer.job_id, job, checkpointer).row()

    def resume(self, job_id: str) -> dict[str, Any]:
        """Continue a paused job, or resume a stopped one from its checkpoint; a running job is refused (409)."""
        with self._lock:
            active = self._active.get(job_id)
            if active is not None:
                if not active.paused:
                    raise ApiError(409, f"The job {job_id} is already running on this device; it was not started twice.")
                active.download.resume()
                self.link.intend(job_id, paused=False)
                self._refresh()
                return active.row()
        with self._starting_job(job_id):
            try:
                job, checkpointer = self.link.resume(job_id)
            except JobConflict as exc:
                raise ApiError(409, str(exc)) from None
            except RecoveryError as exc:
                raise ApiError(self._missing_or_conflict(job_id), str(exc)) from None
            return self._run(checkpointer.job_id, job, checkpointer).row()

    @contextmanager
    def _starting_job(self, job_id: str) -> Iterator[None]:
        """While a job is claimed but not yet running, recovery must still hear that it is alive (and a
        second start of the same job is refused)."""
        with self._lock:
            if job_id in self._starting or job_id in self._active:
                raise ApiError(409, f"The job {job_id} is already running or starting on this device; it was not started twice.")
            self._starting.add(job_id)
        try:
            yield
        finally:
            with self._lock:
                self._starting.discard(job_id)

    def resume_orphans(self) -> list[str]:
        """Resume this device's jobs that died with a previous process of the bridge; returns their ids."""
        resumed = []
        for job_id, paused in self.link.orphans(exclude=set(self._active)):
            try:
                self.resume(job_id)
            except ApiError:
                continue
            if paused:
                self.pause(job_id)
            resumed.append(job_id)
        return resumed

    def _run(self, job_id: str, job: DownloadJob, checkpointer: Any) -> ActiveJob:
        download = Download(job, self.link.root)
        previous = getattr(checkpointer, "checkpoint", None)  # tiles done by earlier runs of a resumed job
        active = ActiveJob(job_id, job, download, prior_done=previous.tiles_done if previous is not None else 0)
        download.checkpointer = _BridgeCheckpointer(checkpointer, active)
        download.on_progress = lambda snap: self._progress(active, snap)
        bind = getattr(checkpointer, "bind", None)
        if bind is not None:
            bind(download)  # recovery's cancel requests reach the download
        with self._lock:
            self._active[job_id] = active
            self._last_final.pop(job_id, None)
            active.snapshot = ProgressSnapshot(max_tiles=job.cover().total, status="running")
            self._refresh()
        active.thread = threading.Thread(target=self._thread, args=(active,), name=f"job-{job_id}", daemon=True)
        active.thread.start()
        return active

    def _thread(self, active: ActiveJob) -> None:
        reason = None
        try:
            active.download.run()
        except BaseException as exc:  # kept for the API; recorded below if the engine could not record it
            reason = str(exc) or type(exc).__name__
            checkpointer = active.download.checkpointer
            if not getattr(checkpointer, "ended", True):  # failed before the engine's run began (store, policy)
                checkpointer.finished(active.download.snapshot, "failed", reason)
        with self._lock:
            row = active.row()
            snap = active.download.snapshot
            row.update(status=snap.status if snap.status not in ("running", "pending") else "failed",
                       running_here=False, reason=reason, snapshot=snap.to_dict())
            if active.stopping and row["status"] == "cancelled":
                row["status"] = "paused"
            else:
                self.link.done_with(active.id)
            self._last_final[active.id] = row
            active.snapshot = snap
            self._active.pop(active.id, None)
            self._refresh()

    # -- following -------------------------------------------------------------------------------------------
    def _progress(self, active: ActiveJob, snap: ProgressSnapshot) -> None:
        with self._lock:
            active.snapshot = snap
            self._refresh()

    def _refresh(self) -> None:
        jobs = list(self._active.values())
        self.foreground.refresh([j.progress() for j in jobs], any(not j.paused for j in jobs))

    def is_active(self, job_id: str) -> bool:
        """Whether ``job_id`` runs (or is paused) in this process: recovery's liveness answer for this device."""
        with self._lock:
            return job_id in self._active or job_id in self._starting

    def rows_active(self) -> list[dict[str, Any]]:
        """Rows of the jobs active in this process."""
        with self._lock:
            return [j.row() for j in self._active.values()]

    def recovery_rows(self) -> list[dict[str, Any]]:
        """The recovery registry's records (every column of its JSON report), live jobs marked."""
        with self._lock:
            active = set(self._active)
        return [{**r, "running_here": r["id"] in active} for r in self.link.records()]

    def active(self, job_id: str) -> ActiveJob | None:
        """The job if it is active in this process."""
        with self._lock:
            return self._active.get(job_id)

    def rows(self) -> list[dict[str, Any]]:
        """Every job recovery knows on this device, live figures for the active ones."""
        with self._lock:
            live = {j.id: j.row() for j in self._active.values()}
        rows = []
        for record in self.link.records():
            row = live.pop(record["id"], None) or {**record, "running_here": False}
            rows.append(row)
        rows.extend(live.values())
        return rows

    def row(self, job_id: str) -> dict[str, Any]:
        """One job's row (404 if unknown)."""
        with self._lock:
            active = self._active.get(job_id)
            if active is not None:
                return {**active.row(), "snapshot": active.snapshot.to_dict()}
        record = self.link.record(job_id)
        if record is None:
            raise ApiError(404, f"No job {job_id} on this device.")
        return {**record, "running_here": False}

    def events_state(self, job_id: str) -> tuple[dict[str, Any], bool]:
        """(the snapshot event for ``job_id``, whether the job is still active); 404 if unknown."""
        with self._lock:
            active = self._active.get(job_id)
            if active is not None:
                data = active.snapshot.to_dict()
                data.update(job_id=job_id, tiles_done=active.row()["tiles_done"])
                return data, True
            final = self._last_final.get(job_id)
        if final is None:
            final = self.row(job_id)
        return {**final.get("snapshot", {}), "job_id": job_id, "status": final["status"],
                "tiles_done": final.get("tiles_done"), "max_tiles": final.get("tiles_total")}, False

    # -- control ---------------------------------------------------------------------------------------------
    def pause(self, job_id: str) -> dict[str, Any]:
        """Pause an active job (its buffer is flushed; the wake lock is released when no job downloads)."""
        with self._lock:
            active = self._active.get(job_id)
            if active is None:
                self.row(job_id)  # 404 if unknown
                raise ApiError(409, f"The job {job_id} is not running on this device, so it cannot be paused.")
            active.download.pause()
            self.link.intend(job_id, paused=True)
            self._refresh()
            return active.row()

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a job: an active one stops soon (its stored tiles stay); a stopped one is marked cancelled."""
        with self._lock:
            active = self._active.get(job_id)
            if active is not None:
                active.download.cancel()
                row = active.row()
                row["status"] = "cancelling"
                return row
        self.row(job_id)
        try:
            self.link.cancel(job_id)
        except (JobConflict, RecoveryError) as exc:
            raise ApiError(409, str(exc)) from None
        return self.row(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until an active job's thread ends (tests and shutdown)."""
        active = self.active(job_id)
        if active is not None and active.thread is not None:
            active.thread.join(timeout)

    def shutdown(self, timeout: float = 10.0) -> None:
        """Stop every active job so it stays resumable (status paused), then leave the foreground."""
        with self._lock:
            jobs = list(self._active.values())
            for active in jobs:
                active.stopping = True
                active.download.cancel()
        deadline = time.monotonic() + timeout
        for active in jobs:
            if active.thread is not None:
                active.thread.join(max(deadline - time.monotonic(), 0))
        self.foreground.stop()

    def _missing_or_conflict(self, job_id: str) -> int:
        return 404 if self.link.record(job_id) is None else 409
