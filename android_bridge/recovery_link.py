"""The bridge's side of recovery: its jobs are owned by this device, and the bridge answers for them.

The registry (``fmtc_nb.recovery``) asks the bridge whether a job owned by this device still runs; the answer
is exact (the job is active in this process or it is not), so a running background job is never reported
failed and a job that died with a killed service is known dead at once. A small ledger,
``root/bridge/intended_jobs.json``, lists the jobs the bridge means to be running; on start, the ones listed
there but not running are the ones to resume. A cancel is noted in the ledger before it is answered, so a
job cancelled by the user is never resumed, even if the service is killed before the job's thread ended;
the next start records it as cancelled.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from android_bridge.statefile import read_state, write_json_atomically
from fmtc_nb.engine import DownloadJob
from fmtc_nb.errors import RecoveryError
from fmtc_nb.packs.job import PackJob
from fmtc_nb.recovery import Owner, RecoveryRegistry
from fmtc_nb.wire import JobRow


class RecoveryLink:
    """Recovery for the jobs of device ``device_id`` in ``store_root`` (the device's fmtc-nb ``Root``); the
    ledger lives in the bridge's ``state_dir`` (``BridgeConfig.state_dir``)."""

    def __init__(self, state_dir: Path, device_id: str, store_root: Any) -> None:
        self.root = store_root
        self.device_id = device_id
        self.owner = Owner.device(device_id)
        self._is_active: Callable[[str], bool] = lambda job_id: False
        self.registry = RecoveryRegistry(store_root, device_liveness=self._liveness)
        self._ledger_path = Path(state_dir) / "intended_jobs.json"
        self._lock = threading.Lock()

    def answer_liveness(self, is_active: Callable[[str], bool]) -> None:
        """Use ``is_active(job_id)`` to tell recovery whether this device still runs a job."""
        self._is_active = is_active

    def _liveness(self, device: str, job_id: str) -> bool | None:
        if device != self.device_id:
            return None  # another device: only its own bridge can answer
        return self._is_active(job_id)

    # -- claiming --------------------------------------------------------------------------------------------
    def start(self, job: DownloadJob | PackJob) -> Any:
        """Record a new job owned by this device; its checkpointer (RecoveryError if the id exists)."""
        tracker = self.registry.start(job, self.owner, job_id=job.job_id)
        self.intend(tracker.job_id, paused=False)
        return tracker

    def resume(self, job_id: str) -> tuple[DownloadJob | PackJob, Any]:
        """Claim a stopped job (a tile job or a style pack) for this device; JobConflict while another runner
        holds it."""
        job, tracker = self.registry.resume(job_id, self.owner)
        self.intend(tracker.job_id, paused=False)
        return job, tracker

    # -- the ledger of jobs meant to run ---------------------------------------------------------------------
    def intended(self) -> dict[str, dict[str, Any]]:
        """Jobs this device means to run, with whether the user paused them."""
        with self._lock:
            return self._read()

    def intend(self, job_id: str, *, paused: bool) -> None:
        """Note that ``job_id`` should run (or stay paused) on this device, also after a restart."""
        with self._lock:  # read, change and write under one lock: a job thread and an API call may race
            ledger = self._read()
            ledger[job_id] = {"paused": paused}
            self._write(ledger)

    def cancelling(self, job_id: str) -> None:
        """Note that the user cancelled ``job_id``: whatever happens to this process, it is not resumed."""
        with self._lock:
            ledger = self._read()
            if job_id in ledger:
                ledger[job_id] = {**ledger[job_id], "cancelled": True}
                self._write(ledger)

    def done_with(self, job_id: str) -> None:
        """The job ended for good (completed, failed, cancelled): never resume it on start."""
        with self._lock:
            ledger = self._read()
            if ledger.pop(job_id, None) is not None:
                self._write(ledger)

    def _read(self) -> dict[str, dict[str, Any]]:
        return read_state(self._ledger_path, dict, dict)

    def _write(self, ledger: dict[str, dict[str, Any]]) -> None:
        self._ledger_path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomically(self._ledger_path, ledger)

    def orphans(self, exclude: set[str]) -> list[tuple[str, bool]]:
        """``(job_id, paused)`` of the jobs this device meant to run that do not run in this process."""
        out = []
        for job_id, state in self.intended().items():
            if job_id in exclude:
                continue
            try:
                info = self.registry.get(job_id)
            except RecoveryError:
                self.done_with(job_id)
                continue
            if state.get("cancelled") and not info.live:  # cancelled, then killed before the job ended
                self._cancel_quietly(job_id)
            if state.get("cancelled") or info.status in ("completed", "cancelled") or info.owner != self.owner:
                self.done_with(job_id)
                continue
            out.append((job_id, bool(state.get("paused"))))
        return out

    def _cancel_quietly(self, job_id: str) -> None:
        with contextlib.suppress(RecoveryError):  # completed meanwhile: nothing to cancel
            self.registry.cancel(job_id)

    # -- reading and acting ----------------------------------------------------------------------------------
    def records(self) -> list[JobRow]:
        """Every job of the registry as a row (what ``fmtc-nb recovery list --json`` prints)."""
        return [info.row() for info in self.registry.jobs()]

    def ids_starting_with(self, prefix: str) -> list[str]:
        """Ids of the registry's jobs that start with ``prefix`` (the exact id included)."""
        return [info.id for info in self.registry.jobs() if info.id.startswith(prefix)]

    def record(self, job_id: str) -> JobRow | None:
        """One job's row, or None if the registry does not know it."""
        try:
            return self.registry.get(job_id).row()
        except RecoveryError:
            return None

    def cancel(self, job_id: str) -> None:
        """Mark a job nobody runs as cancelled (RecoveryError if it is completed)."""
        self.registry.cancel(job_id)
        self.done_with(job_id)
