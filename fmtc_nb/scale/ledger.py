"""The shards of sharded jobs, recorded under their parent job in the recovery registry's file.

The parent job is an ordinary job of :class:`~fmtc_nb.recovery.RecoveryRegistry` (held by the process that
coordinates it, its exact checkpoint in the job's store). Beside it, two tables of ``recovery.sqlite`` keep
the plan (where the shard stores live, which cluster ran it, each shard's index range) and each shard's state
as the coordinator last saw it: written by the coordinator only, from what the workers relay through Dask,
so the registry need not be on storage the workers reach. A shard's exact checkpoint is the one in its store.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmtc_nb.recovery.db import connect
from fmtc_nb.scale.plan import Shard

if TYPE_CHECKING:
    import pandas

SCHEMA = """
CREATE TABLE IF NOT EXISTS fmtc_sharded_jobs (
    job_id TEXT PRIMARY KEY,
    shard_root TEXT NOT NULL,      -- directory holding stores/shard-NNNNN.mbtiles, reached by every worker
    cluster TEXT,                  -- local:N or the scheduler address it ran on last
    pmtiles TEXT,                  -- PMTiles archive written when the job completes, if asked
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS fmtc_shards (
    job_id TEXT NOT NULL,
    shard INTEGER NOT NULL,
    start_index INTEGER NOT NULL,
    end_index INTEGER NOT NULL,     -- exclusive
    state TEXT NOT NULL,            -- pending, running, finished, merged, failed, cancelled
    attempts INTEGER NOT NULL DEFAULT 0,
    worker TEXT,
    tiles_done INTEGER NOT NULL DEFAULT 0,
    tiles_failed INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    checkpoint TEXT,                -- the shard's checkpoint text as last relayed (its store holds the exact one)
    reason TEXT,
    updated_at REAL,
    PRIMARY KEY (job_id, shard)
);
"""
#: Columns of a shard's row, in the order :meth:`ShardLedger.update` takes them after (job_id, shard).
ROW_FIELDS = ("state", "attempts", "worker", "tiles_done", "tiles_failed", "bytes", "checkpoint", "reason")


@dataclass(frozen=True)
class ShardPlan:
    """A sharded job's recorded plan: where its shard stores live, its cluster, PMTiles target and shards."""

    job_id: str
    shard_root: Path
    cluster: str | None
    pmtiles: str | None
    shards: list[Shard]


class ShardLedger:
    """The shard tables in ``<root_dir>/recovery.sqlite``; usable from several threads."""

    def __init__(self, root_dir: Path) -> None:
        self._db = connect(Path(root_dir))
        self._db.executescript(f"BEGIN IMMEDIATE; {SCHEMA} COMMIT;")
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> ShardLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, job_id: str, shard_root: Path, cluster: str | None, pmtiles: str | None,
               shards: Iterable[Shard]) -> None:
        """Record a new plan (or, for a job planned before, its cluster and PMTiles target)."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT INTO fmtc_sharded_jobs VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                             "cluster = excluded.cluster, pmtiles = coalesce(excluded.pmtiles, pmtiles)",
                             (job_id, str(shard_root), cluster, pmtiles, now))
            self._db.executemany("INSERT INTO fmtc_shards (job_id, shard, start_index, end_index, state, updated_at) "
                                 "VALUES (?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING",
                                 [(job_id, s.number, s.start, s.end, now) for s in shards])
            self._db.execute("COMMIT")

    def plan(self, job_id: str) -> ShardPlan | None:
        """The recorded plan of ``job_id`` (None: the job was never sharded)."""
        with self._lock:
            head = self._db.execute("SELECT * FROM fmtc_sharded_jobs WHERE job_id = ?", (job_id,)).fetchone()
            rows = self._db.execute("SELECT shard, start_index, end_index FROM fmtc_shards WHERE job_id = ? "
                                    "ORDER BY shard", (job_id,)).fetchall()
        if head is None:
            return None
        return ShardPlan(job_id, Path(head["shard_root"]), head["cluster"], head["pmtiles"],
                         [Shard(n, a, b) for n, a, b in rows])

    def update(self, job_id: str, rows: Iterable[tuple[int, tuple[Any, ...]]]) -> None:
        """Write shards' states: ``(shard number, values of ROW_FIELDS)`` each, in one transaction."""
        now = time.time()
        sets = ", ".join(f"{name} = ?" for name in ROW_FIELDS)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(f"UPDATE fmtc_shards SET {sets}, updated_at = ? WHERE job_id = ? AND shard = ?",
                                 [(*values, now, job_id, number) for number, values in rows])
            self._db.execute("COMMIT")

    def frame(self, job_id: str) -> pandas.DataFrame:
        """The recorded shards of ``job_id``: one row a shard (needs pandas)."""
        import pandas

        with self._lock:
            rows = self._db.execute("SELECT shard, start_index, end_index, state, attempts, worker, tiles_done, "
                                    "tiles_failed, bytes, reason, updated_at FROM fmtc_shards WHERE job_id = ? "
                                    "ORDER BY shard", (job_id,)).fetchall()
        columns = ["shard", "start", "end", "state", "attempts", "worker", "tiles_done", "tiles_failed", "bytes",
                   "reason", "updated_at"]
        return pandas.DataFrame([tuple(r) for r in rows], columns=columns)


def recorded_plan(root_dir: Path, job_id: str) -> ShardPlan | None:
    """The plan recorded for job ``job_id`` in ``root_dir``'s registry file (None: never run as shards)."""
    with ShardLedger(root_dir) as ledger:
        return ledger.plan(job_id)
