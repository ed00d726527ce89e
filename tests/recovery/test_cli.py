"""``fmtc-nb recovery`` and the download hook, run as real subprocesses against loopback tile servers."""

from __future__ import annotations

import json
import time

from fmtc_nb.engine import Download
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.store import Root
from fmtc_nb.tileserver import start_server
from tests.engine.conftest import FaultServer

from .conftest import fmtc, fmtc_popen, small_job

LIST_KEYS = {"id", "store", "status", "reason", "tiles_done", "tiles_failed", "tiles_total", "heartbeat_age_s"}


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_second_process_sees_the_job_running_cannot_take_it_and_can_cancel_it(tmp_path):
    server = start_server(latency_s=0.05)
    try:
        runner = fmtc_popen(tmp_path, "download", "rect:5,45,10,50", "--zoom", "0-10", "--url", server.url_template,
                            "--store", "k", "--parallel", "1")
        wait_until(lambda: server.app.requests > 5)
        with RecoveryRegistry(tmp_path) as registry:
            job_id = registry.jobs()[0].id
            wait_until(lambda: registry.get(job_id).tiles_done > 0)  # a batch and a heartbeat went by
        asking = [fmtc_popen(tmp_path, "recovery", "list", "--json")]
        asking += [fmtc_popen(tmp_path, "recovery", "resume", job_id), fmtc_popen(tmp_path, "recovery", "forget", job_id)]
        (listed, _), (_, refused), (_, not_forgotten) = (p.communicate(timeout=60) for p in asking)
        assert [p.returncode for p in asking] == [0, 2, 2]
        [entry] = json.loads(listed)
        assert set(entry) >= LIST_KEYS and entry["id"] == job_id and entry["status"] == "running"
        assert entry["heartbeat_age_s"] < 5 and entry["owner"].startswith(f"process {runner.pid} on host ")
        assert 0 < entry["tiles_done"] < entry["tiles_total"] == 486
        assert refused.startswith(f"fmtc-nb: error: Job {job_id} is running in process {runner.pid} on host ")
        assert "last heartbeat" in refused and refused.count("\n") == 1 and "Traceback" not in refused
        assert "cannot be forgotten" in not_forgotten

        cancelled = fmtc(tmp_path, "recovery", "cancel", job_id)
        assert cancelled.returncode == 0 and f"asked process {runner.pid}" in cancelled.stdout
        assert runner.wait(timeout=15) == 130  # the runner stopped cleanly, as with Ctrl-C
        runner.communicate()
    finally:
        server.stop()
    shown = fmtc(tmp_path, "recovery", "show", job_id[:8], "--json")
    info = json.loads(shown.stdout)
    assert (info["status"], info["reason"]) == ("cancelled", "cancelled through the recovery registry")
    assert info["checkpoint"]["tiles_done"] == info["tiles_done"] > 0
    with RecoveryRegistry(tmp_path) as registry:  # a cancelled job may be resumed: only the missing tiles
        _, tracker = registry.resume(job_id)
        todo = list(tracker.todo(486))
        assert len(todo) == 486 - info["tiles_done"] and todo == sorted(todo)
        with Root(tmp_path).open("k", readonly=True) as store:
            assert store.stats().tiles == info["tiles_done"]


def test_resume_retries_the_failed_tiles_and_only_them(tmp_path):
    with FaultServer(lambda z, x, y, attempt: "404" if (x + y) % 5 == 0 and attempt == 1 else "ok") as server:
        job = small_job(server.url_template, zooms="0-7", parallel=4)
        with RecoveryRegistry(tmp_path) as registry:
            tracker = registry.start(job)
            first = Download(job, Root(tmp_path), checkpointer=tracker).run()
            info = registry.get(job.job_id)
        assert first.failed_negative > 0 and info.status == "completed"
        assert info.tiles_failed == first.failed_negative and info.reason == f"{first.failed} tiles failed"
        assert fmtc(tmp_path, "recovery", "list").stdout.splitlines()[1].split()[:2] == [job.job_id, "completed"]
        resumed = fmtc(tmp_path, "recovery", "resume", job.job_id, "--json")
        assert resumed.returncode == 0, resumed.stderr
        assert json.loads(resumed.stdout)["cached"] == first.failed_negative
        cover = job.cover()
        assert {t: n for t, n in server.hits.items()} == {t: 2 if (t[1] + t[2]) % 5 == 0 else 1 for t in cover.tiles()}
    [entry] = json.loads(fmtc(tmp_path, "recovery", "list", "--json").stdout)
    assert (entry["status"], entry["tiles_done"], entry["tiles_failed"], entry["runs"]) == ("completed", cover.total, 0, 2)


def test_downloads_can_opt_out_and_unknown_ids_are_one_sentence(tmp_path):
    server = start_server()
    try:
        done = fmtc(tmp_path, "download", "rect:5,45,10,50", "--zoom", "0-3", "--url", server.url_template,
                    "--store", "k", "--no-recovery")
    finally:
        server.stop()
    assert done.returncode == 0 and "recovery job" not in done.stderr
    assert fmtc(tmp_path, "recovery", "list").stdout.strip() == "no recorded jobs"
    for action in ("show", "resume", "cancel", "forget"):
        missing = fmtc(tmp_path, "recovery", action, "nope")
        assert missing.returncode == 2 and missing.stderr.startswith("fmtc-nb: error: There is no job 'nope'")


def test_a_download_refused_for_its_store_records_no_job(tmp_path):
    Root(tmp_path).create("k", "http://127.0.0.1:9/a/{z}/{x}/{y}.png")
    for store in ("k", "../escape"):
        done = fmtc(tmp_path, "download", "rect:5,45,10,50", "--zoom", "0-3", "--url",
                    "http://127.0.0.1:9/b/{z}/{x}/{y}.png", "--store", store)
        assert done.returncode == 2 and done.stderr.startswith("fmtc-nb: error: ") and "Traceback" not in done.stderr
    with RecoveryRegistry(tmp_path) as registry:
        assert registry.jobs() == []
