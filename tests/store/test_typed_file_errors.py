"""The library says what the file system refused in one typed sentence (``StoreError``, ``DiskFull``), as the
command line does, so a notebook caller gets no raw ``OSError`` or ``sqlite3`` error: renaming, deleting,
importing into and exporting from a root on a read-only medium, and importing or exporting onto a full disk.
No temporary file is named or left behind, and the stored tiles stay as they were."""

from __future__ import annotations

import pytest

from fmtc_nb.errors import DiskFull, StoreError
from fmtc_nb.store import Root
from fmtc_nb.store.export import export_store
from fmtc_nb.store.importer import import_file
from tests.faults import fill, remount, small_disk

from .conftest import URL, records
from .test_read_only_cli_net import fingerprint, outside  # noqa: F401  (outside: the fixture)
from .test_read_only_media import stick  # noqa: F401  (the fixture)


def store_files(root) -> list[str]:
    """The files in the root's stores folder, but SQLite's side files (a reader may leave them)."""
    return sorted(p.name for p in (root / "stores").iterdir() if not p.name.endswith(("-wal", "-shm")))


def one_sentence(error: BaseException) -> str:
    text = str(error)
    assert text.count(". ") <= 1 and "\n" not in text and text.endswith("."), text
    assert ".tmp" not in text and ".partial" not in text, text  # never a temporary file's name
    return text


@pytest.mark.parametrize("action", ["rename", "delete", "import-new", "import-replace", "import-merge",
                                    "export-mbtiles", "export-pmtiles", "export-dir"])
def test_the_library_refuses_writes_on_a_read_only_medium_with_a_typed_sentence(stick, outside, action):  # noqa: F811
    root, before = Root(stick), fingerprint(stick)
    calls = {
        "rename": lambda: root.rename("s", "t"),
        "delete": lambda: root.delete("s"),
        "import-new": lambda: import_file(root, outside, name="new"),
        "import-replace": lambda: import_file(root, outside, name="s",
                                              on_conflict="replace"),
        "import-merge": lambda: import_file(root, outside, name="s", on_conflict="merge"),
    }
    for fmt in ("mbtiles", "pmtiles", "dir"):
        def export(fmt: str = fmt) -> None:
            with root.open("s", readonly=True) as store:
                export_store(store, fmt, stick / f"copy.{fmt}")
        calls[f"export-{fmt}"] = export
    with pytest.raises(StoreError) as refused:
        calls[action]()
    assert "read-only" in one_sentence(refused.value) or "Read-only" in str(refused.value)
    assert "'s'" in str(refused.value) or "'new'" in str(refused.value) or str(stick) in str(refused.value)
    remount(stick, "rw")
    assert Root(stick).list() == ["s"] and fingerprint(stick) == before
    assert store_files(stick) == ["s.mbtiles"]
    assert not [p for p in stick.iterdir() if p.name.startswith(".")]  # no partial export beside its target


def test_an_import_onto_a_full_disk_is_disk_full_naming_the_store_and_leaves_the_old_one(tmp_path):
    with small_disk(tmp_path / "disk", "1m") as disk:
        root = Root(disk)
        with root.create("s", URL) as store:
            store.put_tiles(records(2, range(2), range(2)))
        before = fingerprint(disk)
        big = Root(tmp_path / "big")
        with big.create("b", URL) as store:  # distinct, incompressible tiles: more than the disk has left
            store.put_tiles(records(5, range(12), range(12)))
        fill(disk)
        for conflict in ("replace", None):
            with pytest.raises(DiskFull) as full:
                import_file(root, tmp_path / "big" / "stores" / "b.mbtiles", name="s" if conflict else "b",
                            on_conflict=conflict)
            text = one_sentence(full.value)
            assert "is full" in text and (disk / "stores").name in text and ("'s'" in text or "'b'" in text)
        (disk / "filler").unlink()
        assert root.list() == ["s"] and fingerprint(disk) == before
        assert store_files(disk) == ["s.mbtiles"]


def test_an_export_onto_a_full_disk_is_disk_full_naming_the_target_and_leaves_nothing(tmp_path):
    root = Root(tmp_path / "root")
    with root.create("s", URL) as store:
        store.put_tiles(records(5, range(12), range(12)))
    with small_disk(tmp_path / "disk", "1m") as disk:
        fill(disk)
        for fmt in ("mbtiles", "pmtiles", "dir"):
            with root.open("s", readonly=True) as store, pytest.raises(DiskFull) as full:
                export_store(store, fmt, disk / f"copy.{fmt}")
            assert str(disk / f"copy.{fmt}") in one_sentence(full.value)
        assert sorted(p.name for p in disk.iterdir()) == ["filler"]


def test_opening_a_store_for_writing_on_a_read_only_medium_says_read_only_and_reads_still_work(stick):  # noqa: F811
    root = Root(stick)
    with pytest.raises(StoreError) as refused:
        root.open("s").close()
    text = one_sentence(refused.value)
    assert "read-only" in text and "s.mbtiles" in text and "cannot be opened as SQLite" not in text
    with root.open("s", readonly=True) as store:
        assert store.stats().tiles == 9
