"""The region picker: an ipyleaflet map with drawing tools whose region, per-zoom tile counts and the tiles of
a chosen zoom update as the user draws, edits or deletes shapes.

>>> picker = RegionPicker(server.url_template, zooms="0-12", tile_zoom=9)   # doctest: +SKIP
>>> picker.set_regions([Rectangle(6.5, 46.2, 7.0, 46.6)])   # what a headless notebook does instead of drawing
>>> picker.region, picker.counts, picker.counts_frame
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import ipyleaflet
import ipywidgets as w

from fmtc_nb.cover import TileCover
from fmtc_nb.errors import FmtcError
from fmtc_nb.regions import Region
from fmtc_nb.tilemath import lat_to_unit, unit_to_lat
from fmtc_nb.widgets.shapes import BadShape, regions_to_features, sort_features, union
from fmtc_nb.widgets.tiles_layer import tiles_geojson
from fmtc_nb.zooms import parse_zooms

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_ATTRIBUTION = "Made with Natural Earth (public domain), rendered by fmtc-nb"
#: The tile rows of the shown zoom: thin orange strips, never clickable (clicks reach the shapes below them).
TILE_STYLE = {"color": "#d9480f", "weight": 1, "fillOpacity": 0.08, "interactive": False}
#: Shapes that are no region: a red dashed outline over them, never clickable (Geoman's remove still reaches them).
BAD_STYLE = {"color": "#e03131", "weight": 4, "dashArray": "6 4", "fill": False, "interactive": False}
#: Map panes (Leaflet's overlay pane, where the shapes live, is at z-index 400): the tile rows below the shapes,
#: the red outlines above them, neither taking pointer events.
PANES = {"fmtc-tiles": {"zIndex": 350, "pointerEvents": "none"},
         "fmtc-bad": {"zIndex": 450, "pointerEvents": "none"}}
#: Height of the message box beside the map in pixels (fixed: a long message scrolls, the map keeps its size).
MESSAGE_HEIGHT_PX = 420
MAX_MAP_ZOOM = 22
FIT_WIDTH_PX, FIT_HEIGHT_PX = 640, 420


def fit_view(bounds: tuple[float, float, float, float], width_px: int = FIT_WIDTH_PX,
             height_px: int = FIT_HEIGHT_PX) -> tuple[tuple[float, float], int]:
    """(lat, lon) centre and zoom showing ``bounds`` (W, S, E, N) whole in a map of that size in pixels."""
    west, south, east, north = bounds
    if east < west:  # across the antimeridian
        east += 360.0
    x0, x1 = ((v + 180.0) / 360.0 for v in (west, east))  # unclipped, so east may pass 180
    y0, y1 = (float(lat_to_unit(v)) for v in (north, south))
    span_x, span_y = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    zoom = int(math.floor(math.log2(min(width_px / (256 * span_x), height_px / (256 * span_y)))))
    lon = ((x0 + x1) / 2 * 360.0) % 360.0 - 180.0
    return (float(unit_to_lat((y0 + y1) / 2)), lon), max(0, min(MAX_MAP_ZOOM, zoom))


class RegionPicker:
    """A map to draw a region on (rectangle, circle, polygon, line with a corridor radius; several shapes).

    ``url_template``: the basemap (the embedded tile server's or a store proxy's ``url_template``, or a real
    source); ``zooms``: the zoom range counted; ``tile_zoom``: the zoom whose tiles are drawn on the map;
    ``corridor_radius_m``: the radius in metres given to lines the user draws. Shown by displaying the object.
    """

    def __init__(self, url_template: str, *, zooms: Any = "0-12", tile_zoom: int | None = None,
                 center: tuple[float, float] = (46.4, 6.6), zoom: int = 8, corridor_radius_m: float = 1000.0,
                 attribution: str = DEFAULT_ATTRIBUTION, height: str = "460px") -> None:
        levels = parse_zooms(zooms)
        self._callbacks: list[Callable[[RegionPicker], None]] = []
        self.region: Region | None = None
        self.cover: TileCover | None = None
        self.error: str | None = None
        self.bad_shapes: list[BadShape] = []
        self.basemap = ipyleaflet.TileLayer(url=url_template, attribution=attribution, max_zoom=MAX_MAP_ZOOM,
                                            name="basemap")
        self.map = ipyleaflet.Map(center=center, zoom=zoom, basemap=self.basemap, scroll_wheel_zoom=True,
                                  max_zoom=MAX_MAP_ZOOM, panes=PANES, layout=w.Layout(height=height))
        self.draw = ipyleaflet.GeomanDrawControl(
            rectangle={"pathOptions": {"color": "#3388ff"}}, circle={"pathOptions": {"color": "#3388ff"}},
            polygon={"pathOptions": {"color": "#3388ff"}}, polyline={"pathOptions": {"color": "#3388ff"}},
            marker={}, circlemarker={}, edit=True, remove=True, drag=True, cut=False, rotate=False)
        self.tiles_layer = ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": []},
                                              style=TILE_STYLE, name="tiles", pane="fmtc-tiles")
        self.bad_layer = ipyleaflet.GeoJSON(data={"type": "FeatureCollection", "features": []},
                                            style=BAD_STYLE, name="shapes that are no region", pane="fmtc-bad")
        self.map.add(self.tiles_layer)
        self.map.add(self.bad_layer)
        self.map.add(self.draw)
        self.zoom_range = w.IntRangeSlider(value=(levels[0], levels[-1]), min=0, max=MAX_MAP_ZOOM,
                                           description="zooms", continuous_update=False)
        self.tile_zoom_slider = w.IntSlider(value=levels[-1] if tile_zoom is None else tile_zoom, min=0,
                                            max=MAX_MAP_ZOOM, description="show zoom", continuous_update=False)
        self.radius_input = w.BoundedFloatText(value=corridor_radius_m, min=1, max=1e6, step=100,
                                               description="line radius (m)",
                                               style={"description_width": "initial"})
        self.summary = w.HTML(layout=w.Layout(width="280px", min_width="280px", max_width="280px",
                                              height=f"{MESSAGE_HEIGHT_PX}px", overflow="auto"))
        self.summary.add_class("fmtc-region-summary")
        self.draw.observe(self._on_shapes, names="data")
        for control in (self.zoom_range, self.tile_zoom_slider, self.radius_input):
            control.observe(self._on_shapes, names="value")
        self.widget = w.VBox([
            w.HBox([self.zoom_range, self.tile_zoom_slider, self.radius_input]),
            w.HBox([w.Box([self.map], layout=w.Layout(flex="1 1 auto", min_width="0")), self.summary]),
        ])
        self._refresh()

    # -- public API ----------------------------------------------------------------------------------
    @property
    def zooms(self) -> list[int]:
        """The zoom levels counted (from the zoom-range slider)."""
        low, high = self.zoom_range.value
        return list(range(low, high + 1))

    @zooms.setter
    def zooms(self, value: Any) -> None:
        levels = parse_zooms(value)
        self.zoom_range.value = (levels[0], levels[-1])

    @property
    def tile_zoom(self) -> int:
        """The zoom whose tiles are drawn on the map."""
        return int(self.tile_zoom_slider.value)

    @tile_zoom.setter
    def tile_zoom(self, z: int) -> None:
        self.tile_zoom_slider.value = int(z)

    @property
    def counts(self) -> dict[int, int]:
        """Tiles per zoom of the current region ({} when nothing is drawn)."""
        return dict(self.cover.counts) if self.cover is not None else {}

    @property
    def total(self) -> int:
        """Tiles over all counted zooms."""
        return self.cover.total if self.cover is not None else 0

    @property
    def counts_frame(self) -> pd.DataFrame:
        """Tiles per zoom as a pandas DataFrame (index ``zoom``; columns ``tiles`` and ``cumulative``)."""
        import pandas as pd

        frame = pd.DataFrame({"tiles": pd.Series(self.counts, dtype="int64")})
        frame.index.name = "zoom"
        frame["cumulative"] = frame["tiles"].cumsum()
        return frame

    @property
    def geojson(self) -> dict[str, Any] | None:
        """The current region as GeoJSON (None when nothing is drawn)."""
        return self.region.to_geojson() if self.region is not None else None

    def set_regions(self, regions: Region | Iterable[Region], fit: bool = True) -> None:
        """Replace the drawn shapes with ``regions`` (what a headless notebook does instead of drawing)."""
        regions = [regions] if isinstance(regions, Region) else list(regions)
        self.draw.data = regions_to_features(regions)
        if fit and self.region is not None:
            self.fit()

    def add_region(self, region: Region) -> None:
        """Add ``region``'s shapes to those drawn."""
        self.draw.data = [*self.draw.data, *regions_to_features([region])]

    def load_geojson(self, obj: dict[str, Any]) -> None:
        """Show a GeoJSON region (Geometry, Feature or FeatureCollection)."""
        from fmtc_nb.regions import region_from_geojson

        self.set_regions([region_from_geojson(obj)])

    def clear(self) -> None:
        """Delete every shape."""
        self.draw.data = []

    def fit(self) -> None:
        """Centre the map on the region at the deepest zoom that shows it whole (computed here, so it works
        before the map is on screen and in headless runs)."""
        if self.region is not None:
            self.map.center, self.map.zoom = fit_view(self.region.bounds)

    def on_change(self, callback: Callable[[RegionPicker], None]) -> None:
        """Call ``callback(picker)`` whenever the region or the zooms change."""
        self._callbacks.append(callback)

    def close(self) -> None:
        """Close the widgets (the map disappears from the notebook)."""
        self.widget.close()
        self.map.close()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    # -- updating ------------------------------------------------------------------------------------
    def _on_shapes(self, _change: Any = None) -> None:
        self._refresh()
        for callback in self._callbacks:
            callback(self)

    def _refresh(self) -> None:
        """Count the usable shapes; outline the others in red and name them (they are left out of the region)."""
        good, self.bad_shapes = sort_features(self.draw.data, float(self.radius_input.value))
        self.error = " ".join(f"Shape {b.number}: {b.reason}" for b in self.bad_shapes) or None
        try:
            self.region = union(good)
            self.cover = TileCover(self.region, self.zooms) if self.region is not None else None
        except FmtcError as exc:  # e.g. a union too large to count
            self.region, self.cover = None, None
            self.error = " ".join(filter(None, [self.error, str(exc)]))
        self.bad_layer.data = {"type": "FeatureCollection",
                               "features": [{"type": "Feature", "properties": {"number": b.number},
                                             "geometry": b.feature.get("geometry")} for b in self.bad_shapes
                                            if isinstance(b.feature.get("geometry"), dict)]}
        data, note = tiles_geojson(self.cover, self.tile_zoom)
        self.tiles_layer.data = data
        self.summary.value = self._summary_html(note)

    def _problems_html(self) -> str:
        """One short line per bad shape (the full sentence as its tooltip)."""
        if not self.bad_shapes:
            return ""
        items = "".join(f"<li title='{html.escape(b.reason)}'>shape {b.number}: {html.escape(short_reason(b.reason))}</li>"
                        for b in self.bad_shapes)
        return ("<div class='fmtc-error' style='color:#c92a2a;font-size:12px'><b>Left out (outlined in red on the "
                f"map):</b><ul style='margin:2px 0;padding-left:1.2em'>{items}</ul>Edit or erase them; the other "
                "shapes keep counting.</div>")

    def _summary_html(self, note: str) -> str:
        problems = self._problems_html()
        if self.region is None:
            return (problems or "") + ("<div><b>Draw a region</b> with the tools on the map (rectangle, circle, "
                                       "polygon or line).</div>")
        shapes = len(self.draw.data) - len(self.bad_shapes)
        rows = "".join(f"<tr><td>{z}</td><td style='text-align:right'>{n:,}</td></tr>" for z, n in self.counts.items())
        return (f"{problems}<div class='fmtc-counts'><b>{shapes} shape{'s' if shapes != 1 else ''}, "
                f"{self.total:,} tiles</b><table><tr><th>zoom</th><th>tiles</th></tr>{rows}</table>"
                f"<div style='color:#555'>{html.escape(note)}</div></div>")


def short_reason(reason: str) -> str:
    """The first clause of a sentence (up to its first colon or full stop), whole words only."""
    for mark in (": ", ". "):
        if mark in reason:
            reason = reason.split(mark, 1)[0] + "."
    return reason
