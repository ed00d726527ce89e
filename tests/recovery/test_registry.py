"""The registry on a real SQLite file: statuses from owner liveness, claims, cancel, forget, report."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import replace

import pytest

from fmtc_nb.engine import ProgressSnapshot
from fmtc_nb.errors import JobConflict, RecoveryError
from fmtc_nb.recovery import STATUSES, Owner, RecoveryRegistry
from fmtc_nb.recovery.report import COLUMNS
from fmtc_nb.store import Root, TileRecord

from .conftest import small_job

SNAP = ProgressSnapshot()


class Runner:
    """What a tracker controls: records cancel() calls (a real Download offers the same member)."""

    def __init__(self) -> None:
        self.cancelled = 0

    def cancel(self) -> None:
        self.cancelled += 1


def age(registry: RecoveryRegistry, job_id: str, seconds: float) -> None:
    """Make the job's last heartbeat ``seconds`` older, through another connection to the file."""
    with sqlite3.connect(registry.path) as db:
        db.execute("UPDATE jobs SET heartbeat_at = heartbeat_at - ? WHERE id = ?", (seconds, job_id))


def same_job(a, b) -> bool:
    """The same job, region compared by its tile cover."""
    return (a.job_id, a.zooms, a.source, a.store, a.options, a.cover().counts) == \
        (b.job_id, b.zooms, b.source, b.store, b.options, b.cover().counts)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_started_job_is_running_with_a_fresh_heartbeat(registry):
    job = small_job()
    tracker = registry.start(job)
    assert tracker.job_id == job.job_id
    info = registry.get(tracker.job_id)
    assert (info.status, info.held, info.live, info.store, info.region_kind) == ("running", True, True, "s", "rectangle")
    assert info.heartbeat_age_s < 2 and info.owner == Owner.this_process()
    assert set(info.to_dict()) >= {"id", "store", "status", "reason", "tiles_done", "tiles_failed", "tiles_total",
                                   "heartbeat_age_s"}
    assert info.status in STATUSES and same_job(info.job(), job)


def test_heartbeats_carry_the_checkpoint_counts_and_the_end_is_recorded(registry):
    tracker = registry.start(small_job())
    assert list(tracker.todo(10)) == list(range(10))
    tracker.batch_done([0, 1, 2, 4], [(3, "HTTP 404")])
    tracker.heartbeat(replace(SNAP, flushed_bytes=1234, elapsed_s=2.0))
    info = registry.get(tracker.job_id)
    assert (info.tiles_done, info.tiles_failed, info.tiles_total, info.bytes, info.active_s) == (4, 1, 10, 1234, 2.0)
    tracker.finished(replace(SNAP, flushed_bytes=2000, elapsed_s=3.0), "completed", "1 tiles failed")
    info = registry.get(tracker.job_id)
    assert (info.status, info.reason, info.held, info.bytes) == ("completed", "1 tiles failed", False, 2000)
    assert info.finished_at is not None and info.tiles_per_s == pytest.approx(5 / 3.0)


def test_owner_gone_is_failed_unaskable_owner_is_stale_never_failed(registry):
    gone = registry.start(small_job(), Owner.process(dead_pid()))
    remote = registry.start(small_job(), replace(Owner.this_process(), host="elsewhere"))
    silent = registry.start(small_job())  # this very process: alive, but we stop its heartbeat
    assert registry.get(remote.job_id).status == "running"  # fresh heartbeat: running, whoever asks
    for job_id in (remote.job_id, silent.job_id):
        age(registry, job_id, 3600 * 24)
    info = registry.get(gone.job_id)
    assert info.status == "failed" and "ended without finishing" in info.reason and not info.held
    assert registry.get(gone.job_id).status == "failed"  # recorded, not re-derived
    info = registry.get(remote.job_id)
    assert info.status == "stale" and "cannot be asked" in info.reason and info.live
    info = registry.get(silent.job_id)  # a live owner is never doubted: running, with its heartbeat's age
    assert info.status == "running" and "alive but its last heartbeat is 24 h old" in info.reason and info.live
    with pytest.raises(JobConflict, match="is running in .* cannot be resumed or retried here without --force"):
        registry.resume(silent.job_id)


def test_device_jobs_follow_the_bridge_answer(tmp_path):
    answers = {"alive": True, "gone": False}
    with RecoveryRegistry(tmp_path, lease_s=5, device_liveness=lambda dev, job: answers.get(job)) as registry:
        for name in ("alive", "gone", "unknown"):
            registry.start(small_job(), Owner.device("phone"), job_id=name)
        age(registry, "alive", 60)  # alive but silent past the lease: still running, the age said
        assert registry.get("gone").status == "failed" and "device phone ended" in registry.get("gone").reason
        assert registry.get("alive").status == "running" and "60 s old" in registry.get("alive").reason
        assert registry.get("unknown").status == "running"
        age(registry, "unknown", 60)
        assert registry.get("unknown").status == "stale"


