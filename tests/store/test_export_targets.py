"""Issue 21 item 2: ``store export --overwrite`` replaces only a previous export, never a user's directory
or file."""

from __future__ import annotations

import pytest

from fmtc_nb.cli import main
from fmtc_nb.errors import StoreError
from fmtc_nb.store.export import export_store

from .conftest import records


@pytest.fixture
def filled(store):
    store.put_tiles(records(0, range(1), range(1)) + records(1, range(2), range(2)))
    return store


def users_folder(path):
    path.mkdir()
    (path / "thesis.tex").write_text("\\chapter{Four years of work}")
    (path / "figures").mkdir()
    (path / "figures" / "map.png").write_bytes(b"\x89PNG")
    return path


def untouched(path):
    return (path / "thesis.tex").read_text() == "\\chapter{Four years of work}" and \
        (path / "figures" / "map.png").read_bytes() == b"\x89PNG"


@pytest.mark.parametrize("fmt", ["mbtiles", "pmtiles"])
def test_a_directory_is_never_replaced_by_a_single_file_export(filled, tmp_path, fmt):
    folder = users_folder(tmp_path / f"thesis.{fmt}")
    with pytest.raises(StoreError, match="is a directory"):
        export_store(filled, fmt, folder, overwrite=True)
    assert untouched(folder)


def test_a_users_directory_is_not_replaced_by_a_dir_export(filled, tmp_path):
    folder = users_folder(tmp_path / "thesis")
    with pytest.raises(StoreError, match="not a previous tile export"):
        export_store(filled, "dir", folder, overwrite=True)
    assert untouched(folder)


def test_a_file_that_is_not_an_archive_of_that_format_is_not_replaced(filled, tmp_path):
    notes = tmp_path / "notes.mbtiles"
    notes.write_text("my notes")
    with pytest.raises(StoreError, match="not an MBTiles file"):
        export_store(filled, "mbtiles", notes, overwrite=True)
    assert notes.read_text() == "my notes"
    pm = tmp_path / "notes.pmtiles"
    pm.write_text("my notes")
    with pytest.raises(StoreError, match="not a PMTiles archive"):
        export_store(filled, "pmtiles", pm, overwrite=True)
    assert pm.read_text() == "my notes"


@pytest.mark.parametrize(("fmt", "name"), [("mbtiles", "out.mbtiles"), ("pmtiles", "out.pmtiles"), ("dir", "out")])
def test_a_previous_export_is_replaced(filled, tmp_path, fmt, name):
    out = tmp_path / name
    assert export_store(filled, fmt, out) == 5
    filled.put_tiles(records(2, range(1), range(1)))
    assert export_store(filled, fmt, out, overwrite=True) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no partial file left


def test_cli_overwrite_onto_a_folder_is_one_sentence(capsys, root, filled, tmp_path):
    folder = users_folder(tmp_path / "Documents")
    code = main(["--root", str(root.path), "store", "export", "s", str(folder), "--format", "mbtiles", "--overwrite"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("fmtc-nb: error: ") and "is a directory" in err and untouched(folder)
    code = main(["--root", str(root.path), "store", "export", "s", str(folder), "--overwrite"])
    err = capsys.readouterr().err
    assert code == 2 and "not a previous tile export" in err and untouched(folder)
