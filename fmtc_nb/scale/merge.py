"""Merging a finished shard's store into the job's store: its tiles and failures, then the job's checkpoint with
the shard's range put in, so that no tile is lost or stored twice however often a merge is cut short and redone."""

from __future__ import annotations

from pathlib import Path

from fmtc_nb.errors import ShardError
from fmtc_nb.recovery import Checkpoint
from fmtc_nb.scale.checkpoints import is_done, with_shard
from fmtc_nb.scale.plan import Shard
from fmtc_nb.store import Store

#: Tiles per transaction when copying a shard into the job's store.
MERGE_BATCH = 2000


def merge_shard(target: Store, shard_path: Path, key: str, shard: Shard, job: Checkpoint,
                job_key: str) -> tuple[Checkpoint, int]:
    """Copy the tiles and failures of the shard store at ``shard_path`` (checkpoint key ``key``) into
    ``target`` and return the job's new checkpoint (``job`` with the shard's range replaced) and the tiles copied.

    Tiles go in transactions of :data:`MERGE_BATCH`; the last one also writes the failures and the job's
    checkpoint under ``job_key``, so until it commits the job's checkpoint claims nothing of the shard, and a
    merge done again replaces the same tiles (a store keeps one tile per place). The caller runs merges one at
    a time and adopts the returned checkpoint.
    """
    with Store(shard_path) as source:
        part = Checkpoint.from_text(source.read_checkpoint(key))
        if not is_done(part, shard):
            raise ShardError(f"Shard {shard.number} (tiles {shard.start}-{shard.end - 1}) is not finished in its "
                             f"store {shard_path}, so it cannot be merged.")
        merged = with_shard(job, part, shard)
        batch, copied = [], 0
        for record in source.iter_tiles(page=MERGE_BATCH):
            batch.append(record)
            if len(batch) >= MERGE_BATCH:
                target.put_tiles(batch)
                copied, batch = copied + len(batch), []
        failures = [(int(f["z"]), int(f["x"]), int(f["y"]), str(f["reason"]))  # type: ignore[call-overload]
                    for f in source.failures()]
    target.put_tiles(batch, failures=failures, checkpoint=(job_key, merged.to_text()))
    return merged, copied + len(batch)
