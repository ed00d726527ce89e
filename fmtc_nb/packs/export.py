"""Export a stored pack as a folder that works offline as it is (served by any static HTTP server on the
machine, e.g. ``fmtc-nb pack serve --folder DIR`` or ``python -m http.server``)::

    index.html                 MapLibre GL JS page
    style.json                 the style, every URL relative: sources as pmtiles://sources/<store>.pmtiles
    sources/<store>.pmtiles    one PMTiles v3 archive per tile source (named as its store)
    sprites/<id>[@2x].json|png the sprites
    glyphs/<font stack>/<start>-<end>.pbf
    lib/                       maplibre-gl.js/.css, pmtiles.js and their licences

The folder is built beside ``out`` and moved into place when complete.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from fmtc_nb.errors import PackError
from fmtc_nb.files import built_beside
from fmtc_nb.packs.page import STATIC_FILES, index_html, rewrite_style, static_file, view_of
from fmtc_nb.packs.plan import PackPlan
from fmtc_nb.packs.storage import STYLE, PackFolder
from fmtc_nb.store import Root
from fmtc_nb.store.export import export_store

#: What an exported pack folder holds; an existing folder holding anything else is never replaced.
EXPORT_ENTRIES = frozenset({"index.html", "style.json", "sources", "sprites", "glyphs", "lib"})


def _previous_export_problem(out: Path) -> str | None:
    """Why ``out`` (which exists) may not be replaced by a pack export, or None if it is a previous one."""
    if not out.is_dir() or out.is_symlink():
        return f"{out} is not a folder, so it is not a previous pack export"
    extra = sorted(e.name for e in out.iterdir() if e.name not in EXPORT_ENTRIES)
    if extra or not (out / "index.html").is_file():
        return f"{out} holds {', '.join(map(repr, extra)) or 'no index.html'}, so it is not a previous pack export"
    return None


def _check_target(out: Path, overwrite: bool) -> None:
    """Refuse ``out`` if it exists, unless ``overwrite`` and it is a previous pack export."""
    if out.exists() or out.is_symlink():
        problem = None if overwrite else f"{out} exists already; remove it, choose another path or overwrite"
        problem = problem or _previous_export_problem(out)
        if problem:
            raise PackError(f"The export target {problem}.")


def export_pack(name: str, out: str | os.PathLike[str], root: Any = None, *, overwrite: bool = False) -> dict[str, Any]:
    """Write pack ``name`` of ``root`` as an offline folder at ``out``; returns what was written (tiles per
    source, resource files, missing resources). A source whose store holds no tile is one sentence."""
    root = root if isinstance(root, Root) else Root(root)
    folder = PackFolder(root, name)
    manifest = folder.manifest()
    plan = PackPlan.from_dict(manifest["plan"])
    style = json.loads(folder.read(STYLE))
    _check_target(Path(out), overwrite)
    with built_beside(Path(out), PackError, folder=True) as tmp:
        tiles = {}
        for source in plan.sources:
            with root.open(source.store, readonly=True) as store:
                if not store.stats().tiles:
                    raise PackError(f"The source {source.id!r} of pack {name!r} holds no tiles yet; download the "
                                    "pack before exporting it.")
                tiles[source.id] = export_store(store, "pmtiles", tmp / "sources" / f"{source.store}.pmtiles")
        missing = []
        for resource in plan.resources:
            if folder.has(resource.path):
                target = tmp / resource.path
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(folder.file(resource.path), target)
            else:
                missing.append(resource.path)
        (tmp / "lib").mkdir()
        for file in STATIC_FILES:
            (tmp / "lib" / file).write_bytes(static_file(file))
        center, zoom = view_of(manifest.get("region"), manifest.get("zooms") or [0])
        urls = {s.id: {"url": f"pmtiles://sources/{s.store}.pmtiles"} for s in plan.sources}
        doc = rewrite_style(style, plan.sources, urls, center, zoom)
        (tmp / "style.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
        (tmp / "index.html").write_text(index_html(manifest.get("name") or name), encoding="utf-8")
    return {"out": str(out), "tiles": tiles, "resources": len(plan.resources) - len(missing), "missing": missing}
