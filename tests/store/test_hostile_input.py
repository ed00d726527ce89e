"""Issue 21 items 12 and 14 (store side): names with lone surrogates or look-alike characters, file names
that are not UTF-8, 5,000-digit tile numbers, a read-only file system: one sentence each, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from fmtc_nb.errors import StoreError
from fmtc_nb.store import Root, check_name
from fmtc_nb.store.proxy import serve_store
from fmtc_nb.tileserver import running_server
from tests.faults import remount, small_disk

from . import hostile
from .conftest import URL, records

REPO = Path(__file__).resolve().parents[2]


def fmtc(*argv: str | bytes, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "fmtc_nb", *argv], cwd=REPO, capture_output=True, timeout=timeout,
                          env=os.environ | {"PYTHONIOENCODING": "utf-8"})


def one_sentence(done: subprocess.CompletedProcess[bytes]) -> str:
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2 and err.startswith("fmtc-nb: error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(("name", "words"), [
    ("map\udcff", "not valid UTF-8"), ("\ud800x", "not valid UTF-8"),
    ("osm\u200b", "invisible or look-alike"), ("os\u200dm", "invisible or look-alike"),
    ("osm\u2028x", "invisible or look-alike"), ("osm\u2029", "invisible or look-alike"),
    ("os\u00a0m", "invisible or look-alike"), ("osm\u202ecod.exe", "invisible or look-alike"),
    ("osm\ufeff", "invisible or look-alike"), ("\U000e0041osm", "invisible or look-alike"),
    ("osm\ue000", "invisible or look-alike"),
])
def test_surrogates_and_look_alike_names_are_refused(name, words):
    with pytest.raises(StoreError, match=words) as info:
        check_name(name)
    assert "\n" not in str(info.value) and str(info.value).encode("utf-8")


def test_composed_and_decomposed_names_are_one_store(tmp_path):
    root = Root(tmp_path)
    assert check_name("e\u0301te") == "\u00e9te"
    root.create("\u00e9te", URL).close()
    assert root.exists("e\u0301te") and root.list() == ["\u00e9te"]


def test_cli_store_names_that_are_not_utf8_are_one_sentence(tmp_path):
    err = one_sentence(fmtc(b"--root", str(tmp_path).encode(), b"store", b"create", b"caf\xe9"))
    assert "not valid UTF-8" in err
    assert not (tmp_path / "stores").exists() or not list((tmp_path / "stores").iterdir())


def test_cli_import_and_export_with_file_names_that_are_not_utf8(tmp_path):
    folder = os.fsencode(tmp_path)
    source = folder + b"/carte-\xe9t\xe9.mbtiles"
    hostile.mbtiles_good(Path(os.fsdecode(source)))
    err = one_sentence(fmtc(b"--root", folder, b"store", b"import", source))
    assert "--as" in err
    done = fmtc(b"--root", folder, b"store", b"import", source, b"--as", b"carte")
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert b"carte" in done.stdout
    target = folder + b"/export-\xff.mbtiles"
    done = fmtc(b"--root", folder, b"store", b"export", b"carte", target)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert os.path.exists(target)
    root = folder + b"/root-\xfe"
    done = fmtc(b"--root", root, b"store", b"create", b"x", b"--source", URL.encode())
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    done = fmtc(b"--root", root, b"store", b"stats", b"x")
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize("path", ["/" + "9" * 5000 + "/0/0", "/1/" + "7" * 5000 + "/0", "/1/0/" + "8" * 5000,
                                  "/31/0/0", "/3/8/0"])
def test_tile_numbers_with_thousands_of_digits_are_404_not_500(root, store, path):
    store.put_tiles(records(1, range(2), range(2)))
    with serve_store("s", root, mode="cache-only", port=0) as proxy:
        base = proxy.url_template.split("/{z}")[0]
        assert get_status(base + path + ".png") == 404
        assert get_status(base + "/1/0/0.png") == 200
    with running_server() as server:
        base = server.url_template.split("/{z}")[0]
        assert get_status(base + path + ".png") == 404
        assert get_status(base + "/1/0/0.png") == 200


def test_store_create_on_a_read_only_file_system_is_one_sentence(tmp_path):
    with small_disk(tmp_path / "ro", "1m") as disk:
        (disk / "stores").mkdir()
        remount(disk, "ro")
        err = one_sentence(fmtc("--root", str(disk), "store", "create", "x", "--source", URL))
        assert "Read-only file system" in err or "read-only" in err
        with pytest.raises(StoreError, match="cannot be created"):
            Root(disk).create("y", URL)


def test_a_store_created_without_a_source_verifies_and_round_trips(tmp_path):
    root = str(tmp_path / "root")
    assert fmtc("--root", root, "store", "create", "bare").returncode == 0
    verified = fmtc("--root", root, "store", "verify", "bare")
    assert verified.returncode == 0, verified.stdout
    for fmt, out in (("mbtiles", "bare.mbtiles"), ("dir", "bare-dir")):
        assert fmtc("--root", root, "store", "export", "bare", str(tmp_path / out), "--format", fmt).returncode == 0
    imported = fmtc("--root", root, "store", "import", str(tmp_path / "bare.mbtiles"), "--as", "again")
    assert imported.returncode == 0, imported.stderr
    assert fmtc("--root", root, "store", "verify", "again").returncode == 0
    with Root(root).open("again") as store:  # its first tiles give it a format, as for any store
        store.put_tiles(records(2, range(2), range(2)))
        assert store.metadata()["format"] == "png" and store.verify() == []
