"""A browse-only map of a stored region: no drawing tools, the region as a thin outline (no fill over the map),
and past the deepest stored zoom the map enlarges that zoom's tiles and says so (instead of grey 404s).

>>> proxy = session.store_proxy("lausanne", mode="cache-only")                  # doctest: +SKIP
>>> StoreMap(proxy.url_template, zooms=store.stats().zooms, region=region)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ipyleaflet
import ipywidgets as w

from fmtc_nb.errors import StoreError
from fmtc_nb.regions import Region
from fmtc_nb.widgets.region_picker import DEFAULT_ATTRIBUTION, MAX_MAP_ZOOM, fit_view

#: The stored region's outline: a thin line, no fill, never clickable.
OUTLINE_STYLE = {"color": "#1c7ed6", "weight": 2, "fill": False, "interactive": False}


def zoom_note(zoom: float, low: int, high: int) -> str:
    """One sentence on what the map shows at ``zoom`` for a store holding zooms ``low``-``high``."""
    z = int(round(zoom))
    if z > high:
        return (f"Zoom {z}: the store holds zooms {low}–{high}, so the map shows zoom-{high} tiles enlarged "
                f"({1 << (z - high)}×).")
    if z < low:
        return f"Zoom {z}: the store holds zooms {low}–{high}; nothing is stored this far out."
    return f"Zoom {z}: tiles from the store (it holds zooms {low}–{high})."


class StoreMap:
    """A map that only shows a store: ``url_template`` (a store proxy's), ``zooms`` the stored zoom levels (a
    list, or the store's ``stats().zooms`` dict), ``region`` (optional) outlined and fitted."""

    def __init__(self, url_template: str, zooms: Iterable[int], *, region: Region | None = None,
                 center: tuple[float, float] = (46.4, 6.6), zoom: int = 8,
                 attribution: str = DEFAULT_ATTRIBUTION, height: str = "420px") -> None:
        levels = sorted(int(z) for z in zooms)
        if not levels:
            raise StoreError("The store holds no tiles yet: there is nothing to browse.")
        self.min_zoom, self.max_zoom = levels[0], levels[-1]
        if region is not None:
            center, zoom = fit_view(region.bounds)
        self.layer = ipyleaflet.TileLayer(url=url_template, attribution=attribution, name="store",
                                          min_zoom=0, max_zoom=MAX_MAP_ZOOM, max_native_zoom=self.max_zoom)
        self.map = ipyleaflet.Map(center=center, zoom=min(max(zoom, self.min_zoom), self.max_zoom + 2),
                                  basemap=self.layer, scroll_wheel_zoom=True, max_zoom=MAX_MAP_ZOOM,
                                  layout=w.Layout(height=height))
        if region is not None:
            self.map.add(ipyleaflet.GeoJSON(data=region.to_geojson(), style=OUTLINE_STYLE, name="stored region"))
        self.note = w.HTML()
        self.note.add_class("fmtc-store-zoom")
        self.map.observe(self._on_zoom, names="zoom")
        self._on_zoom()
        self.widget = w.VBox([self.map, self.note])

    def _on_zoom(self, _change: Any = None) -> None:
        self.note.value = f"<span style='color:#555'>{zoom_note(self.map.zoom, self.min_zoom, self.max_zoom)}</span>"

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
