"""Sharded jobs for library users and commands: ``download(..., cluster=...)`` records and runs a new job,
``resume(job_id)`` continues one from its finished shards; ``sharded_command`` and ``resumed`` build the runs of
``fmtc-nb download --cluster`` and ``fmtc-nb recovery resume`` (which keep the registry open themselves)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fmtc_nb.engine import DownloadJob, DownloadOptions, ProgressSnapshot
from fmtc_nb.errors import ClusterError
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.scale.cluster import parse_cluster
from fmtc_nb.scale.ledger import ShardLedger
from fmtc_nb.scale.plan import DEFAULT_SHARD_TILES, bytes_per_tile
from fmtc_nb.scale.sharded import ShardedDownload
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.zooms import parse_zooms


def download(region: Any, zooms: Any, url: str, store: str, root: Any = None, *, cluster: Any,
             recovery: bool = True, shard_tiles: int = DEFAULT_SHARD_TILES, shard_bytes: float | None = None,
             estimate: Any = None, shard_root: str | Path | None = None, pmtiles: str | Path | None = None,
             on_progress: Any = None, **options: Any) -> ProgressSnapshot:
    """Download ``region`` at ``zooms`` from ``url`` into store ``store`` as shards on ``cluster`` (a Dask
    ``Client`` or cluster, ``tcp://HOST:PORT`` or ``local:N``); blocking, returns the aggregated final snapshot.

    ``options`` are :class:`~fmtc_nb.engine.DownloadOptions` fields (``parallel`` is per shard, ``rate_limit``
    for the whole job). Shards hold at most ``shard_tiles`` tiles, and about ``shard_bytes`` bytes given an
    ``estimate`` (``fmtc_nb.estimate.estimate(...)``). With ``recovery`` the job is recorded in the root's
    recovery registry, so ``resume(job_id)`` or ``fmtc-nb recovery resume`` continues it after a stop.
    """
    job = DownloadJob(region, parse_zooms(zooms), TileSource(url), store, DownloadOptions(**options))
    sizes = bytes_per_tile(estimate) if estimate is not None else None
    root = Root(root)
    settings: dict[str, Any] = {"shard_tiles": shard_tiles, "shard_bytes": shard_bytes, "sizes": sizes,
                                "shard_root": shard_root, "pmtiles": pmtiles, "on_progress": on_progress}
    if not recovery:
        return recorded(job, root, None, cluster=cluster, **settings).run()
    with RecoveryRegistry(root) as registry:
        return recorded(job, root, registry, cluster=cluster, **settings).run()


def recorded(job: DownloadJob, root: Root, registry: RecoveryRegistry | None, *, cluster: Any,
             **settings: Any) -> ShardedDownload:
    """The sharded run of a new ``job``: its store checked first (a bad name or another source's store is refused
    before anything is recorded), then the job recorded in ``registry`` (None: not recorded), whose cancel
    requests reach the run. ``settings``: :class:`ShardedDownload` keywords."""
    root.open_or_create(job.store, job.source.url_template).close()
    if registry is None:
        return ShardedDownload(job, root, cluster=cluster, **settings)
    tracker = registry.start(job)
    sharded = ShardedDownload(job, root, cluster=cluster, tracker=tracker, **settings)
    tracker.bind(sharded)
    return sharded


def resumed(registry: RecoveryRegistry, job_id: str, *, cluster: Any = None, force: bool = False,
            on_start: Callable[[ShardedDownload], None] | None = None) -> ShardedDownload:
    """Claim job ``job_id`` of ``registry`` and build its sharded run on ``cluster`` (default: the cluster it
    ran on last); a job never sharded needs ``cluster``. Finished shards are not run again."""
    info = registry.get(job_id)
    with ShardLedger(registry.root_dir) as ledger:
        plan = ledger.plan(info.id)
    cluster = cluster or (plan.cluster if plan else None)
    if not cluster:
        raise ClusterError(f"Job {info.id} was not run on Dask, so give the cluster to resume it on "
                           "(--cluster local:N or tcp://HOST:PORT).")
    if isinstance(cluster, str):
        parse_cluster(cluster)  # a malformed address is refused before the job is claimed
    if not isinstance(info.job(), DownloadJob):
        raise ClusterError(f"Job {info.id} is a style pack, which runs on this machine: resume it without --cluster.")
    job, tracker = registry.resume(info.id, force=force)
    assert isinstance(job, DownloadJob)
    sharded = ShardedDownload(job, registry.root_dir, cluster=cluster, tracker=tracker, plan=plan, on_start=on_start)
    tracker.bind(sharded)
    return sharded


def sharded_command(cluster: str, shard_tiles: int | None) -> Callable[[DownloadJob, Root, Any], ShardedDownload]:
    """For ``fmtc-nb download --cluster``: checks ``cluster`` and ``shard_tiles`` now (before the job is
    recorded) and returns ``make(job, root, tracker)`` building the run, which tells stderr where it runs."""
    parse_cluster(cluster)
    if shard_tiles is not None and shard_tiles < 1:
        raise ClusterError(f"--shard-tiles {shard_tiles} is not a number of tiles of at least 1.")

    def make(job: DownloadJob, root: Root, tracker: Any) -> ShardedDownload:
        return ShardedDownload(job, root, cluster=cluster, tracker=tracker, on_start=announce,
                               shard_tiles=shard_tiles or DEFAULT_SHARD_TILES)

    return make


def announce(sharded: ShardedDownload) -> None:
    """Say on stderr how the run is split and where Dask's dashboard shows its tasks."""
    running = sum(s.state != "merged" for s in sharded.states)
    where = f"; Dask dashboard: {sharded.dashboard}" if sharded.dashboard else ""
    print(f"{len(sharded.states)} shards ({running} to run) on {sharded.cluster_spec}{where}", file=sys.stderr)


def resume(job_id: str, root: Any = None, *, cluster: Any = None, force: bool = False,
           on_progress: Any = None) -> ProgressSnapshot:
    """Continue sharded job ``job_id`` of ``root``'s registry (blocking); see :func:`resumed`."""
    with RecoveryRegistry(root) as registry:
        sharded = resumed(registry, job_id, cluster=cluster, force=force)
        sharded.on_progress = on_progress
        return sharded.run()
