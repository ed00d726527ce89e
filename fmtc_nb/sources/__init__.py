"""Where tiles come from: every kind of source an analyst has becomes the same :class:`fmtc_nb.source.TileSource`.

- ``templates``: XYZ / TMS ``{-y}`` / ``{q}`` quadkey / ``{bbox-epsg-3857}`` placeholders and their arithmetic;
- ``wms``, ``wmts``, ``tilejson``: read a service's description and build the tile URL template;
- ``catalogue``: well-known providers (``fmtc_nb/data/providers.json``): template, attribution, max zoom, terms,
  whether bulk/offline download is allowed, where an API key goes;
- ``resolve``: ``resolve_source(spec, api_key=None) -> TileSource``, the one entry point (CLI ``--source``).

The engine, estimator, caching proxy and bridge only ever see the resulting ``TileSource``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["clip_zooms", "describe_source", "resolve_source"]


def __getattr__(name: str) -> Any:
    # lazily, so that fmtc_nb.source can import fmtc_nb.sources.templates without importing the resolvers
    if name in __all__:
        from fmtc_nb.sources import resolve

        return getattr(resolve, name)
    raise AttributeError(name)
