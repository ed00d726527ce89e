"""Files moved into place without overwriting, with hard links and where they are refused: Android forbids
apps to make hard links (SELinux: link() fails with EACCES) and FAT/exFAT drives have none (EPERM); neither
exists here, so ``os.link`` is made to fail the way they do. Everything else is real: files, SQLite stores,
a download from the demo tile server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from pathlib import Path

import pytest

from fmtc_nb.engine import download
from fmtc_nb.errors import StoreError, StoreExists
from fmtc_nb.files import built_beside, move_unless_exists
from fmtc_nb.regions import parse_region
from fmtc_nb.store import Root
from fmtc_nb.store.importer import import_file
from fmtc_nb.tileserver import running_server

from .conftest import URL, records


@pytest.fixture(params=["hard links", "no hard links (Android)", "no hard links (FAT)"])
def links(request, monkeypatch) -> list[tuple[str, str]]:
    """How this file system treats ``os.link``; yields the links attempted."""
    attempts: list[tuple[str, str]] = []
    real_link = os.link
    refusal = {"no hard links (Android)": errno.EACCES, "no hard links (FAT)": errno.EPERM}.get(request.param)

    def link(src, dst, *args, **kwargs):
        attempts.append((str(src), str(dst)))
        if refusal is None:
            return real_link(src, dst, *args, **kwargs)
        raise OSError(refusal, os.strerror(refusal), str(src), None, str(dst))

    monkeypatch.setattr(os, "link", link)
    return attempts


def test_a_file_moves_unless_the_target_exists(tmp_path, links):
    src, dst = tmp_path / "a.tmp", tmp_path / "a"
    src.write_bytes(b"new")
    move_unless_exists(src, dst)
    assert dst.read_bytes() == b"new" and not src.exists() and links
    src.write_bytes(b"newer")
    with pytest.raises(FileExistsError):
        move_unless_exists(src, dst)
    assert dst.read_bytes() == b"new" and src.read_bytes() == b"newer"  # nothing overwritten, nothing lost
    with pytest.raises(FileNotFoundError):
        move_unless_exists(tmp_path / "missing", tmp_path / "b")
    assert not (tmp_path / "b").exists()  # no claim left behind


def test_of_racing_movers_exactly_one_wins(tmp_path, links):
    sources = []
    for i in range(8):
        sources.append(tmp_path / f"{i}.tmp")
        sources[-1].write_text(str(i))
    won: list[int] = []
    barrier = threading.Barrier(len(sources))

    def mover(i: int) -> None:
        barrier.wait()
        try:
            move_unless_exists(sources[i], tmp_path / "target")
            won.append(i)
        except FileExistsError:
            pass

    threads = [threading.Thread(target=mover, args=(i,)) for i in range(len(sources))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and (tmp_path / "target").read_text() == str(won[0])
    assert sorted(p.name for p in tmp_path.glob("*.tmp")) == sorted(f"{i}.tmp" for i in range(8) if i != won[0])


def test_stores_are_created_renamed_and_imported_without_hard_links(tmp_path, links):
    root = Root(tmp_path / "root")
    with root.create("s", URL) as store:
        store.put_tiles(records(2, range(4), range(4)))
    with pytest.raises(StoreExists):
        root.create("s", URL)
    moved = root.rename("s", "t")
    assert moved == root.store_path("t") and not root.exists("s")
    with root.open("t") as store:
        assert store.stats().tiles == 16 and store.verify() == [] and store.metadata()["name"] == "t"
    exported = tmp_path / "t.mbtiles"
    os.replace(root.store_path("t"), exported)
    assert import_file(root, exported).action == "created"
    assert import_file(root, exported, on_conflict="rename").name == "t-2"
    assert import_file(root, exported, on_conflict="replace").action == "replaced"
    assert sorted(root.list()) == ["t", "t-2"]
    assert not [p for p in root.stores_dir.iterdir() if p.name.startswith(".")]  # no scratch or claim left


def test_a_download_into_a_new_store_works_without_hard_links(tmp_path, links):
    with running_server() as server:
        snapshot = download(parse_region("rect:5,45,10,50"), "0-5", server.url_template, "alps", tmp_path)
    assert snapshot.status == "completed" and snapshot.failed == 0
    with Root(tmp_path).open("alps") as store:
        assert store.stats().tiles == snapshot.successful and store.verify() == []
    assert links  # os.link was tried first


def test_a_store_appears_whole_or_not_at_all(tmp_path, links):
    """The claim the fallback makes is empty, never a part of the store."""
    root = Root(tmp_path / "root")
    path = root.store_path("s")
    seen: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            with contextlib.suppress(FileNotFoundError):
                seen.append(Path(path).stat().st_size)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        root.create("s", URL).close()
    finally:
        stop.set()
        watcher.join()
    final = path.stat().st_size
    assert final > 0 and set(seen) <= {0, final}


def test_built_beside_replaces_a_file_or_a_whole_folder_and_leaves_nothing_beside(tmp_path):
    out = tmp_path / "out.bin"
    out.write_bytes(b"old")
    with built_beside(out, StoreError) as tmp:
        assert not tmp.exists() and tmp.parent == tmp_path
        tmp.write_bytes(b"new")
    assert out.read_bytes() == b"new" and sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]
    folder = tmp_path / "folder"
    (folder / "old").mkdir(parents=True)
    with built_beside(folder, StoreError, folder=True) as tmp:
        assert tmp.is_dir() and list(tmp.iterdir()) == []
        (tmp / "new").write_text("new")
    assert [p.name for p in folder.iterdir()] == ["new"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "out.bin"]


def test_built_beside_keeps_the_target_when_the_writer_fails(tmp_path):
    out = tmp_path / "out"
    (out / "kept").mkdir(parents=True)
    with pytest.raises(RuntimeError), built_beside(out, StoreError, folder=True) as tmp:
        (tmp / "half").write_text("half")
        raise RuntimeError("the writer failed")
    assert [p.name for p in out.iterdir()] == ["kept"] and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_folder_that_cannot_be_replaced_is_put_back_and_said_in_one_sentence(tmp_path, monkeypatch):
    """Windows lets a folder be moved aside but may refuse the new one its place; the old one goes back."""
    out = tmp_path / "out"
    (out / "kept").mkdir(parents=True)
    real_replace = os.replace

    def refused(src, dst):
        if os.fspath(src).endswith(".partial"):
            raise PermissionError(13, "Access is denied", str(src), None, str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refused)
    with pytest.raises(StoreError, match=r"^The target .*out cannot be replaced \(Access is denied\); close"), \
            built_beside(out, StoreError, folder=True) as tmp:
        (tmp / "new").write_text("new")
    assert [p.name for p in out.iterdir()] == ["kept"] and [p.name for p in tmp_path.iterdir()] == ["out"]
