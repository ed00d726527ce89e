"""Pulling a style pack back from a device into the local root: its folder of manifest, style, sprites and glyphs
(checked), its stores as checked MBTiles, the folder put in place last."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from fmtc_nb.errors import DeviceError, StoreExists

if TYPE_CHECKING:
    from fmtc_nb.device.client import DeviceClient


def pull_pack(client: DeviceClient, name: str, root: Any = None, *, replace: bool = False) -> Path:
    """Copy the style pack ``name`` from the device behind ``client`` into ``root`` (default: the local root) and
    return the pack's folder. Its folder arrives first and is checked (only plain files, none leaving the folder,
    a manifest naming the pack's stores); then each store is pulled and checked as :meth:`DeviceClient.pull` does;
    the folder takes its place last, so an interrupted pull never leaves a pack that looks whole. An existing
    local pack (or store of it) is kept unless ``replace``."""
    from fmtc_nb.packs.storage import PackFolder
    from fmtc_nb.store import Root

    local = Root(root)
    folder = PackFolder(local, name)
    if folder.exists and not replace:
        raise StoreExists(f"A local pack named {name!r} exists already; pass replace=True (--replace) to replace "
                          "it.")
    folder.path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pull-", dir=folder.path.parent) as work:
        archive = client.fetch_file(f"/packs/{quote(name, safe='')}.tar", "application/x-tar", Path(work), ".tar")
        staged = Path(work) / name
        for store in _unpack(archive, staged):
            client.pull(store, local, replace=replace)
        if folder.path.exists():
            shutil.rmtree(folder.path)
        os.replace(staged, folder.path)
    return folder.path


def _unpack(archive: Path, target: Path) -> list[str]:
    """Extract the pack folder's tar into ``target`` (plain files only, none outside it); the stores its
    manifest names."""
    from fmtc_nb.packs.storage import MANIFEST, source_stores

    target.mkdir()
    base = target.resolve()
    try:
        with tarfile.open(archive, mode="r:") as tar:
            for member in tar:
                path = (base / member.name).resolve()
                if not member.isfile() or base not in path.parents:
                    raise DeviceError(f"The device sent a pack with an entry {member.name!r} that is not a file "
                                      "of the pack; nothing was kept.")
                path.parent.mkdir(parents=True, exist_ok=True)
                with tar.extractfile(member) as data, open(path, "wb") as out:  # type: ignore[union-attr]
                    shutil.copyfileobj(data, out)
        return source_stores(json.loads((target / MANIFEST).read_bytes()))
    except (tarfile.TarError, OSError, ValueError, KeyError, TypeError) as exc:
        raise DeviceError(f"The device sent a broken pack ({type(exc).__name__}: {exc}); nothing was kept.") from None
