"""``fmtc-nb download`` and ``fmtc-nb demo`` as real subprocesses: exit codes 0/1/2, JSON, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

pytest.importorskip("fmtc_nb.store")
pytest.importorskip("fmtc_nb.cover")

CMD = [sys.executable, "-m", "fmtc_nb"]


def fmtc(root, *args, timeout=60):
    return subprocess.run([*CMD, "--root", str(root), *args], capture_output=True, text=True, timeout=timeout,
                          env=os.environ | {"PYTHONUNBUFFERED": "1"})


def download_args(url, *extra):
    return ["download", "rect:-180,-85,180,85", "--zoom", "0-3", "--url", url, "--store", "s", "--retries", "1",
            "--no-recovery", *extra]


def test_all_stored_exits_0_with_json(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    done = fmtc(tmp_path, *download_args(server.url_template, "--json"))
    assert done.returncode == 0, done.stderr
    snap = json.loads(done.stdout)
    assert snap["cached"] == snap["max_tiles"] == 85 and snap["failed"] == 0 and snap["status"] == "completed"
    again = fmtc(tmp_path, *download_args(server.url_template, "--json"))
    assert again.returncode == 0 and json.loads(again.stdout)["skipped_existing"] == 85


def test_failed_tiles_exit_1(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "404" if x == 1 else "500" if x == 2 else "ok")
    done = fmtc(tmp_path, *download_args(server.url_template, "--json"))
    assert done.returncode == 1, done.stderr
    snap = json.loads(done.stdout)
    assert snap["failed_negative"] > 0 and snap["failed_request"] > 0
    assert snap["attempted"] == snap["successful"] + snap["failed"] == 85


@pytest.mark.parametrize(("args", "words"), [
    (download_args("https://tile.openstreetmap.org/{z}/{x}/{y}.png"), "forbids"),
    (download_args("http://127.0.0.1:9/{z}/{x}.png"), "must contain"),
    (download_args("http://127.0.0.1:9/{z}/{x}/{y}.png", "--header", "User-Agent:curl/8"), "generic"),
    (download_args("http://127.0.0.1:9/{z}/{x}/{y}.png", "--header", "nocolon"), "Key:Value"),
    (download_args("http://127.0.0.1:9/{z}/{x}/{y}.png", "--parallel", "0"), "--parallel"),
    (download_args("http://127.0.0.1:9/{z}/{x}/{y}.png", "--rate-limit", "nan"), "--rate-limit"),
    (download_args("http://127.0.0.1:9/{z}/{x}/{y}.png", "--fresher-than", "-3"), "--fresher-than"),
    (download_args("http://127.0.0.1:9/{z}/{x}/{y}.png", "--header", "X:a\nb"), "line break"),
    (download_args("http://127.0.0.1:9/{z}/{x}/{y}.png", "--contact", "me\r\nX: y"), "line break"),
    (["demo", "--rate-limit", "-1"], "rate limit"),
    (["download", "rect:-180,-85,180,85", "--zoom", "9-3", "--url", "http://127.0.0.1:9/{z}/{x}/{y}.png",
      "--store", "s"], ""),
])
def test_bad_input_exits_2_with_one_sentence(tmp_path, args, words):
    done = fmtc(tmp_path, *args)
    assert done.returncode == 2
    assert done.stderr.startswith("fmtc-nb: error: ") and words in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "stores").exists() or not any((tmp_path / "stores").iterdir())  # nothing created


def test_ctrl_c_cancels_cleanly(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    proc = subprocess.Popen([*CMD, "--root", str(tmp_path), *download_args(server.url_template, "--json",
                                                                         "--rate-limit", "50")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while sum(server.hits.values()) < 10 and time.monotonic() < deadline:  # the download is under way
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    snap = json.loads(out)
    assert snap["status"] == "cancelled" and 0 < snap["cached"] < 85 and snap["flushed"] == snap["cached"]


def test_demo_downloads_the_example_region(tmp_path):
    pytest.importorskip("fmtc_nb.tileserver")
    done = fmtc(tmp_path, "demo", "--zoom", "0-4", "--json", timeout=120)
    assert done.returncode == 0, done.stderr
    snap = json.loads(done.stdout)
    assert snap["cached"] > 0 and snap["failed"] == 0 and snap["attempted"] == snap["max_tiles"]
    assert list(tmp_path.rglob("demo*")), "the demo store file exists"
    again = fmtc(tmp_path, "demo", "--zoom", "0-4", "--json", timeout=120)  # a new port: the store adopts it
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["skipped_existing"] == snap["max_tiles"]
    text = fmtc(tmp_path, "demo", "--zoom", "0-5", timeout=120)
    assert text.returncode == 0 and "demo.mbtiles" in text.stdout and "z5: 1" in text.stdout
    with sqlite3.connect(tmp_path / "stores" / "demo.mbtiles") as db:  # what QGIS reads
        meta = dict(db.execute("SELECT name, value FROM metadata"))
    assert meta["format"] == "png" and "Natural Earth" in meta["attribution"] and meta["name"] == "demo"


def test_vector_tiles_are_accepted_with_tile_format_pbf(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "html" if x == 1 else "ok")
    done = fmtc(tmp_path, *download_args(server.url_template.replace(".png", ".pbf"), "--json", "--retries", "0",
                                         "--tile-format", "pbf"))
    snap = json.loads(done.stdout)
    assert done.returncode == 1 and snap["failed_request"] == 14 and snap["cached"] == 71  # HTML is never a tile
