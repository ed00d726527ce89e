"""Where a pack lives in a root: its tiles in one store per tile source (``<root>/stores/<pack>.<source>.mbtiles``,
each a valid MBTiles), everything else in one folder ``<root>/packs/<pack>/``:

- ``manifest.json``: the pack's plan (sources with their templates, clipped zooms, TileJSON; resources), frozen by
  the first run so a resumed job fetches exactly what the first one planned;
- ``style.json``: the style as it was read;
- ``sprites/<id>.json|.png``, ``sprites/<id>@2x.json|.png`` and ``glyphs/<font stack>/<start>-<end>.pbf``.

Every file is written beside its place and moved there when whole, so a file that exists is complete: resuming
fetches exactly the resources that are missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from fmtc_nb.errors import PackError, StoreError
from fmtc_nb.store import Root, check_name

MANIFEST = "manifest.json"
STYLE = "style.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def store_name(pack: str, source_id: str, taken: set[str] | None = None) -> str:
    """The store of source ``source_id`` of pack ``pack``: ``<pack>.<id>`` with characters other than letters,
    digits, ``_`` and ``-`` made ``_`` (``.2``, ``.3``... appended if two ids meet)."""
    base = f"{pack}.{_UNSAFE.sub('_', source_id) or 'source'}"
    name, n = base, 1
    while taken is not None and name in taken:
        n += 1
        name = f"{base}.{n}"
    return name


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, so ``path`` is whole or absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class PackFolder:
    """The folder of pack ``name`` in ``root`` (a :class:`Root`, a path, or None for the default root)."""

    def __init__(self, root: Any, name: str) -> None:
        try:
            check_name(name, "pack")
        except StoreError as exc:
            raise PackError(str(exc)) from None
        self.root = root if isinstance(root, Root) else Root(root)
        self.name = name
        self.path = self.root.path / "packs" / name

    def __repr__(self) -> str:
        return f"PackFolder({str(self.path)!r})"

    @property
    def exists(self) -> bool:
        """True once a run has written the manifest."""
        return (self.path / MANIFEST).is_file()

    def file(self, relative: str) -> Path:
        """The path of a file of the pack (``sprites/default.json``); refuses paths leaving the folder."""
        target = (self.path / relative).resolve()
        if self.path.resolve() not in target.parents:
            raise PackError(f"The pack file name {relative!r} would leave the pack folder.")
        return target

    def has(self, relative: str) -> bool:
        """True if the pack holds that file (then it is whole)."""
        return self.file(relative).is_file()

    def write(self, relative: str, data: bytes) -> None:
        """Store a file of the pack (atomically)."""
        write_atomically(self.file(relative), data)

    def read(self, relative: str) -> bytes:
        """A file of the pack; PackError if missing."""
        try:
            return self.file(relative).read_bytes()
        except FileNotFoundError:
            raise PackError(f"The pack {self.name!r} has no file {relative}; download it first.") from None

    def manifest(self) -> dict[str, Any]:
        """The stored manifest (PackError if the pack was never downloaded)."""
        if not self.exists:
            raise PackError(f"There is no pack named {self.name!r} in {self.path.parent}.")
        data: dict[str, Any] = json.loads(self.read(MANIFEST))
        return data

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Store the manifest."""
        self.write(MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False).encode())

    def delete(self) -> None:
        """Delete the pack's folder and its stores (a store open elsewhere is refused first)."""
        for store in source_stores(self.manifest()):
            if self.root.exists(store):
                self.root.delete(store)
        shutil.rmtree(self.path)


def source_stores(manifest: dict[str, Any]) -> list[str]:
    """The store names of a pack's tile sources, read from its manifest."""
    return [source["store"] for source in manifest["plan"]["sources"]]


def list_packs(root: Any = None) -> list[str]:
    """Names of the packs of ``root``, sorted."""
    folder = (root if isinstance(root, Root) else Root(root)).path / "packs"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / MANIFEST).is_file())
