"""A root: the directory holding a user's stores (``<root>/stores/<name>.mbtiles``) and recovery registry."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from fmtc_nb.errors import DiskFull, StoreError, StoreExists, StoreNotFound
from fmtc_nb.files import move_unless_exists
from fmtc_nb.paths import resolve_root
from fmtc_nb.source import recorded_url
from fmtc_nb.store.connection import BUSY_TIMEOUT_S, database_error
from fmtc_nb.store.formats import format_from_url
from fmtc_nb.store.metadata import SOURCE_KEY, write_metadata
from fmtc_nb.store.names import check_name
from fmtc_nb.store.schema import create_schema
from fmtc_nb.store.scratch import SpaceReserve, remove_stale_scratch, scratch_name
from fmtc_nb.store.store import Store

SUFFIX = ".mbtiles"
_SIDE_FILES = ("-wal", "-shm", "-journal")


def side_files(path: Path) -> list[Path]:
    """The SQLite side files (WAL, shared memory, rollback journal) that may sit next to ``path``."""
    return [Path(f"{path}{suffix}") for suffix in _SIDE_FILES]


def checkpoint_wal(path: Path) -> None:
    """Fold the write-ahead log into the main file so the file alone holds every committed tile."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


def ensure_idle(path: Path, name: str, action: str) -> None:
    """Fold the WAL into ``path`` and refuse (StoreError) if another connection still has the store open:
    SQLite keeps the ``-wal`` file until the last connection closes, and moving it away would lose tiles."""
    checkpoint_wal(path)
    if side_files(path)[0].exists():
        raise StoreError(f"The store {name!r} is open in another program (a download, the tile proxy or a GIS "
                         f"tool); close it before you {action} it.")


def remove_with_side_files(path: Path) -> None:
    """Delete ``path`` and its SQLite side files (missing ones are fine, also where the file system is
    read-only: Linux refuses even the removal of a file that is not there with EROFS)."""
    for p in (path, *side_files(path)):
        if p.exists() or p.is_symlink():
            with contextlib.suppress(FileNotFoundError):
                p.unlink()


def write_empty_store(path: Path, name: str, source_url: str | None = None,
                      meta: Mapping[str, object] | None = None) -> None:
    """Write a complete empty store file at ``path`` (which must not exist), its WAL folded in; ``meta`` are
    extra MBTiles metadata entries. The source URL is recorded without its credentials (``recorded_url``)."""
    meta = dict(meta or {})
    db = sqlite3.connect(path, isolation_level=None)
    try:
        create_schema(db, time.time())
        entries: dict[str, object] = {"name": name, "type": "baselayer", "version": "1.3",
                                      "description": f"fmtc-nb store {name}",
                                      SOURCE_KEY: recorded_url(source_url) if source_url else None}
        fmt = meta.pop("format", None) or format_from_url(source_url)
        entries |= {"format": fmt, **meta}
        write_metadata(db, entries)  # in create_schema's transaction
        db.execute("COMMIT")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


