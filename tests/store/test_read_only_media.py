"""Issue 21 item 13: a store on read-only media (a write-protected stick, a read-only share) can be read:
stats, verify, export and a cache-only ``serve`` open it read-only in SQLite's immutable mode."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from fmtc_nb.errors import StoreError
from fmtc_nb.store import Root
from fmtc_nb.store.proxy import serve_store
from tests.faults import remount, small_disk

from .conftest import URL, png, records

REPO = Path(__file__).resolve().parents[2]


def fmtc(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fmtc_nb", *argv], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env=os.environ)


@pytest.fixture
def stick(tmp_path):
    """A root on a file system mounted read-only, holding store ``s`` with 9 tiles (closed cleanly)."""
    with small_disk(tmp_path / "stick", "8m") as disk:
        with Root(disk).create("s", URL) as store:
            store.put_tiles(records(2, range(3), range(3)))
        assert not list((disk / "stores").glob("*-wal"))
        remount(disk, "ro")
        yield disk


def test_stats_verify_list_and_export_read_a_store_on_read_only_media(stick, tmp_path):
    for args in (("store", "stats", "s"), ("store", "verify", "s"), ("store", "list"), ("store", "meta", "s")):
        done = fmtc("--root", str(stick), *args)
        assert done.returncode == 0 and "Traceback" not in done.stderr, (args, done.stderr)
    assert "9" in fmtc("--root", str(stick), "store", "stats", "s").stdout
    for fmt, out in (("mbtiles", "copy.mbtiles"), ("pmtiles", "copy.pmtiles"), ("dir", "copy")):
        done = fmtc("--root", str(stick), "store", "export", "s", str(tmp_path / out), "--format", fmt)
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "copy" / "2" / "1" / "2.png").read_bytes() == png(2, 1, 2)
    with Root(stick).open("s", readonly=True) as store:
        assert store.stats().tiles == 9 and store.verify() == [] and store.get_tile(2, 0, 0) == png(2, 0, 0)


def test_cache_only_serve_reads_a_store_on_read_only_media(stick):
    with serve_store("s", stick, mode="cache-only", port=0) as proxy:
        base = proxy.url_template.split("/{z}")[0]
        with urllib.request.urlopen(f"{base}/2/1/1.png", timeout=10) as answer:
            assert answer.status == 200 and answer.read() == png(2, 1, 1)
        with urllib.request.urlopen(f"{base}/stats", timeout=10) as answer:
            assert answer.status == 200
        assert proxy.hits == 1
    with pytest.raises(StoreError, match="read-only medium.*cache-only"):
        serve_store("s", stick, mode="cache-first", port=0)


def test_writing_to_read_only_media_is_one_sentence(stick):
    for args in (("store", "prune", "s", "--older-than", "1d"), ("store", "limit", "s", "3"),
                 ("store", "create", "t")):
        done = fmtc("--root", str(stick), *args)
        assert done.returncode == 2 and done.stderr.startswith("fmtc-nb: error: "), (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
        assert "read-only" in done.stderr and "cannot be opened as SQLite" not in done.stderr, done.stderr
