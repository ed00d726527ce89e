"""``fmtc-nb download --cluster`` and ``fmtc-nb recovery resume`` of a sharded job, as real subprocesses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmtc_nb.cover import TileCover
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.scale.ledger import ShardLedger
from fmtc_nb.store import Root

REGION = "rect:-10,40,10,55"
ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(600)


def fmtc(root: Path, *args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "fmtc_nb", "--root", str(root), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def keys(root: Path, store: str) -> set[tuple[int, int, int]]:
    with Root(root).open(store, readonly=True) as s:
        return {(z, x, y) for z in range(0, 23) for x, y in s.tile_keys(z)}


def test_download_on_a_cluster_by_address(client, tile_server, tmp_path):
    address = client.scheduler.address
    code, out, err = finish(fmtc(tmp_path, "download", REGION, "--zoom", "0-9", "--url", tile_server.url_template,
                                 "--store", "s", "--cluster", address, "--shard-tiles", "300", "--json"))
    assert code == 0, err
    snap = json.loads(out)
    cover = TileCover(parse_region(REGION), "0-9")
    assert snap["status"] == "completed" and snap["cached"] == snap["max_tiles"] == cover.total
    assert f"5 shards (5 to run) on {address}" in err
    assert keys(tmp_path, "s") == set(cover.tiles()) and set(tile_server.hits().values()) == {1}


def test_download_on_a_local_cluster_it_starts_itself(tile_server, tmp_path):
    code, out, err = finish(fmtc(tmp_path, "download", REGION, "--zoom", "0-8", "--url", tile_server.url_template,
                                 "--store", "s", "--cluster", "local:2", "--shard-tiles", "100"))
    assert code == 0, err
    assert "4 shards (4 to run) on local:2" in err and "completed: 383 stored" in out
    assert keys(tmp_path, "s") == set(TileCover(parse_region(REGION), "0-8").tiles())


@pytest.mark.parametrize(("args", "words"), [
    (["--cluster", "somewhere"], "is not local:N, a scheduler address"),
    (["--cluster", "local:0"], "give 1 to 512"),
    (["--cluster", "local:2", "--shard-tiles", "0"], "--shard-tiles 0 is not a number of tiles"),
    (["--cluster", "tcp://127.0.0.1:9"], "cannot be reached"),
])
def test_a_bad_cluster_is_one_sentence_and_exit_2(tmp_path, args, words):
    code, out, err = finish(fmtc(tmp_path, "download", REGION, "--zoom", "0-3", "--url",
                                 "http://127.0.0.1:9/{z}/{x}/{y}.png", "--store", "s", *args))
    assert code == 2 and words in err and "Traceback" not in err
    assert err.strip().count("\n") <= 1  # the sentence (the scheduler case may say first where it looked)
    if "tcp://" not in args[1]:  # refused before the job was recorded
        with RecoveryRegistry(tmp_path) as registry:
            assert registry.jobs() == []


def test_ctrl_c_then_recovery_resume_continues_a_sharded_job_on_its_cluster(client, tile_server, tmp_path):
    address = client.scheduler.address
    cover = TileCover(parse_region(REGION), "0-10")
    proc = fmtc(tmp_path, "download", REGION, "--zoom", "0-10", "--url", tile_server.url_template, "--store", "s",
                "--cluster", address, "--shard-tiles", "1000", "--rate-limit", "1500", "--parallel", "4")
    deadline = time.monotonic() + 120
    merged = 0
    while merged < 2:
        assert time.monotonic() < deadline and proc.poll() is None, "the download ended before two shards merged"
        time.sleep(0.2)
        with RecoveryRegistry(tmp_path) as registry:
            jobs = registry.jobs()
        if jobs:
            with ShardLedger(tmp_path) as ledger:
                merged = int((ledger.frame(jobs[0].id)["state"] == "merged").sum())
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert code == 130 and "cancelled" in out, err
    with RecoveryRegistry(tmp_path) as registry:
        (info,) = registry.jobs()
    assert info.status == "cancelled" and 0 < info.tiles_done < cover.total
    code, out, err = finish(fmtc(tmp_path, "recovery", "resume", info.id[:8], "--json"))
    assert code == 0, err
    assert f"to run) on {address}" in err  # the cluster it ran on, recorded with its shards
    assert json.loads(out)["status"] == "completed" and keys(tmp_path, "s") == set(cover.tiles())
    assert set(tile_server.hits().values()) == {1}  # Ctrl-C flushed everything fetched; nothing fetched twice
    with RecoveryRegistry(tmp_path) as registry:
        info = registry.get(info.id)
    assert info.status == "completed" and info.tiles_done == cover.total and info.runs == 2
    code, _, err = finish(fmtc(tmp_path, "recovery", "resume", info.id, "--cluster", "nowhere"))
    assert code == 2 and "is not local:N" in err
