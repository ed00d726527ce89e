"""Jobs on the device: the fmtc_nb engine run in this process, recorded by recovery with the device as owner.

Each active job runs one :class:`fmtc_nb.engine.Download` (a style pack: one
:class:`fmtc_nb.packs.PackDownload`, which runs the engine once per tile source under the pack's one record) on
its own thread (its own event loop, so the API stays responsive). The manager keeps the latest progress of each active job, drives the foreground service
from it, refuses to run a job twice, and on start resumes the jobs this device owned that died with the
previous process. Stopping the service (``shutdown``) leaves active jobs paused and resumable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from android_bridge.errors import BadRequest, JobStateConflict, UnknownJob, WaitingForApp
from android_bridge.foreground import ForegroundService
from android_bridge.platform.base import ForegroundServiceRefused
from android_bridge.recovery_link import RecoveryLink
from fmtc_nb.engine import Download, DownloadJob, ProgressSnapshot
from fmtc_nb.errors import FmtcError
from fmtc_nb.packs.job import PackJob
from fmtc_nb.packs.runner import PackDownload
from fmtc_nb.states import JobStatus
from fmtc_nb.wire import JobEvent, JobRow

#: Why a job waits, paused, after Android refused the foreground (its row's reason and the API's sentence).
WAITING_FOR_APP = ("Android did not let the phone start downloading from the background (Android 12 and later, "
                   "or the day's six hours of background downloading are used up), so job {id} is saved and "
                   "paused: open the fmtc-nb app on the phone and it starts, or turn battery optimisation off "
                   "for the app so it can start on its own.")
#: The reason a job stopped by the service's end is recorded with, unless the stop says why.
SERVICE_STOPPED = "the service stopped; the job resumes when it starts again"


@dataclass
class ActiveJob:
    """A job running (or paused) in this process; ``prior_done`` counts the tiles earlier runs of a tile job
    finished (a pack's runner counts its own, once planned: :attr:`earlier`)."""

    id: str
    job: DownloadJob | PackJob
    download: Download | PackDownload
    prior_done: int = 0
    cover_total: int = 0  # tiles in the job, counted once before it starts
    snapshot: ProgressSnapshot = field(default_factory=ProgressSnapshot)
    thread: threading.Thread | None = None
    stopping: bool = False  # the service stops: end as "paused" (resumable), not "cancelled"
    stop_reason: str = SERVICE_STOPPED  # why the service stopped, recorded as the paused job's reason
    waiting: str | None = None  # Android refused the foreground: paused until the app is opened

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self.download.paused

    @property
    def earlier(self) -> int:
        """Tiles finished by earlier runs of the job."""
        return self.prior_done + (self.download.prior_done if isinstance(self.download, PackDownload) else 0)

    def progress(self) -> tuple[int, int]:
        """(tiles attempted, tiles in the job), earlier runs included."""
        snap = self.snapshot
        return min(self.earlier + snap.attempted, self.total), self.total

    @property
    def total(self) -> int:
        """Tiles in the job."""
        return self.snapshot.max_tiles or self.cover_total

    @property
    def tiles_done(self) -> int:
        """Tiles finished successfully over every run."""
        return min(self.earlier + self.snapshot.successful, self.total)

    def row(self, record: JobRow | None) -> JobRow:
        """The job as the API lists it: the registry's ``record`` with this run's live figures on top."""
        base = record or JobRow(self.id, self.job.store, "running", region_kind=self.job.region.kind,
                                zooms=tuple(self.job.zooms))
        return replace(base, status="paused" if self.paused else "running", reason=self.waiting,
                       tiles_done=self.tiles_done, tiles_failed=self.snapshot.failed, tiles_total=self.total,
                       heartbeat_age_s=0.0, held=True, running_here=True, snapshot=self.snapshot)

    def event(self) -> JobEvent:
        """The live progress event of the job."""
        return JobEvent(self.id, self.tiles_done, self.snapshot)


class _BridgeCheckpointer:
    """Recovery's checkpointer with the bridge in between: live progress, and "paused" when the service stops."""

    def __init__(self, inner: Any, active: ActiveJob) -> None:
        self._inner, self._active = inner, active
        self.job_id = inner.job_id
        self.ended = False

    @property
    def checkpoint(self) -> Any:
        """The record's checkpoint (a pack puts its tally of every source here)."""
        return self._inner.checkpoint

    @checkpoint.setter
    def checkpoint(self, value: Any) -> None:
        self._inner.checkpoint = value

    def todo(self, total: int) -> Any:
        return self._inner.todo(total)

    def batch_checkpoint(self, done: Any, failed: Any) -> tuple[str, str]:
        return self._inner.batch_checkpoint(done, failed)

    def batch_done(self, done: Any, failed: Any) -> None:
        self._inner.batch_done(done, failed)

    def heartbeat(self, snapshot: ProgressSnapshot) -> None:
        self._inner.heartbeat(snapshot)

    def finished(self, snapshot: ProgressSnapshot, status: JobStatus, reason: str | None) -> None:
        if self._active.stopping and status == "cancelled":
            status, reason = "paused", self._active.stop_reason
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
        self._last_final: dict[str, JobRow] = {}  # how jobs that ended in this process ended, with their snapshot

    # -- starting --------------------------------------------------------------------------------------------
    def dispatch(self, job: DownloadJob | PackJob) -> JobRow:
        """Record ``job`` for recovery and start it; returns its row. A job whose id recovery knows already is
        refused (RecoveryError): dispatching the same job again is not doubled."""
        with self._starting_job(job.job_id):
            checkpointer = self.link.start(job)
            self._run(checkpointer.job_id, job, checkpointer)
        return self.row(job.job_id)

    def resume(self, job_id: str, *, paused: bool = False) -> JobRow:
        """Continue a paused job, or resume a stopped one from its checkpoint (``paused``: claimed but left
        paused); a running job is refused (JobStateConflict), one another runner holds too (JobConflict), an
        unknown one is UnknownJob; WaitingForApp when Android refuses the foreground (the job waits, paused)."""
        with self._lock:
            active = self._active.get(job_id)
            if active is not None:
                if not active.paused:
                    raise JobStateConflict(f"The job {job_id} is already running on this device; it was not "
                                           "started twice.")
                active.download.resume()
                active.waiting = None
                self.link.intend(job_id, paused=False)
                self._raise_if_refused(self._refresh())
                return self.row(job_id)
        self._known(job_id)
        with self._starting_job(job_id):
            job, checkpointer = self.link.resume(job_id)
            self._run(checkpointer.job_id, job, checkpointer, paused=paused)
        return self.row(job_id)

    @contextmanager
    def _starting_job(self, job_id: str) -> Iterator[None]:
        """While a job is claimed but not yet running, recovery must still hear that it is alive (and a
        second start of the same job is refused)."""
        with self._lock:
            waiting = self._active[job_id].waiting if job_id in self._active else None
            if waiting:
                raise JobStateConflict(waiting)
            if job_id in self._starting or job_id in self._active:
                raise JobStateConflict(f"The job {job_id} is already running or starting on this device; it was "
                                       "not started twice.")
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
                self.resume(job_id, paused=paused)
            except WaitingForApp:
                pass  # resumed, but waits for the app: Android refused the foreground
            except FmtcError:
                continue
            resumed.append(job_id)
        return resumed

    def resume_waiting(self) -> list[str]:
        """Start the jobs that wait because Android refused the foreground (the app is on screen now, so
        Android allows it); returns their ids. Still refused: they keep waiting."""
        with self._lock:
            waiting = [j for j in self._active.values() if j.waiting]
            for active in waiting:
                active.download.resume()
                active.waiting = None
            self._refresh()
            return [j.id for j in waiting if not j.waiting]

    def _run(self, job_id: str, job: DownloadJob | PackJob, checkpointer: Any, *, paused: bool = False) -> ActiveJob:
        download = PackDownload(job, self.link.root) if isinstance(job, PackJob) else Download(job, self.link.root)
        if paused:
            download.pause()
        previous = getattr(checkpointer, "checkpoint", None)  # tiles done by earlier runs of a resumed job
        # outside the lock: other calls go on meanwhile; a pack counts its items once planned, on its thread
        total = job.cover().total if isinstance(job, DownloadJob) else 0
        active = ActiveJob(job_id, job, download, prior_done=previous.tiles_done if previous is not None else 0,
                           cover_total=total)
        download.checkpointer = _BridgeCheckpointer(checkpointer, active)
        download.on_progress = lambda snap: self._progress(active, snap)
        bind = getattr(checkpointer, "bind", None)
        if bind is not None:
            bind(download)  # recovery's cancel requests reach the download
        with self._lock:
            self._active[job_id] = active
            self._last_final.pop(job_id, None)
            active.snapshot = ProgressSnapshot(max_tiles=total, status="running")
            refused = self._refresh()
        active.thread = threading.Thread(target=self._thread, args=(active,), name=f"job-{job_id}", daemon=True)
        active.thread.start()
        self._raise_if_refused(refused)
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
        record = self.link.record(active.id)  # the end the engine recorded, counts exact
        with self._lock:
            snap = active.download.snapshot
            status: JobStatus = snap.status if snap.status not in ("running", "pending") else "failed"
            if active.stopping and status == "cancelled":
                status = "paused"
            else:
                self.link.done_with(active.id)
            active.snapshot = snap
            final = active.row(record) if record is None else record
            self._last_final[active.id] = replace(final, status=status, reason=reason or final.reason,
                                                  running_here=False, snapshot=snap)
            self._active.pop(active.id, None)
            self._refresh()

    # -- following -------------------------------------------------------------------------------------------
    def _progress(self, active: ActiveJob, snap: ProgressSnapshot) -> None:
        with self._lock:
            active.snapshot = snap
            self._refresh()

    def _refresh(self) -> str | None:
        """Show the downloading jobs in the foreground; if Android refuses, pause them to wait for the app
        and return the sentence saying so (the caller holds the lock)."""
        downloading = [j for j in self._active.values() if not j.paused]
        try:
            self.foreground.refresh([j.progress() for j in downloading])
        except ForegroundServiceRefused as exc:
            for active in downloading:
                active.download.pause()
                active.waiting = WAITING_FOR_APP.format(id=active.id)
                self.link.intend(active.id, paused=False)  # a new start of the service resumes it
                # recovery hears "paused" now, not at the engine's next heartbeat a second later
                active.download.checkpointer.heartbeat(replace(active.download.snapshot, status="paused"))
            return f"{WAITING_FOR_APP.format(id=', '.join(j.id for j in downloading))} ({exc})"
        return None

    @staticmethod
    def _raise_if_refused(refused: str | None) -> None:
        """WaitingForApp with the sentence of a refused foreground (the job is kept, paused, waiting)."""
        if refused:
            raise WaitingForApp(refused)

    def resolve(self, job_id: str) -> str:
        """The full id of the job ``job_id`` names: its exact id, else the one job whose id starts with it (as
        ``fmtc-nb recovery`` takes ids); UnknownJob if none does, BadRequest if several do."""
        with self._lock:
            if job_id in self._active or job_id in self._starting:
                return job_id
            here = {j for j in (*self._active, *self._starting) if j.startswith(job_id)}
        matches = here | set(self.link.ids_starting_with(job_id))
        if job_id in matches or len(matches) == 1:
            return job_id if job_id in matches else matches.pop()
        if not matches:
            raise UnknownJob(f"No job {job_id} on this device.")
        raise BadRequest(f"The job id prefix {job_id!r} matches several jobs; give more of it.")

    def is_active(self, job_id: str) -> bool:
        """Whether ``job_id`` runs (or is paused) in this process: recovery's liveness answer for this device."""
        with self._lock:
            return job_id in self._active or job_id in self._starting

    def active_count(self) -> int:
        """How many jobs are active (running or paused) in this process."""
        with self._lock:
            return len(self._active)

    def recovery_rows(self) -> list[JobRow]:
        """The recovery registry's rows, the jobs active here marked ``running_here``."""
        with self._lock:
            active = set(self._active)
        return [replace(r, running_here=r.id in active) for r in self.link.records()]

    def active(self, job_id: str) -> ActiveJob | None:
        """The job if it is active in this process."""
        with self._lock:
            return self._active.get(job_id)

    def rows(self) -> list[JobRow]:
        """Every job recovery knows on this device, live figures for the active ones."""
        records = {r.id: r for r in self.link.records()}
        with self._lock:
            live = {j.id: j.row(records.get(j.id)) for j in self._active.values()}
        rows = [live.pop(job_id) if job_id in live else record for job_id, record in records.items()]
        return rows + list(live.values())

    def row(self, job_id: str) -> JobRow:
        """One job's row (UnknownJob if recovery does not know it)."""
        record = self.link.record(job_id)
        with self._lock:
            active = self._active.get(job_id)
            if active is not None:
                return active.row(record)
        if record is None:
            raise UnknownJob(f"No job {job_id} on this device.")
        return record

    def _known(self, job_id: str) -> None:
        """UnknownJob unless recovery knows ``job_id``."""
        if self.link.record(job_id) is None:
            raise UnknownJob(f"No job {job_id} on this device.")

    def events_state(self, job_id: str) -> tuple[JobEvent, bool]:
        """(the progress event of ``job_id``, whether the job is still active); UnknownJob if unknown. A job
        that ended shows its last run's snapshot (or its figures over every run) with its final status."""
        with self._lock:
            active = self._active.get(job_id)
            if active is not None:
                return active.event(), True
            final = self._last_final.get(job_id)
        if final is None:
            final = self.row(job_id)
        snapshot = replace(final.snapshot or final.progress(), status=final.status, max_tiles=final.tiles_total or 0)
        return JobEvent(job_id, final.tiles_done, snapshot), False

    # -- control ---------------------------------------------------------------------------------------------
    def pause(self, job_id: str) -> JobRow:
        """Pause an active job (its buffer is flushed; the wake lock is released when no job downloads)."""
        with self._lock:
            active = self._active.get(job_id)
            if active is not None:
                active.download.pause()
                active.waiting = None
                self.link.intend(job_id, paused=True)
                self._refresh()
        if active is None:
            self._known(job_id)
            raise JobStateConflict(f"The job {job_id} is not running on this device, so it cannot be paused.")
        return self.row(job_id)

    def cancel(self, job_id: str) -> JobRow:
        """Cancel a job: an active one stops soon (status ``cancelling``; its stored tiles stay) and is never
        resumed, even if the service is killed before it ended; a stopped one is marked cancelled
        (RecoveryError if it completed, JobConflict if another runner holds it)."""
        with self._lock:
            active = self._active.get(job_id)
            if active is not None:
                self.link.cancelling(job_id)  # durable before the answer
                active.download.cancel()
        if active is not None:
            return replace(active.row(self.link.record(job_id)), status="cancelling")
        self._known(job_id)
        self.link.cancel(job_id)
        return self.row(job_id)

    def wait(self, job_id: str, timeout: float | None = None) -> None:
        """Block until an active job's thread ends (tests and shutdown)."""
        active = self.active(job_id)
        if active is not None and active.thread is not None:
            active.thread.join(timeout)

    def shutdown(self, timeout: float = 10.0, reason: str = SERVICE_STOPPED) -> None:
        """Stop every active job so it stays resumable (status paused, ``reason`` recorded), then leave the
        foreground."""
        with self._lock:
            jobs = list(self._active.values())
            for active in jobs:
                active.stopping, active.stop_reason = True, reason
                active.download.cancel()
        deadline = time.monotonic() + timeout
        for active in jobs:
            if active.thread is not None:
                active.thread.join(max(deadline - time.monotonic(), 0))
        self.foreground.stop()
