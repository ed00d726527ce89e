"""The device's stores as the API shows them: statistics, and a consistent MBTiles copy to stream out."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from android_bridge.errors import ApiError
from android_bridge.jobspec import check_store_name
from fmtc_nb.errors import FmtcError, StoreNotFound


def _existing_path(root: Any, name: str) -> Path:
    """The file of store ``name`` inside ``root`` (400 for bad names, 404 for missing stores)."""
    check_store_name(name)
    path = Path(root.store_path(name)).resolve()
    base = Path(root.path).resolve()
    if base not in path.parents:
        raise ApiError(400, f"The store name {name!r} points outside the root.")
    if not path.is_file():
        raise ApiError(404, f"No store named {name!r} on this device.")
    return path


def store_list(root: Any) -> list[str]:
    """Names of the stores on the device."""
    return sorted(str(getattr(s, "name", s)) for s in root.list())


def store_stats(root: Any, name: str) -> dict[str, Any]:
    """Statistics of store ``name`` as a JSON-ready dict."""
    _existing_path(root, name)
    try:
        store = root.open(name)
    except StoreNotFound as exc:
        raise ApiError(404, str(exc)) from None
    except FmtcError as exc:
        raise ApiError(400, str(exc)) from None
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
