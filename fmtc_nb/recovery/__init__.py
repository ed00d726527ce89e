"""Recovery: every download job recorded, dead jobs told from live ones, and resumed exactly.

- :class:`RecoveryRegistry` (``<root>/recovery.sqlite``): ``start(job)`` -> :class:`JobTracker` (the engine's
  Checkpointer), ``resume(job_id)`` -> ``(DownloadJob, JobTracker)``, ``jobs()``, ``get()``, ``cancel()``,
  ``forget()``, ``report()`` (pandas).
- :class:`Owner`: a process (host, pid, start time) or a device whose bridge answers for it.
- :class:`Checkpoint`: watermark + done indexes above it + failed indexes with reasons, as compact text that
  the store keeps in the same transaction as the tiles.

See docs/recovery.md.
"""

from fmtc_nb.recovery.checkpoint import Checkpoint
from fmtc_nb.recovery.info import STATUSES, JobInfo
from fmtc_nb.recovery.owner import DeviceLiveness, Owner, owner_alive
from fmtc_nb.recovery.ranges import IndexRanges
from fmtc_nb.recovery.registry import DEFAULT_LEASE_S, RecoveryRegistry
from fmtc_nb.recovery.tracker import JobTracker

__all__ = ["DEFAULT_LEASE_S", "STATUSES", "Checkpoint", "DeviceLiveness", "IndexRanges", "JobInfo", "JobTracker",
           "Owner", "RecoveryRegistry", "owner_alive"]
