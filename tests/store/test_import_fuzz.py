"""Issue 21 item 3: importing crafted MBTiles and PMTiles files. Each import runs in a subprocess bounded by
10 s and 200 MB of address space and must end with one sentence (exit 2), the existing store unchanged and
no scratch file left; then a seeded mutation pass over valid files."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fmtc_nb.store import Root
from fmtc_nb.store.importer import import_file

from . import hostile
from .conftest import URL, records

REPO = Path(__file__).resolve().parents[2]
LIMIT_S = 10
LIMIT_MB = 200


def bounded_import(root: Root, path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``fmtc-nb store import PATH --as s EXTRA`` in a subprocess capped at LIMIT_MB, killed after LIMIT_S."""
    argv = [sys.executable, "-m", "tests.store.bounded_import", str(LIMIT_MB), "--root", str(root.path), "store",
            "import", str(path), "--as", "s", *extra]
    env = os.environ | {"OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    try:
        return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=LIMIT_S, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail(f"importing {path.name} ran longer than {LIMIT_S} s")


@pytest.fixture
def kept(root):
    with root.create("s", URL) as store:
        store.put_tiles(records(3, range(3), range(3)))
    return snapshot(root)


def snapshot(root: Root) -> tuple[int, dict]:
    with root.open("s", readonly=True) as store:
        return store.stats().tiles, {(r.z, r.x, r.y): r.data for r in store.iter_tiles()}


def assert_refused_and_unchanged(root: Root, path: Path, before: tuple[int, dict]) -> None:
    for extra in ((), ("--on-conflict", "replace"), ("--on-conflict", "merge")):
        done = bounded_import(root, path, *extra)
        assert done.returncode == 2, (extra, done.returncode, done.stderr[-2000:])
        assert done.stderr.startswith("fmtc-nb: error: ") and done.stderr.count("\n") == 1, done.stderr[-2000:]
    assert snapshot(root) == before
    assert root.list() == ["s"]
    assert not [p.name for p in root.stores_dir.iterdir() if p.name.startswith(".")], "scratch file left behind"


def test_the_bounds_let_a_good_import_through(root, tmp_path):
    good = tmp_path / "good.mbtiles"
    hostile.mbtiles_good(good)
    done = bounded_import(root, good)
    assert done.returncode == 0, done.stderr
    pm = tmp_path / "good.pmtiles"
    pm.write_bytes(hostile.pmtiles_good())
    done = bounded_import(root, pm, "--on-conflict", "merge")
    assert done.returncode == 0, done.stderr
    assert snapshot(root)[0] == 70


@pytest.mark.parametrize("kind", sorted(hostile.HOSTILE_MBTILES))
def test_hostile_mbtiles_is_refused_within_bounds(root, tmp_path, kept, kind):
    path = tmp_path / f"{kind}.mbtiles"
    hostile.HOSTILE_MBTILES[kind](path)
    assert path.stat().st_size < 8 << 20
    assert_refused_and_unchanged(root, path, kept)


@pytest.mark.parametrize("kind", sorted(hostile.HOSTILE_PMTILES))
def test_hostile_pmtiles_is_refused_within_bounds(root, tmp_path, kept, kind):
    path = tmp_path / f"{kind}.pmtiles"
    path.write_bytes(hostile.HOSTILE_PMTILES[kind]())
    assert path.stat().st_size < 8 << 20
    assert_refused_and_unchanged(root, path, kept)


@pytest.mark.parametrize("kind", ["pmtiles", "mbtiles"])
def test_truncations_at_every_part_are_refused(root, tmp_path, kept, kind):
    good = tmp_path / f"good.{kind}"
    if kind == "pmtiles":
        good.write_bytes(hostile.pmtiles_good())
    else:
        hostile.mbtiles_good(good, tiles=200)
    data = good.read_bytes()
    for cut in sorted({7, 50, 126, 127, 140, len(data) // 4, len(data) // 2, len(data) - 100, len(data) - 1}):
        path = tmp_path / f"cut{cut}.{kind}"
        path.write_bytes(data[:cut])
        with pytest.raises(Exception) as info:
            import_file(root, path, name="s", on_conflict="replace")
        assert type(info.value).__name__ == "StoreError" and "\n" not in str(info.value), (cut, info.value)
    assert snapshot(root) == kept


@pytest.mark.parametrize(("value", "words"), [("lots", "whole number"), ("0", "positive"), ("-5", "positive"),
                                                ("1e400", "whole number")])
def test_import_metadata_with_a_bad_tile_limit_is_refused(root, tmp_path, kept, value, words):
    path = tmp_path / "limit.mbtiles"
    hostile.mbtiles_bad_max_tiles(value)(path)
    with pytest.raises(Exception, match=words) as info:
        import_file(root, path, name="s", on_conflict="replace")
    assert type(info.value).__name__ == "StoreError"
    assert snapshot(root) == kept


def test_import_metadata_keys_that_clash_with_parameters(root, tmp_path):
    path = tmp_path / "keys.mbtiles"
    hostile.mbtiles_good(path, extra_meta={"path": "/etc", "source_url": "x", "name": "n", "meta": "m",
                                           "fmtc_max_tiles": "25"})
    result = import_file(root, path)
    with root.open(result.name) as store:
        meta = store.metadata()
        assert (meta["path"], meta["source_url"], meta["meta"]) == ("/etc", "x", "m")
        assert store.max_tiles == 25 and store.stats().tiles == 25 and store.verify() == []


def test_an_interrupted_import_leaves_no_scratch_file_for_long(root, tmp_path):
    big = tmp_path / "big.mbtiles"
    hostile.mbtiles_good(big, tiles=30)
    import sqlite3
    db = sqlite3.connect(big)  # 20,000 distinct tiles, a few seconds of importing
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                   [(15, x, y, random.Random(x * 1000 + y).randbytes(2000)) for x in range(200) for y in range(100)])
    db.commit()
    db.close()
    proc = subprocess.Popen([sys.executable, "-m", "fmtc_nb", "--root", str(root.path), "store", "import", str(big)],
                            cwd=REPO)
    deadline = time.monotonic() + 30
    while not any(p.name.startswith(".big.") for p in root.stores_dir.glob(".*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = [p.name for p in root.stores_dir.iterdir() if p.name.startswith(".")]
    assert left, "the killed import left its scratch file (what this test is about)"
    hostile.mbtiles_good(tmp_path / "small.mbtiles")
    import_file(root, tmp_path / "small.mbtiles")
    assert not [p.name for p in root.stores_dir.iterdir() if p.name.startswith(".")]
    assert root.list() == ["small"]


MUTATIONS = 150


def test_mutated_valid_files_import_or_refuse_with_a_sentence(root, tmp_path):
    """A seeded mutation pass: flipped bytes, cut and spliced ranges of valid MBTiles and PMTiles files; every
    import either works (and verifies) or is refused with a StoreError, within the same subprocess bounds."""
    mb = tmp_path / "valid.mbtiles"
    hostile.mbtiles_good(mb, tiles=20)
    sources = {"mbtiles": mb.read_bytes(), "pmtiles": hostile.pmtiles_good(20)}
    rng = random.Random(21)
    folder = tmp_path / "mutants"
    folder.mkdir()
    for i in range(MUTATIONS):
        kind = rng.choice(sorted(sources))
        data = bytearray(sources[kind])
        for _ in range(rng.randint(1, 8)):
            pos = rng.randrange(len(data))
            action = rng.random()
            if action < 0.6:
                data[pos] = rng.randrange(256)
            elif action < 0.8:
                del data[pos:pos + rng.randint(1, 64)]
            else:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        (folder / f"m{i:03}.{kind}").write_bytes(bytes(data))
    code = ("import sys, signal, resource, pathlib\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({LIMIT_MB << 20}, {LIMIT_MB << 20}))\n"
            "from fmtc_nb.store import Root\n"
            "from fmtc_nb.store.importer import import_file\n"
            "from fmtc_nb.errors import StoreError\n"
            "def late(*_): raise TimeoutError('slow')\n"
            "signal.signal(signal.SIGALRM, late)\n"
            "root = Root(sys.argv[1])\n"
            "for path in sorted(pathlib.Path(sys.argv[2]).iterdir()):\n"
            f"    signal.alarm({LIMIT_S})\n"
            "    try:\n"
            "        result = import_file(root, path, name=path.stem)\n"
            "        with root.open(result.name) as s:\n"
            "            assert s.verify() == [], path\n"
            "        print('ok', path.name)\n"
            "    except StoreError as exc:\n"
            "        assert '\\n' not in str(exc), path\n"
            "        print('refused', path.name)\n"
            "    signal.alarm(0)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "mroot"), str(folder)], cwd=REPO,
                          capture_output=True, text=True, timeout=MUTATIONS * LIMIT_S,
                          env=os.environ | {"OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr[-3000:]
    outcomes = done.stdout.split()
    assert outcomes.count("ok") + outcomes.count("refused") == MUTATIONS
    assert outcomes.count("refused") > MUTATIONS // 4  # the mutations do damage
