"""Sharded downloads on Dask against Debian's nginx on loopback: tiles per second of the plain engine, of a
LocalCluster with 1 worker and with 2 workers (same job, same shards), and the merge rate.

    .venv/bin/python benchmarks/bench_dask.py [--runs 3] [--shard-tiles 10000]

The job is the world at zooms 0-8 (87,381 tiles of mixed sizes, 0.1-30 KB) from the engine benchmark's pyramid.
Sharded figures are wall clock from submitting the job to the last shard merged (the clusters are started
before the clock runs: startup is reported apart). The merge rate is ``merge_shard`` of one finished shard store
into an empty job store; CPU per tile counts every process of a run (less sensitive to other load than tiles/s).
Writes benchmarks/results/dask.json (medians, every run, the load average).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import save_results, served_pyramid  # noqa: E402
from bench_engine import WORLD, engine_run  # noqa: E402

ZOOMS = range(0, 9)


def sharded_run(client, template: str, root: Path, shard_tiles: int) -> tuple[float, float]:
    """(wall-clock tiles/s from submitting the job to its last merge, CPU µs per tile of the workers and the
    coordinator together) of one sharded run."""
    from fmtc_nb.engine import DownloadJob, DownloadOptions
    from fmtc_nb.regions import parse_region
    from fmtc_nb.scale import ShardedDownload
    from fmtc_nb.source import TileSource

    job = DownloadJob(parse_region(WORLD), list(ZOOMS), TileSource(template), "bench",
                      DownloadOptions(parallel=16, skip_existing=False, batch_size=1000))
    cpu = cpu_seconds(client)
    start = time.perf_counter()
    snap = ShardedDownload(job, root, cluster=client, shard_tiles=shard_tiles).run()
    seconds = time.perf_counter() - start
    assert snap.status == "completed" and snap.cached == snap.max_tiles, snap
    return snap.max_tiles / seconds, (cpu_seconds(client) - cpu) / snap.max_tiles * 1e6


def cpu_seconds(client) -> float:
    """CPU seconds used so far by this process (the coordinator) and every worker process of ``client``."""
    return time.process_time() + sum(client.run(time.process_time).values())


def merge_rate(template: str, root: Path, tiles: int) -> float:
    """Tiles per second of merging one finished shard store of ``tiles`` tiles into an empty job store."""
    from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
    from fmtc_nb.recovery import Checkpoint
    from fmtc_nb.regions import parse_region
    from fmtc_nb.scale import Shard
    from fmtc_nb.scale.checkpoints import ShardCheckpointer, shard_key
    from fmtc_nb.scale.merge import merge_shard
    from fmtc_nb.source import TileSource
    from fmtc_nb.store import Root

    shard = Shard(0, 0, tiles)
    job = DownloadJob(parse_region(WORLD), list(ZOOMS), TileSource(template), shard.name,
                      DownloadOptions(parallel=16, skip_existing=False, batch_size=1000))
    shards = Root(root / "shards")
    Download(job, shards, checkpointer=ShardCheckpointer(shard_key(job.job_id, shard), shard, Checkpoint())).run()
    target = Root(root / "job").open_or_create("merged", template)
    start = time.perf_counter()
    _, copied = merge_shard(target, shards.store_path(shard.name), shard_key(job.job_id, shard), shard,
                            Checkpoint(job.cover().total), job.job_id)
    seconds = time.perf_counter() - start
    target.close()
    assert copied == tiles
    return tiles / seconds


def local_client(workers: int):
    """(client, cluster, seconds to start) of a LocalCluster as ``local:N`` makes it."""
    import dask
    from distributed import Client, LocalCluster

    from fmtc_nb.scale.cluster import LOCAL_LOCKS

    start = time.perf_counter()
    with dask.config.set(LOCAL_LOCKS):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    client = Client(cluster)
    return client, cluster, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shard-tiles", type=int, default=10_000)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {"engine": [], "workers_1": [], "workers_2": [], "merge": []}
    cpu_us: dict[str, list[float]] = {"engine": [], "workers_1": [], "workers_2": []}
    startup: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    with served_pyramid(ZOOMS) as served:
        template, tmpdir, count = served.template, served.folder, served.count
        clients = {}
        for workers in (1, 2):
            client, cluster, seconds = local_client(workers)
            clients[f"workers_{workers}"] = (client, cluster)
            startup[f"workers_{workers}"] = round(seconds, 2)
        try:
            for i in range(args.runs):  # alternate, so load changes hit every configuration alike
                cpu = time.process_time()
                snap = engine_run(template, list(ZOOMS), tmpdir / f"engine{i}", 16)
                cpu_us["engine"].append((time.process_time() - cpu) / count * 1e6)
                assert snap.cached == count, snap
                runs["engine"].append(snap.tiles_per_s)
                for name, (client, _) in clients.items():
                    rate, per_tile = sharded_run(client, template, tmpdir / f"{name}-{i}", args.shard_tiles)
                    runs[name].append(rate)
                    cpu_us[name].append(per_tile)
                runs["merge"].append(merge_rate(template, tmpdir / f"merge{i}", args.shard_tiles))
                print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in runs.items()), flush=True)
        finally:
            for client, cluster in clients.values():
                client.close()
                cluster.close()
    medians = {k: round(statistics.median(v)) for k, v in runs.items()}
    results = {
        "tiles": count, "zooms": "0-8", "shard_tiles": args.shard_tiles, "parallel_per_engine": 16, "runs": args.runs,
        "tiles_per_s_median": {"plain_engine": medians["engine"], "workers_1": medians["workers_1"],
                               "workers_2": medians["workers_2"]},
        "merge_tiles_per_s_median": medians["merge"],
        "cpu_us_per_tile_median": {k: round(statistics.median(v), 1) for k, v in cpu_us.items()},
        "every_run": {k: [round(x) for x in v] for k, v in runs.items()},
        "every_run_cpu_us_per_tile": {k: [round(x, 1) for x in v] for k, v in cpu_us.items()},
        "cluster_startup_s": startup,
        "loadavg_1m_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "note": "2 shared cores, nginx and other work on the same machine: compare figures of one run only. "
                "Sharded figures are wall clock from submitting the job to its last merge; a worker process runs "
                "one shard at a time with the engine's 16 requests. cpu_us_per_tile counts the engine's process, "
                "or the coordinator and every worker process (merge included): less sensitive to other load.",
    }
    save_results("dask", results)
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
