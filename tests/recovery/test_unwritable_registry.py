"""Issue 21 items 1 and 12: a registry that cannot be written (a full disk, read-only media) still answers
with what the stores hold; its writes are one sentence, never a traceback."""

from __future__ import annotations

import pytest

from fmtc_nb.engine import ProgressSnapshot
from fmtc_nb.errors import RecoveryError
from fmtc_nb.recovery import Owner, RecoveryRegistry
from fmtc_nb.store import Root, TileRecord
from tests.faults import remount, small_disk

from .conftest import small_job
from .test_registry import dead_pid


def test_a_dead_job_on_an_unwritable_registry_shows_what_its_store_holds(tmp_path):
    with small_disk(tmp_path / "media", "4m") as disk:
        with RecoveryRegistry(disk) as registry, Root(disk).create("s", "http://127.0.0.1:9/{z}/{x}/{y}.png") as store:
            tracker = registry.start(small_job(), Owner.process(dead_pid()))
            tracker.todo(10)
            store.put_tiles([TileRecord(0, 0, 0, b"x", 0.0)], checkpoint=tracker.batch_checkpoint([0, 1, 2], []))
            tracker.batch_done([0, 1, 2], [])
            tracker.batch_checkpoint([3, 4], [])  # never committed: the process died
        remount(disk, "ro")
        with RecoveryRegistry(disk) as registry:
            info = registry.get(tracker.job_id)
            assert (info.status, info.tiles_done, info.held) == ("failed", 3, False)
            assert [j.tiles_done for j in registry.jobs()] == [3]
            with pytest.raises(RecoveryError, match="cannot be written"):
                registry.start(small_job())
            with pytest.raises(RecoveryError, match="cannot be written"):
                registry.cancel(tracker.job_id)
            tracker2 = type(tracker)(registry, tracker.job_id, tracker.claim, tracker.checkpoint)
            tracker2.heartbeat(ProgressSnapshot())  # skipped, not raised
