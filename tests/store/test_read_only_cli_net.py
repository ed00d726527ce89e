"""Every write the command line can ask of a read-only file system (the root on a write-protected stick, or an
export target there) ends with one sentence and exit 2, never a traceback, and the stored tiles stay as they were:
rename, delete, import, export into it, a download into a store there. (prune, limit and create are in
test_read_only_media.py.)"""

from __future__ import annotations

import hashlib

import pytest

from fmtc_nb.store import Root
from tests.faults import remount

from .conftest import URL, records
from .test_read_only_media import fmtc, stick  # noqa: F401  (the fixture)


def fingerprint(root) -> dict[tuple[int, int, int], str]:
    with Root(root).open("s", readonly=True) as store:
        return {(z, x, y): hashlib.sha256(store.get_tile(z, x, y)).hexdigest()
                for z in (2,) for x, y in store.tile_keys(z)}


@pytest.fixture
def outside(tmp_path):
    """A store file on writable disk, to import."""
    with Root(tmp_path / "elsewhere").create("o", URL) as store:
        store.put_tiles(records(1, range(2), range(2)))
    return tmp_path / "elsewhere" / "stores" / "o.mbtiles"


@pytest.mark.parametrize("args", [
    ("store", "rename", "s", "t"),
    ("store", "delete", "s"),
    ("store", "reset", "s"),
    ("store", "export", "s", "{stick}/copy.mbtiles", "--format", "mbtiles"),
    ("store", "export", "s", "{stick}/copy.pmtiles", "--format", "pmtiles"),
    ("store", "export", "s", "{stick}/copy.gpkg", "--format", "gpkg"),
    ("store", "export", "s", "{stick}/copy.sqlitedb", "--format", "sqlitedb"),
    ("store", "export", "s", "{stick}/copy", "--format", "dir"),
    ("store", "import", "{outside}"),
    ("download", "rect:-180,-85,180,85", "--zoom", "0-2", "--url", "http://127.0.0.1:9/{z}/{x}/{y}.png",
     "--store", "s"),
], ids=lambda a: "-".join(a[:2]) + (f"-{a[-1]}" if "--format" in a else ""))
def test_a_write_to_a_read_only_file_system_is_one_sentence_and_keeps_the_tiles(stick, outside, args):  # noqa: F811
    before = fingerprint(stick)
    argv = [a.replace("{stick}", str(stick)).replace("{outside}", str(outside)) for a in args]
    done = fmtc("--root", str(stick), *argv)
    assert done.returncode == 2, (argv, done.stdout, done.stderr)
    assert done.stderr.startswith("fmtc-nb: error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    # the store's own typed sentence, not the command line's last-resort net for raw file system errors
    assert "could not be opened or written" not in done.stderr and "file system refused" not in done.stderr
    assert ".tmp" not in done.stderr and ".partial" not in done.stderr, done.stderr  # no temporary file named
    # a fine SQLite file on a read-only medium: said so, not "cannot be opened as SQLite"
    assert "read-only" in done.stderr.lower() and "cannot be opened as SQLite" not in done.stderr, done.stderr
    remount(stick, "rw")
    assert fingerprint(stick) == before and len(before) == 9
    with Root(stick).open("s", readonly=True) as store:
        assert store.verify() == []
