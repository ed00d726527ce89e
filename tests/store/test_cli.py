"""``fmtc-nb store ...`` and ``fmtc-nb serve``: JSON output, one-sentence errors with exit code 2."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from fmtc_nb.cli import main
from fmtc_nb.store.export import export_store

from .conftest import records

REPO = Path(__file__).resolve().parents[2]


def run(capsys, root, *argv: str) -> tuple[int, object, str]:
    code = main(["--root", str(root.path), "store", *argv])
    out, err = capsys.readouterr()
    try:
        value = json.loads(out)
    except json.JSONDecodeError:
        value = out
    return code, value, err


def test_list_stats_verify_meta_limit_prune_as_json(capsys, root, store):
    store.put_tiles(records(2, range(4), range(4)) + records(3, range(2), range(2), fetched_at=0),
                    failures=[(3, 7, 7, "HTTP 404")])
    code, listed, _ = run(capsys, root, "list", "--json")
    assert code == 0 and [s["name"] for s in listed] == ["s"] and listed[0]["tiles"] == 20
    code, stats, _ = run(capsys, root, "stats", "s", "--json", "--failures")
    assert stats["zooms"] == {"2": 16, "3": 4} and stats["failed_tiles"][0]["reason"] == "HTTP 404"
    assert run(capsys, root, "verify", "s", "--json")[1] == {"name": "s", "ok": True, "problems": []}
    code, meta, _ = run(capsys, root, "meta", "s", "attribution=© OSM contributors", "--json")
    assert meta["attribution"] == "© OSM contributors"
    code, pruned, _ = run(capsys, root, "prune", "s", "--older-than", "2000-01-01", "--json")
    assert pruned["deleted_tiles"] == 4
    code, limited, _ = run(capsys, root, "limit", "s", "10", "--json")
    assert limited["evicted"] == 6
    code, text, _ = run(capsys, root, "stats", "s")
    assert code == 0 and "tiles        10" in text


def test_export_import_rename_reset_delete(capsys, root, store, tmp_path):
    store.put_tiles(records(2, range(4), range(4)))
    out = tmp_path / "x.pmtiles"
    assert run(capsys, root, "export", "s", str(out), "--json")[1]["format"] == "pmtiles"
    code, result, _ = run(capsys, root, "import", str(out), "--as", "copy", "--json")
    assert (code, result["action"], result["tiles"]) == (0, "created", 16)
    assert run(capsys, root, "rename", "copy", "copy2", "--json")[1]["name"] == "copy2"
    assert run(capsys, root, "reset", "copy2", "--json")[0] == 0
    assert run(capsys, root, "delete", "copy2", "--json")[0] == 0
    assert run(capsys, root, "list", "--json")[1][0]["name"] == "s"


@pytest.mark.parametrize("argv,needle", [
    (["stats", "../etc"], "'..'"),
    (["stats", "missing"], "no store named"),
    (["import", "NOFILE"], "no file"),
    (["import", "{notsqlite}"], "neither an MBTiles"),
    (["import", "{export}", "--as", "s"], "on-conflict"),
    (["prune", "s", "--older-than", "yesterday"], "neither an ISO date"),
    (["limit", "s", "many"], "whole number"),
    (["limit", "s", "0"], "evict every tile"),
    (["import", "{dir}"], "is a directory"),
    (["meta", "s", "novalue"], "KEY=VALUE"),
    (["meta", "s", "fmtc_source_url=http://x.example/{{z}}/{{x}}/{{y}}"], "kept by fmtc-nb"),
    (["meta", "s", "fmtc_max_tiles=abc"], "kept by fmtc-nb"),
    (["meta", "s", "name="], "cannot be deleted"),
    (["rename", "s", "a/b"], "path separators"),
    (["export", "s", "{export}"], "exists already"),
])
def test_bad_input_is_one_sentence_and_exit_2(capsys, root, store, tmp_path, argv, needle):
    store.put_tiles(records(1, range(2), range(2)))
    export = tmp_path / "s.mbtiles"
    export_store(store, "mbtiles", export)
    (tmp_path / "junk.mbtiles").write_bytes(b"junk" * 100)
    argv = [a.format(notsqlite=tmp_path / "junk.mbtiles", export=export, dir=tmp_path) for a in argv]
    code, _, err = run(capsys, root, *argv)
    assert code == 2 and err.startswith("fmtc-nb: error: ") and needle in err and err.count("\n") == 1
    assert store.stats().tiles == 4 and store.verify() == []


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_subprocess_serves_tiles_until_interrupted(root, origin, stop):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "fmtc_nb", "--root", str(root.path), "serve", "web", "--source",
                             origin.url_template, "--port", "0", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        template = json.loads(proc.stdout.readline())["url_template"]
        with urllib.request.urlopen(template.format(z=2, x=1, y=1), timeout=10) as r:
            assert r.read() == origin.body(2, 1, 1)
    finally:
        proc.send_signal(stop)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "0 hits, 1 misses" in err
    with root.open("web") as s:
        assert s.stats().misses == 1 and s.has_tile(2, 1, 1)


@pytest.mark.parametrize("extra, needle", [(["--port", "99999"], "could not start"),
                                          (["--valid-for", "nan"], "validity period")])
def test_serve_bad_setup_is_one_line_on_stderr(root, store, extra, needle):
    """A proxy that cannot start says so in one sentence; no asyncio warnings about unclosed sessions follow."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "fmtc_nb", "--root", str(root.path), "serve", "s", *extra], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=60)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and lines[0].startswith("fmtc-nb: error: ")
    assert needle in lines[0]


def test_create_and_a_truncated_store_file(capsys, root, tmp_path):
    code, created, _ = run(capsys, root, "create", "new", "--source", "http://t.example/{z}/{x}/{y}.png", "--json")
    assert code == 0 and created["source_url"].startswith("http://t.example")
    assert run(capsys, root, "create", "new")[0] == 2
    assert run(capsys, root, "create", "bad", "--source", "ftp://nope")[0] == 2 and "bad" not in root.list()
    with root.open("new") as s:
        s.put_tiles(records(6, range(64), range(16)))
    data = root.store_path("new").read_bytes()
    root.store_path("cut").write_bytes(data[: len(data) // 2])
    for command in ("stats", "verify"):
        code, _, err = run(capsys, root, command, "cut")
        assert code == 2 and "cannot be opened as SQLite" in err and err.count("\n") == 1
    code, listed, _ = run(capsys, root, "list", "--json")
    assert code == 0 and "error" in listed[0] and listed[1]["tiles"] == 1024


@pytest.mark.parametrize("where, needle", [("file", "it is a file"), ("file/sub", "cannot be used"), ("", "empty path")])
def test_a_root_that_cannot_be_a_directory_is_one_sentence(capsys, tmp_path, where, needle):
    (tmp_path / "file").write_text("not a directory")
    code = main(["--root", str(tmp_path / where) if where else "", "store", "list"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("fmtc-nb: error: ") and needle in err and err.count("\n") == 1
    assert (tmp_path / "file").read_text() == "not a directory"
