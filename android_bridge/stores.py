"""The device's stores as the API shows them: statistics, and a consistent MBTiles copy to stream out; its style
packs: their names, and a pack's folder as one tar file (its stores are pulled as stores).

Bad names raise ``StoreError`` and missing stores ``StoreNotFound``; the HTTP layer answers them."""

from __future__ import annotations

import os
import sqlite3
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from fmtc_nb.errors import StoreError, StoreNotFound
from fmtc_nb.store.names import check_name


def _existing_path(root: Any, name: str) -> Path:
    """The file of store ``name`` inside ``root`` (StoreError for bad names, StoreNotFound for missing stores)."""
    check_name(name)
    path = Path(root.store_path(name)).resolve()
    base = Path(root.path).resolve()
    if base not in path.parents:
        raise StoreError(f"The store name {name!r} points outside the root.")
    if not path.is_file():
        raise StoreNotFound(f"No store named {name!r} on this device.")
    return path


def store_list(root: Any) -> list[str]:
    """Names of the stores on the device."""
    return sorted(str(getattr(s, "name", s)) for s in root.list())


def store_stats(root: Any, name: str) -> dict[str, Any]:
    """Statistics of store ``name`` as a JSON-ready dict."""
    _existing_path(root, name)
    store = root.open(name)
    try:
        return store.stats().to_dict()
    finally:
        close = getattr(store, "close", None)
        if close is not None:
            close()


def snapshot_copy(root: Any, name: str, workdir: Path) -> Path:
    """A consistent copy of store ``name`` (SQLite online backup, so a running download may keep writing),
    as a single-file MBTiles in ``workdir``; the caller deletes it."""
    source_path = _existing_path(root, name)
    workdir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="export-", suffix=".mbtiles", dir=workdir)
    os.close(fd)
    try:
        source = sqlite3.connect(f"{source_path.as_uri()}?mode=ro", uri=True, timeout=30)  # "#", "%" quoted
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
            source.close()
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)


def pack_list(root: Any) -> list[str]:
    """Names of the style packs on the device."""
    from fmtc_nb.packs.storage import list_packs

    return list_packs(root)


def pack_archive(root: Any, name: str, workdir: Path) -> Path:
    """The folder of pack ``name`` (manifest, style, sprites, glyphs) as an uncompressed tar in ``workdir``, its
    files named relative to the folder; files still being written are left out. The caller deletes it."""
    from fmtc_nb.errors import PackError
    from fmtc_nb.packs.storage import PackFolder

    try:
        folder = PackFolder(root, name)
    except PackError as exc:
        raise StoreError(str(exc)) from None
    if not folder.exists:
        raise StoreNotFound(f"No pack named {name!r} on this device.")
    workdir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="pack-", suffix=".tar", dir=workdir)
    try:
        with os.fdopen(fd, "wb") as out, tarfile.open(fileobj=out, mode="w") as tar:
            for path in sorted(folder.path.rglob("*")):
                if path.is_file() and not path.name.endswith(".partial"):
                    tar.add(path, arcname=path.relative_to(folder.path).as_posix(), recursive=False)
    except BaseException:
        os.unlink(tmp)
        raise
    return Path(tmp)
