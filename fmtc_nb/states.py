"""The words a job's status and a tile's outcome are spelled with, defined once for the engine, recovery, the
device bridge and the device client (a leaf module: it imports nothing of fmtc_nb).

>>> "stale" in JOB_STATUSES and "retry" not in FINAL_OUTCOMES
True
"""

from __future__ import annotations

from typing import Literal, get_args

#: A job's status. ``pending``: a download made but not started; ``running``; ``paused`` (in place, resumable
#: at once); ``stale``: held by a runner that cannot be asked and is silent past the lease (recovery decides it
#: when a job is read; it is never stored); ``cancelling``: a device asked to stop an active job that has not
#: stopped yet; then the end states ``completed``, ``failed`` and ``cancelled``.
JobStatus = Literal["pending", "running", "paused", "stale", "cancelling", "failed", "cancelled", "completed"]
JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
#: Statuses of a job that some runner may still be working on.
LIVE_STATUSES: tuple[JobStatus, ...] = ("running", "paused", "stale")
#: Statuses a job ends in (a job that ended "completed" may still have failed tiles).
END_STATUSES: tuple[JobStatus, ...] = ("completed", "failed", "cancelled")

#: What happened to one tile: stored (``cached``), skipped (already stored, or the source's sea tile), failed
#: (a negative answer 404/410, or a request that failed after every retry), or ``retry`` (not final: it is
#: tried again later).
TileOutcome = Literal["cached", "skipped_existing", "skipped_sea", "failed_negative", "failed_request", "retry"]
TILE_OUTCOMES: tuple[TileOutcome, ...] = get_args(TileOutcome)
#: The final outcomes, in report column order.
FINAL_OUTCOMES: tuple[TileOutcome, ...] = tuple(o for o in TILE_OUTCOMES if o != "retry")
