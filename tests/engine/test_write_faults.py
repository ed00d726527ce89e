"""Issue 21 item 1: a batch counts as done only once its transaction commits. Real faults mid-download:
another process holding the store's write lock past the busy timeout, and a small file system filling up.
After the run the registry, the store's checkpoint and the store's tiles agree, the job is paused with a
sentence, and a resume ends with exactly the cover."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.zooms import parse_zooms
from tests.faults import fill, hold_write_lock, remount, small_disk

WORLD = "rect:-180,-85,180,85"
REPO = Path(__file__).resolve().parents[2]


def make_job(url: str, zooms: str, **options: object) -> DownloadJob:
    return DownloadJob(parse_region(WORLD), parse_zooms(zooms), TileSource(url), "s",
                       DownloadOptions(**{"parallel": 4, "batch_size": 50, "flush_interval_s": 0.5, **options}))


def stored_tiles(root: Root, zooms: list[int]) -> set[tuple[int, int, int]]:
    with root.open("s", readonly=True) as store:
        return {(z, x, y) for z in zooms for x, y in store.tile_keys(z)}


def assert_registry_checkpoint_and_tiles_agree(registry: RecoveryRegistry, root: Root, job_id: str,
                                               job: DownloadJob) -> int:
    """The store's checkpoint names exactly the stored tiles and the registry counts what the checkpoint
    holds; returns how many tiles are done."""
    cover = TileCover(job.region, job.zooms)
    checkpoint = registry.checkpoint(job_id)
    assert checkpoint is not None
    failed = set(checkpoint.failed_indexes())
    done = {cover.tile_at(i) for i in checkpoint.finished if i not in failed}
    assert stored_tiles(root, job.zooms) == done
    info = registry.get(job_id)
    assert (info.tiles_done, info.tiles_failed) == (checkpoint.tiles_done, checkpoint.tiles_failed) == (len(done), 0)
    with root.open("s", readonly=True) as store:
        assert store.verify() == []
    return len(done)


def resume_to_the_end(registry: RecoveryRegistry, root: Root, job_id: str) -> None:
    job, tracker = registry.resume(job_id)
    download = Download(job, root, checkpointer=tracker)
    tracker.bind(download)
    final = download.run()
    assert final.status == "completed" and final.failed == 0
    cover = TileCover(job.region, job.zooms)
    assert stored_tiles(root, job.zooms) == set(cover.tiles())
    assert registry.get(job_id).status == "completed"
    assert assert_registry_checkpoint_and_tiles_agree(registry, root, job_id, job) == cover.total


def wait_for_hits(server, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while sum(server.hits.values()) < count:
        assert time.monotonic() < deadline, "the download did not get under way"
        time.sleep(0.02)


@pytest.mark.parametrize("batch_size", [50, 100_000], ids=["worker-flushes", "tick-flushes-only"])
def test_a_write_lock_held_past_the_busy_timeout_pauses_the_job_and_loses_nothing(fault_server, tmp_path,
                                                                                  batch_size):
    server = fault_server(lambda z, x, y, n: "ok")
    job = make_job(server.url_template, "0-6", rate_limit=400, batch_size=batch_size)
    root = Root(tmp_path, busy_timeout_s=0.5)
    registry = RecoveryRegistry(tmp_path)
    tracker = registry.start(job)
    download = Download(job, root, checkpointer=tracker)
    tracker.bind(download)
    download.start()
    wait_for_hits(server, 300)
    locked_at = time.monotonic()
    locker = hold_write_lock(root.store_path("s"))
    try:
        final = download.wait(90)
        held_s = time.monotonic() - locked_at
        assert final.status == "paused"
        assert "write lock" in download.reason and "paused" in download.reason
        # the sentence gives the whole wait (4 busy timeouts of 0.5 s and pauses of 1 + 2 + 4 s), not one timeout
        said_s = float(re.search(r"for more than (\d+) s", download.reason).group(1))
        assert 9 <= said_s <= held_s + 1, (said_s, held_s, download.reason)
        info = registry.get(tracker.job_id)
        assert (info.status, info.held, info.reason) == ("paused", False, download.reason)
        # the tiles fetched while the lock was held were not stored, and nothing claims them
        assert final.flushed < final.cached
    finally:
        locker.kill()
        locker.wait()
    done = assert_registry_checkpoint_and_tiles_agree(registry, root, tracker.job_id, job)
    assert 0 < done < TileCover(job.region, job.zooms).total
    resume_to_the_end(registry, root, tracker.job_id)


def test_a_lock_held_shorter_than_the_retries_costs_nothing(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    job = make_job(server.url_template, "0-5", rate_limit=300)
    root = Root(tmp_path, busy_timeout_s=0.3)
    registry = RecoveryRegistry(tmp_path)
    tracker = registry.start(job)
    download = Download(job, root, checkpointer=tracker)
    download.start()
    wait_for_hits(server, 200)
    locker = hold_write_lock(root.store_path("s"))
    time.sleep(1.5)  # the writer fails at least once, then retries
    locker.kill()
    locker.wait()
    final = download.wait(90)
    assert final.status == "completed" and final.flushed == final.cached == TileCover(job.region, job.zooms).total
    assert download._writer.retries >= 1
    assert max(server.hits.values()) == 1  # no tile fetched twice
    assert assert_registry_checkpoint_and_tiles_agree(registry, root, tracker.job_id, job) == final.max_tiles


def test_a_full_disk_pauses_the_job_with_how_much_is_needed_and_a_resume_completes_it(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "noise")
    with small_disk(tmp_path / "disk", "3m") as disk:
        job = make_job(server.url_template, "0-5")
        root = Root(disk)
        registry = RecoveryRegistry(disk)
        tracker = registry.start(job)
        download = Download(job, root, checkpointer=tracker)
        tracker.bind(download)
        final = download.run()
        assert final.status == "paused"
        assert "is full" in download.reason and "more is needed" in download.reason
        info = registry.get(tracker.job_id)
        assert (info.status, info.reason) == ("paused", download.reason)
        done = assert_registry_checkpoint_and_tiles_agree(registry, root, tracker.job_id, job)
        assert 0 < done < final.max_tiles
        remount(disk, "size=64m")  # the user frees space
        resume_to_the_end(registry, root, tracker.job_id)
        registry.close()


def fmtc(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fmtc_nb", "--root", str(root), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, env=os.environ | {"PYTHONUNBUFFERED": "1"})


def test_cli_on_a_full_disk_pauses_with_a_sentence_and_recovery_list_still_answers(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "noise")
    with small_disk(tmp_path / "disk", "3m") as disk:
        done = fmtc(disk, "download", WORLD, "--zoom", "0-5", "--url", server.url_template, "--store", "s")
        assert done.returncode == 75, done.stderr
        assert "Traceback" not in done.stderr and "is full" in done.stderr and "recovery resume" in done.stderr
        listed = fmtc(disk, "recovery", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        (job,) = json.loads(listed.stdout)
        assert job["status"] == "paused" and "is full" in job["reason"]
        fill(disk)  # not a byte left: listing, showing and store stats still answer
        for args in (("recovery", "list"), ("recovery", "show", job["id"][:6]), ("store", "stats", "s"),
                     ("store", "list")):
            answer = fmtc(disk, *args)
            assert answer.returncode == 0 and "Traceback" not in answer.stderr, (args, answer.stderr)
        again = fmtc(disk, "download", WORLD, "--zoom", "0-1", "--url", server.url_template, "--store", "t")
        assert again.returncode == 2 and "Traceback" not in again.stderr and "full" in again.stderr, again.stderr
        (disk / "filler").unlink()
        remount(disk, "size=64m")
        resumed = fmtc(disk, "recovery", "resume", job["id"])
        assert resumed.returncode == 0, resumed.stderr
        registry = RecoveryRegistry(disk)
        assert registry.get(job["id"]).status == "completed"
        assert stored_tiles(Root(disk), [0, 1, 2, 3, 4, 5]) == set(
            TileCover(parse_region(WORLD), parse_zooms("0-5")).tiles())
        registry.close()


def test_a_failing_progress_callback_ends_the_run_failed_instead_of_stopping_the_tick(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    calls = []

    def broken(snapshot):
        calls.append(snapshot)
        if len(calls) == 3:
            raise RuntimeError("the progress display broke")

    download = Download(make_job(server.url_template, "0-7", rate_limit=200), tmp_path, on_progress=broken)
    with pytest.raises(RuntimeError, match="progress display broke"):
        download.run()
    assert download.snapshot.status == "failed" and download.reason == "the progress display broke"
    assert download.snapshot.buffered == 0  # what was fetched is committed
