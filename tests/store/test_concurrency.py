"""Readers in other connections see whole batches while a writer subprocess commits; SIGKILL mid-write
leaves a store that verifies and whose checkpoint matches its tiles."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from fmtc_nb.store import Root

BATCH = 300
REPO = Path(__file__).resolve().parents[2]


def _start_writer(root: Root, batches: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.store.writer_process", str(root.path), "w", str(batches),
                             str(BATCH)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


def _consistent_view(path: Path) -> tuple[int, int, int]:
    """(checkpoint batches, counter tiles, tiles in the MBTiles view) read in ONE read transaction."""
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        db.execute("BEGIN")
        cp = db.execute("SELECT checkpoint FROM fmtc_checkpoints WHERE job_id = 'job'").fetchone()
        tiles = db.execute("SELECT tiles FROM fmtc_counters").fetchone()[0]
        visible = db.execute("SELECT count(*) FROM tiles").fetchone()[0]
        db.execute("COMMIT")
    finally:
        db.close()
    return int(cp[0]) if cp else 0, tiles, visible


def test_reader_sees_whole_batches_while_a_writer_commits(root):
    proc = _start_writer(root, 60)
    path = root.store_path("w")
    seen = []
    with root.open("w", readonly=True) as reader:
        while proc.poll() is None:
            batches, tiles, visible = _consistent_view(path)
            assert tiles == visible == batches * BATCH
            stats = reader.stats()
            assert stats.tiles % BATCH == 0 and sum(stats.zooms.values()) == stats.tiles
            seen.append(batches)
    assert proc.wait() == 0
    assert seen == sorted(seen) and len(set(seen)) > 1, "the reader watched the store grow"
    assert _consistent_view(path) == (60, 60 * BATCH, 60 * BATCH)


def test_sigkill_mid_write_leaves_a_store_that_verifies(root):
    proc = _start_writer(root, 0)
    path = root.store_path("w")
    deadline = time.monotonic() + 30
    while _consistent_view(path)[0] < 8 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with root.open("w") as store:
        assert store.verify() == []
        batches = int(store.read_checkpoint("job"))
        assert batches >= 8 and store.stats().tiles == batches * BATCH
        assert store.existing_in_row(20, batches, 0, BATCH) == set(range(BATCH))
        assert not store.existing_in_row(20, batches + 1, 0, BATCH)
