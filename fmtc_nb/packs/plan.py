"""Planning a pack: what a style needs for a region and zooms, counted before anything is downloaded.

For every tile source (vector, raster, raster-dem) the TileJSON is resolved and the requested zooms are clipped
to the source's range: below its ``minzoom`` the source is not drawn; above its ``maxzoom`` the map over-zooms
the deepest tiles, so a zoom beyond it becomes that ``maxzoom`` (z0-12 of a source with maxzoom 8 is z0-8).
Resources are the sprites (1x and 2x, JSON and PNG) and a glyph range per font stack and range chosen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from fmtc_nb.errors import PackError
from fmtc_nb.packs.documents import resolve_source
from fmtc_nb.packs.glyphs import glyph_ranges, range_name
from fmtc_nb.packs.storage import store_name
from fmtc_nb.packs.style import Style
from fmtc_nb.sources.documents import DocumentFetch


def clip_zooms(zooms: Sequence[int], min_zoom: int, max_zoom: int) -> list[int]:
    """The zooms a source is fetched at: requested zooms from ``min_zoom`` on, those past ``max_zoom``
    replaced by ``max_zoom`` (over-zoomed by the map)."""
    return sorted({min(z, max_zoom) for z in zooms if z >= min_zoom})


@dataclass(frozen=True)
class PlannedSource:
    """A tile source of the style: id, type, its store, the tile URL template (XYZ rows), tile format, the
    zooms fetched (clipped) and the source's own range, its tile count for the region, its attribution and
    (vector) layers. Older manifests also held the source's whole TileJSON, which nothing read: it is ignored."""

    id: str
    type: str
    store: str
    template: str
    tile_format: str | None
    zooms: list[int]
    min_zoom: int
    max_zoom: int
    tiles: int
    attribution: str | None = None
    vector_layers: list[Any] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlannedSource:
        """Inverse of :meth:`to_dict`."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


@dataclass(frozen=True)
class Resource:
    """A file of the pack other than tiles: its path in the pack folder, the URL it comes from, and its kind
    (``sprite`` or ``glyphs``)."""

    path: str
    url: str
    kind: str

    def to_dict(self) -> dict[str, str]:
        """JSON-safe dict."""
        return asdict(self)


@dataclass(frozen=True)
class PackPlan:
    """Everything a pack holds: tile sources, resources, the font stacks used, and the sources left out."""

    sources: list[PlannedSource]
    resources: list[Resource]
    font_stacks: list[str]
    glyphs: str
    left_out: dict[str, str] = field(default_factory=dict)

    @property
    def tiles(self) -> int:
        """Tiles of every source together."""
        return sum(s.tiles for s in self.sources)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (the manifest's plan)."""
        return {"sources": [s.to_dict() for s in self.sources], "resources": [r.to_dict() for r in self.resources],
                "font_stacks": self.font_stacks, "glyphs": self.glyphs, "left_out": self.left_out}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PackPlan:
        """Inverse of :meth:`to_dict`."""
        return cls([PlannedSource.from_dict(s) for s in data["sources"]], [Resource(**r) for r in data["resources"]],
                   list(data["font_stacks"]), data["glyphs"], dict(data.get("left_out") or {}))


def _suffixed(url: str, suffix: str) -> str:
    """``url`` with ``suffix`` added to its path (before any query): a sprite file's address."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + suffix, parts.query, parts.fragment))


def sprite_resources(style: Style) -> list[Resource]:
    """The four files of each sprite."""
    return [Resource(f"sprites/{sprite_id}{ratio}.{ext}", _suffixed(url, f"{ratio}.{ext}"), "sprite")
            for sprite_id, url in style.sprites() for ratio in ("", "@2x") for ext in ("json", "png")]


def glyph_resources(style: Style, choice: str) -> list[Resource]:
    """A glyph range file per font stack the layers use and range of the scripts chosen."""
    template = style.glyphs()
    stacks = style.font_stacks()
    if stacks and template is None:
        raise PackError(f"The style {style.shown} shows text but has no 'glyphs' URL to draw it with.")
    starts = glyph_ranges(choice)
    resources = []
    for stack in stacks:
        if any(c in stack for c in "/\\\0") or stack.startswith("."):
            raise PackError(f"The font stack {stack!r} cannot name a file of the pack.")
        for start in starts:
            url = str(template).replace("{fontstack}", quote(stack, safe=",")).replace("{range}", range_name(start))
            resources.append(Resource(f"glyphs/{stack}/{range_name(start)}.pbf", url, "glyphs"))
    return resources


def plan_pack(style: Style, region: Any, zooms: Sequence[int], pack: str, *, glyphs: str = "latin",
              fetch: DocumentFetch) -> PackPlan:
    """The plan of pack ``pack`` of ``style`` for ``region`` at ``zooms`` (``fetch``: how TileJSONs are fetched).
    A source whose TileJSON cannot be read, or that the zooms never reach, is one sentence (PackError)."""
    from fmtc_nb.cover import TileCover

    planned: list[PlannedSource] = []
    taken: set[str] = set()
    for sid, definition in style.tile_sources().items():
        doc = resolve_source(sid, definition, style.base, fetch)
        fetched = clip_zooms(zooms, doc.min_zoom, doc.max_zoom)
        if not fetched:
            raise PackError(f"The source {sid!r} starts at zoom {doc.min_zoom}, deeper than the zooms asked "
                            f"({min(zooms)}-{max(zooms)}); ask for deeper zooms or leave it out of the style.")
        store = store_name(pack, sid, taken)
        taken.add(store)
        kind = str(definition["type"])
        tile_format = doc.tile_format or ("pbf" if kind == "vector" else None)
        planned.append(PlannedSource(sid, kind, store, doc.template, tile_format, fetched, doc.min_zoom,
                                     doc.max_zoom, TileCover(region, fetched).total, doc.attribution,
                                     doc.vector_layers))
    resources = sprite_resources(style) + glyph_resources(style, glyphs)
    left_out = {sid: f"{kind} source: not downloaded" for sid, kind in style.other_sources().items()}
    return PackPlan(planned, resources, style.font_stacks(), glyphs, left_out)