class Root:
    """The stores under one root directory (``path`` None: ``$FMTC_NB_ROOT`` or the user data directory).

    ``busy_timeout_s``: how long a store opened here waits for another program's write lock before a write
    fails with ``StoreBusy`` (default: that of a root given as ``path``, else 30 s).
    """

    def __init__(self, path: str | os.PathLike[str] | Root | None = None, *,
                 busy_timeout_s: float | None = None) -> None:
        self.path: Path = resolve_root(path.path if isinstance(path, Root) else path)
        self.stores_dir = self.path / "stores"
        inherited = path.busy_timeout_s if isinstance(path, Root) else BUSY_TIMEOUT_S
        self.busy_timeout_s: float = inherited if busy_timeout_s is None else busy_timeout_s

    def __repr__(self) -> str:
        return f"Root({str(self.path)!r})"

    def store_path(self, name: str) -> Path:
        """The file of store ``name`` (validated: StoreError for a bad name)."""
        return self.stores_dir / f"{check_name(name)}{SUFFIX}"

    def exists(self, name: str) -> bool:
        """True if store ``name`` exists."""
        return self.store_path(name).is_file()

    def list(self) -> list[str]:
        """Names of the stores, sorted."""
        if not self.stores_dir.is_dir():
            return []
        return sorted(p.name[: -len(SUFFIX)] for p in self.stores_dir.glob(f"*{SUFFIX}") if p.is_file())

    def open(self, name: str, *, readonly: bool = False) -> Store:
        """Open store ``name`` (StoreNotFound if it does not exist)."""
        path = self.store_path(name)
        if not path.is_file():
            raise StoreNotFound(f"There is no store named {name!r} in {self.stores_dir}.")
        return Store(path, readonly=readonly, busy_timeout_s=self.busy_timeout_s)

    def create(self, name: str, source_url: str | None = None, **meta: object) -> Store:
        """Create an empty store for tiles of ``source_url`` (a URL template) with extra MBTiles metadata
        (``attribution``, ``description``, ``format`` ...); StoreExists if the name is taken, StoreError
        (one sentence) if the root cannot be written (read-only medium, full disk, no permission)."""
        name = check_name(name)
        path = self.store_path(name)
        if path.exists():
            raise StoreExists(f"A store named {name!r} exists already.")
        try:
            tmp = self.scratch_path(name)
            try:
                write_empty_store(tmp, name, source_url, meta)
                move_unless_exists(tmp, path)  # atomic: fails if another process created the store meanwhile
            finally:
                remove_with_side_files(tmp)
        except FileExistsError:
            raise StoreExists(f"A store named {name!r} exists already.") from None
        except (OSError, sqlite3.Error) as exc:
            error = database_error(exc, name, path, self.busy_timeout_s)
            if isinstance(error, DiskFull):
                raise error from None
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            if not os.access(self.stores_dir, os.W_OK):
                why = f"it is read-only ({why})"
            raise StoreError(f"The store {name!r} cannot be created in {self.stores_dir}: {why}.") from None
        return Store(path, busy_timeout_s=self.busy_timeout_s)

    def scratch_path(self, name: str) -> Path:
        """A hidden, unique file name in the stores directory for building store ``name`` before it appears;
        scratch files left by dead processes of this host are removed first (see ``fmtc_nb.store.scratch``)."""
        self.stores_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_scratch(self.stores_dir)
        return self.stores_dir / scratch_name(check_name(name))

    def reserve_space(self, name: str) -> SpaceReserve:
        """A small reserve of disk space beside store ``name`` for the duration of a download (released when
        the disk fills up, so the job's paused status can still be recorded)."""
        try:
            return SpaceReserve(self.scratch_path(name))
        except OSError:  # a stores directory that cannot be made: nothing to reserve
            return SpaceReserve(None)

    def open_or_create(self, name: str, url_template: str | None = None, **meta: object) -> Store:
        """Open store ``name``, creating it for ``url_template`` if missing. A store recording another
        source's URL template is refused (StoreError); one recording none adopts ``url_template``. Templates
        are recorded and compared without their credentials (``recorded_url``: another API key is the same source)."""
        try:
            return self.create(name, url_template, **meta)
        except StoreExists:
            pass
        store = self.open(name)
        recorded = store.source_url
        shown = recorded_url(url_template) if url_template is not None else None
        if shown is not None and recorded != shown:
            if recorded:
                store.close()
                raise StoreError(f"The store {name!r} holds tiles of {recorded}; writing tiles of another source "
                                 f"({shown}) is refused.")
            store.set_metadata(**{SOURCE_KEY: shown})
        return store

    def rename(self, name: str, new_name: str) -> Path:
        """Rename store ``name`` to ``new_name`` (StoreExists if taken); returns the new file. StoreError (one
        sentence) where the stores cannot be written (a read-only medium, a full disk, no permission)."""
        src, dst = self.store_path(name), self.store_path(new_name)
        if not src.is_file():
            raise StoreNotFound(f"There is no store named {name!r} in {self.stores_dir}.")
        if dst.exists():
            raise StoreExists(f"A store named {new_name!r} exists already.")
        with self._refusals(name, src):
            ensure_idle(src, name, "rename")
            try:
                move_unless_exists(src, dst)
            except FileExistsError:
                raise StoreExists(f"A store named {new_name!r} exists already.") from None
        with self._refusals(new_name, dst), Store(dst) as store:
            store.set_metadata(name=new_name)
        return dst

    def reset(self, name: str) -> None:
        """Remove every tile, failure and checkpoint of store ``name``, keeping its metadata and source."""
        with self.open(name) as store:
            store.clear()

    def delete(self, name: str) -> None:
        """Delete store ``name`` and its side files; StoreError (one sentence) where the stores cannot be
        written (a read-only medium, no permission), the store left as it was."""
        path = self.store_path(name)
        if not path.is_file():
            raise StoreNotFound(f"There is no store named {name!r} in {self.stores_dir}.")
        with self._refusals(name, path):
            with contextlib.suppress(sqlite3.DatabaseError):  # a damaged file may always be deleted
                ensure_idle(path, name, "delete")
            remove_with_side_files(path)

    @contextlib.contextmanager
    def _refusals(self, name: str, path: Path) -> Iterator[None]:
        """Turn what the file system or SQLite refuses while changing store ``name`` (file ``path``) into its
        one-sentence ``StoreError`` (``database_error``); fmtc-nb's own errors pass as they are."""
        try:
            yield
        except (OSError, sqlite3.Error) as exc:
            raise database_error(exc, name, path, self.busy_timeout_s) from exc
