"""Sharded downloads on Dask, for regions that outgrow one machine (the optional extra ``fmtc-nb[dask]``).

A job's cover is split into shards (contiguous index ranges); each shard is a Dask task running the same
engine into its own store; the coordinating process merges finished shards into the job's store, keeps the
job in the recovery registry and shares one rate limit among the workers. See docs/scale.md.

- ``download(region, zooms, url, store, cluster="local:4" | "tcp://HOST:PORT" | client, ...)``,
  ``resume(job_id, cluster=...)``; :class:`ShardedDownload` for control (pause, cancel, progress, a pandas
  frame of the shards).
- ``plan_shards``, :class:`Shard`: the plan alone (no Dask needed).

Nothing outside this package imports Dask; the names needing it load on first use and say so in one sentence
if it is missing.
"""

from __future__ import annotations

from typing import Any

from fmtc_nb.errors import ClusterError
from fmtc_nb.scale.plan import DEFAULT_SHARD_TILES, Shard, bytes_per_tile, plan_shards

__all__ = ["DEFAULT_SHARD_TILES", "Shard", "ShardedDownload", "announce", "bytes_per_tile", "connect", "download",
           "plan_shards", "resume", "resumed", "sharded_command"]


def __getattr__(name: str) -> Any:
    """Load the parts that need Dask when first asked for."""
    try:
        if name in ("announce", "download", "resume", "resumed", "sharded_command"):
            from fmtc_nb.scale import jobs

            return getattr(jobs, name)
        if name == "ShardedDownload":
            from fmtc_nb.scale.sharded import ShardedDownload

            return ShardedDownload
        if name == "connect":
            from fmtc_nb.scale.cluster import connect

            return connect
    except ImportError as exc:
        if exc.name and exc.name.split(".")[0] in ("dask", "distributed"):
            raise ClusterError("Sharded downloads need Dask; install it with: pip install 'fmtc-nb[dask]'.") from None
        raise
    raise AttributeError(f"module 'fmtc_nb.scale' has no attribute {name!r}")