def test_a_running_job_cannot_be_resumed_a_stale_one_only_with_force(registry):
    original = small_job()
    tracker = registry.start(original)
    with pytest.raises(JobConflict, match=r"is running in process \d+ on host .* \(last heartbeat 0\.\d s ago\)"):
        registry.resume(tracker.job_id)
    with sqlite3.connect(registry.path) as db:
        db.execute("UPDATE jobs SET owner = ?", (replace(Owner.this_process(), host="elsewhere").to_json(),))
    age(registry, tracker.job_id, 100)
    with pytest.raises(JobConflict, match="may still be running .* without --force"):
        registry.resume(tracker.job_id)
    runner = Runner()
    tracker.bind(runner)
    job, taken = registry.resume(tracker.job_id, force=True)
    assert same_job(job, original) and registry.get(tracker.job_id).status == "running"
    tracker.heartbeat(SNAP)  # the old runner notices it lost the claim and stops
    assert tracker.lost_claim and runner.cancelled == 1
    tracker.finished(SNAP, "cancelled", "cancelled by the user")
    assert registry.get(tracker.job_id).status == "running" and registry.get(tracker.job_id).runs == 2


def test_cancel_asks_a_live_runner_and_marks_a_stopped_job(registry):
    tracker = registry.start(small_job())
    runner = Runner()
    tracker.bind(runner)
    assert registry.cancel(tracker.job_id).status == "running"
    tracker.heartbeat(SNAP)
    assert runner.cancelled == 1
    tracker.finished(SNAP, "cancelled", "cancelled by the user")
    info = registry.get(tracker.job_id)
    assert (info.status, info.reason) == ("cancelled", "cancelled through the recovery registry")
    gone = registry.start(small_job(), Owner.process(dead_pid()))
    assert registry.cancel(gone.job_id).status == "cancelled"
    done = registry.start(small_job())
    done.finished(SNAP, "completed", None)
    with pytest.raises(RecoveryError, match="already completed"):
        registry.cancel(done.job_id)


