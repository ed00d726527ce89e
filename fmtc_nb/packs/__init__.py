"""Offline style packs: a MapLibre / Mapbox GL style downloaded for a region with everything it needs.

- ``style``, ``documents``: read a style and resolve each source's TileJSON;
- ``glyphs``, ``plan``: what a pack holds (tile sources with zooms clipped to their range, sprites, glyph ranges);
- ``job``, ``runner``, ``resources``, ``progress``: one job, one progress stream, one recovery record;
- ``storage``, ``mbtiles``: one MBTiles store per tile source plus one pack folder;
- ``export``: a folder that works offline (PMTiles, sprites, glyphs, ``index.html`` with MapLibre GL JS);
- ``viewer``: serve a stored pack or an exported folder on loopback (notebook widget, ``fmtc-nb pack serve``).

See docs/packs.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fmtc_nb.packs.estimate import estimate_pack
    from fmtc_nb.packs.export import export_pack
    from fmtc_nb.packs.job import PackJob
    from fmtc_nb.packs.plan import plan_pack
    from fmtc_nb.packs.runner import PackDownload, download_pack
    from fmtc_nb.packs.storage import PackFolder, list_packs
    from fmtc_nb.packs.style import load_style
    from fmtc_nb.packs.viewer import serve_folder, serve_pack

_HOMES = {"PackJob": "job", "PackDownload": "runner", "download_pack": "runner", "plan_pack": "plan",
          "load_style": "style", "export_pack": "export", "serve_pack": "viewer", "serve_folder": "viewer",
          "PackFolder": "storage", "list_packs": "storage", "estimate_pack": "estimate"}
__all__ = ["PackDownload", "PackFolder", "PackJob", "download_pack", "estimate_pack", "export_pack", "list_packs",
           "load_style", "plan_pack", "serve_folder", "serve_pack"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"fmtc_nb.packs.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'fmtc_nb.packs' has no attribute {name!r}")