def test_forget_removes_the_job_and_its_store_checkpoint_but_not_while_live(registry, tmp_path):
    store = Root(tmp_path).create("s", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    tracker = registry.start(small_job())
    tracker.todo(3)
    store.put_tiles([TileRecord(0, 0, 0, b"x", 0.0)], checkpoint=tracker.batch_checkpoint([0], []))
    tracker.batch_done([0], [])
    store.close()
    with pytest.raises(JobConflict, match="cannot be forgotten"):
        registry.forget(tracker.job_id)
    tracker.finished(SNAP, "cancelled", "interrupted")
    assert registry.checkpoint(tracker.job_id).tiles_done == 1
    registry.forget(tracker.job_id[:6])
    with pytest.raises(RecoveryError, match="no job"):
        registry.get(tracker.job_id)
    with Root(tmp_path).open("s") as reopened:
        assert reopened.read_checkpoint(tracker.job_id) is None and reopened.has_tile(0, 0, 0)


def test_a_dead_job_reports_what_its_store_holds_not_what_it_last_said(registry, tmp_path):
    store = Root(tmp_path).create("s", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    tracker = registry.start(small_job(), Owner.process(dead_pid()))
    tracker.todo(10)
    store.put_tiles([TileRecord(0, 0, 0, b"x", 0.0)], checkpoint=tracker.batch_checkpoint([0], []))
    tracker.batch_done([0], [])
    tracker.batch_checkpoint([1, 2, 3], [])  # handed to the store thread, never committed: the process died
    tracker.heartbeat(SNAP)
    store.close()
    with sqlite3.connect(registry.path) as db:  # a heartbeat counts committed batches only
        assert db.execute("SELECT tiles_done FROM jobs").fetchone()[0] == 1
    info = registry.get(tracker.job_id)
    assert (info.status, info.tiles_done) == ("failed", 1)
    job, resumed = registry.resume(tracker.job_id)
    assert list(resumed.todo(10)) == list(range(1, 10))


def test_ids_resolve_by_unique_prefix(registry):
    registry.start(small_job(), job_id="abc1")
    registry.start(small_job(), job_id="abc2")
    assert registry.get("abc1").id == "abc1"
    with pytest.raises(RecoveryError, match="matches several jobs"):
        registry.get("abc")
    with pytest.raises(RecoveryError, match="already in the recovery registry"):
        registry.start(small_job(), job_id="abc1")


def test_report_has_one_row_per_job_with_the_named_columns(registry):
    first = registry.start(small_job(zooms="3-5,8"))
    first.todo(50)
    first.batch_done(range(20), [(20, "timeout")])
    first.finished(replace(SNAP, flushed_bytes=999, elapsed_s=4.2), "completed", "1 tiles failed")
    registry.start(small_job(store="other"))
    frame = registry.report()
    assert tuple(frame.columns) == COLUMNS and len(frame) == 2
    row = frame.set_index("id").loc[first.job_id]
    assert (row.store, row.region_kind, row.zooms, row.status) == ("s", "rectangle", "3-5,8", "completed")
    assert (row.tiles_done, row.tiles_failed, row.tiles_total, row.bytes) == (20, 1, 50, 999)
    assert row.duration_s == pytest.approx(4.2) and row.tiles_per_s == pytest.approx(21 / 4.2)
    assert str(frame["started"].dtype).startswith("datetime64") and frame["last_heartbeat"].notna().all()


def test_a_paused_run_is_reported_paused_and_still_held(registry):
    tracker = registry.start(small_job())
    tracker.heartbeat(replace(SNAP, status="paused"))  # the engine's snapshot says so while paused
    assert registry.get(tracker.job_id).status == "paused"
    with pytest.raises(JobConflict, match="is paused in process"):
        registry.resume(tracker.job_id)
    tracker.heartbeat(SNAP)
    assert registry.get(tracker.job_id).status == "running"
    tracker.finished(SNAP, "paused", "paused by the host")  # a host may end a run paused: then anyone may resume
    assert (registry.get(tracker.job_id).status, registry.get(tracker.job_id).live) == ("paused", False)
    registry.resume(tracker.job_id)


RACER = """
import sys
from fmtc_nb.errors import JobConflict
from fmtc_nb.recovery import RecoveryRegistry
registry = RecoveryRegistry(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()  # "go": every racer is loaded, however slow the machine
try:
    registry.resume(sys.argv[2])
    print("claimed", flush=True)
except JobConflict as exc:
    print("refused:", exc, flush=True)
sys.stdin.readline()  # "end": the winner holds its claim until every racer has answered
"""


def test_of_several_processes_resuming_a_dead_job_exactly_one_claims_it(registry, tmp_path):
    tracker = registry.start(small_job(), Owner.process(dead_pid()))
    racers = [subprocess.Popen([sys.executable, "-c", RACER, str(tmp_path), tracker.job_id], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True) for _ in range(3)]
    assert [p.stdout.readline().strip() for p in racers] == ["ready"] * 3
    for p in racers:
        p.stdin.write("go\n")
        p.stdin.flush()
    answers = [p.stdout.readline() for p in racers]  # each has tried once the line is there
    for p in racers:
        p.stdin.write("end\n")
        p.stdin.flush()
    outputs = [answer + p.communicate(timeout=60)[0] for answer, p in zip(answers, racers, strict=True)]
    assert sorted(o.split()[0] for o in outputs) == ["claimed", "refused:", "refused:"], outputs
    winner = racers[[o.startswith("claimed") for o in outputs].index(True)].pid
    assert all(f"process {winner} on host" in o or "a moment ago" in o for o in outputs if o.startswith("refused"))
    info = registry.get(tracker.job_id)  # the winner has exited since: the job is failed again, claim released
    assert info.status == "failed" and info.owner.pid == winner and info.runs == 2


def test_a_damaged_registry_file_is_one_sentence_and_left_alone(tmp_path):
    damaged = b"not a database " * 20
    (tmp_path / "recovery.sqlite").write_bytes(damaged)
    with pytest.raises(RecoveryError, match="cannot be used .*move it aside") as exc:
        RecoveryRegistry(tmp_path)
    assert exc.value.exit_code == 2 and (tmp_path / "recovery.sqlite").read_bytes() == damaged


def test_a_stale_job_is_cancelled_or_forgotten_only_with_force_and_its_runner_then_stops(registry):
    tracker = registry.start(small_job())
    runner = Runner()
    tracker.bind(runner)
    with sqlite3.connect(registry.path) as db:
        db.execute("UPDATE jobs SET owner = ?", (replace(Owner.this_process(), host="elsewhere").to_json(),))
    age(registry, tracker.job_id, 100)
    assert registry.cancel(tracker.job_id).status == "stale", "without force only a request to stop"
    with pytest.raises(JobConflict, match="may still be running .* cannot be forgotten here without --force"):
        registry.forget(tracker.job_id)
    info = registry.cancel(tracker.job_id, force=True)
    assert (info.status, info.live) == ("cancelled", False)
    tracker.heartbeat(SNAP)  # a runner that was only silent loses its claim and stops
    assert tracker.lost_claim and runner.cancelled == 1 and registry.get(tracker.job_id).status == "cancelled"
    other = registry.start(small_job())
    with sqlite3.connect(registry.path) as db:
        db.execute("UPDATE jobs SET owner = ? WHERE id = ?",
                   (replace(Owner.this_process(), host="elsewhere").to_json(), other.job_id))
    age(registry, other.job_id, 100)
    registry.forget(other.job_id, force=True)
    with pytest.raises(RecoveryError, match="no job"):
        registry.get(other.job_id)
    other.heartbeat(SNAP)
    assert other.lost_claim
