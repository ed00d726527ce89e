"""A MapLibre / Mapbox GL style (version 8) as a pack sees it: its tile sources, sprites, glyph template and the
font stacks its layers use. See https://maplibre.org/maplibre-style-spec/ for the format."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fmtc_nb.errors import PackError
from fmtc_nb.packs.documents import absolute, parse_json, read_document
from fmtc_nb.sources.documents import DocumentFetch

#: Source types whose tiles a pack downloads.
TILE_SOURCE_TYPES = ("vector", "raster", "raster-dem")
#: MapLibre's font stack for a symbol layer with text but no ``text-font``.
DEFAULT_FONT_STACK = ("Open Sans Regular", "Arial Unicode MS Regular")


@dataclass(frozen=True)
class Style:
    """A parsed style: the JSON ``doc``, the address it came from (``base``: its URL, or None for a file) and
    how sentences name it (``shown``)."""

    doc: dict[str, Any]
    base: str | None
    shown: str

    @property
    def name(self) -> str:
        """The style's ``name`` (or its address)."""
        name = self.doc.get("name")
        return name if isinstance(name, str) and name else self.shown

    def tile_sources(self) -> dict[str, Mapping[str, Any]]:
        """The vector, raster and raster-dem sources by id, in the style's order."""
        return {sid: src for sid, src in self.doc["sources"].items() if src.get("type") in TILE_SOURCE_TYPES}

    def other_sources(self) -> dict[str, str]:
        """Sources a pack does not download (geojson, image, video), by id -> type."""
        return {sid: str(src.get("type")) for sid, src in self.doc["sources"].items()
                if src.get("type") not in TILE_SOURCE_TYPES}

    def sprites(self) -> list[tuple[str, str]]:
        """(id, absolute base URL) of each sprite: ``sprite`` as one URL (id ``default``) or a list of
        ``{"id", "url"}``; add ``.json``/``.png`` and ``@2x`` for the files."""
        sprite = self.doc.get("sprite")
        if sprite is None:
            return []
        entries = [{"id": "default", "url": sprite}] if isinstance(sprite, str) else sprite
        if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("id"), str)
                                                    and isinstance(e.get("url"), str) for e in entries):
            raise PackError(f"The style {self.shown} has a 'sprite' that is neither a URL nor a list of "
                            "{'id', 'url'} objects.")
        return [(e["id"], absolute(e["url"], self.base, "sprite URL")) for e in entries]

    def glyphs(self) -> str | None:
        """The absolute glyph URL template (with ``{fontstack}`` and ``{range}``), or None."""
        glyphs = self.doc.get("glyphs")
        if glyphs is None:
            return None
        if not isinstance(glyphs, str) or "{fontstack}" not in glyphs or "{range}" not in glyphs:
            raise PackError(f"The style {self.shown} has a 'glyphs' URL without {{fontstack}} and {{range}}.")
        return absolute(glyphs, self.base, "glyphs URL")

    def font_stacks(self) -> list[str]:
        """The font stacks (fonts joined by commas, as MapLibre asks for them) of every symbol layer that shows
        text, sorted: literal ``text-font`` arrays and every string array inside an expression (both branches
        of a ``step`` or ``match`` may be drawn); MapLibre's default stack for text without ``text-font``."""
        stacks: set[str] = set()
        for layer in self.doc["layers"]:
            layout = layer.get("layout") or {}
            if layer.get("type") != "symbol" or "text-field" not in layout:
                continue
            found = list(_string_arrays(layout.get("text-font", list(DEFAULT_FONT_STACK))))
            stacks.update(",".join(fonts) for fonts in found or [list(DEFAULT_FONT_STACK)])
        return sorted(stacks)


def _string_arrays(value: Any) -> Iterator[list[str]]:
    """Every non-empty list of strings inside ``value`` that is not itself an expression."""
    if isinstance(value, list):
        if value and all(isinstance(v, str) for v in value) and not _is_operator(value):
            yield value
            return
        for item in value:
            yield from _string_arrays(item)


#: Expression operators whose arguments may all be strings (``["zoom"]``, ``["get", "font"]``): such a list is
#: an expression, never a font stack.
_OPERATORS = frozenset({"zoom", "get", "has", "var", "literal", "concat", "to-string", "downcase", "upcase",
                        "resolved-locale", "collator", "geometry-type", "id", "properties", "feature-state"})


def _is_operator(value: list[str]) -> bool:
    return value[0] in _OPERATORS


def load_style(spec: str, fetch: DocumentFetch) -> Style:
    """Read and check a style from an http(s) URL or a file. Refused with one sentence: not JSON, not an object,
    not version 8, no ``sources`` object or ``layers`` list, a layer naming a source the style lacks."""
    data, base = read_document(spec, "style", fetch)
    return parse_style(data, base, spec)


def parse_style(data: bytes, base: str | None, shown: str) -> Style:
    """Check a style's bytes (see :func:`load_style`)."""
    doc = parse_json(data, "style", shown)
    if not isinstance(doc, dict):
        raise PackError(f"The style {shown} is not a JSON object.")
    if doc.get("version") != 8:
        raise PackError(f"The style {shown} has version {doc.get('version')!r}; only version 8 styles exist.")
    sources, layers = doc.get("sources"), doc.get("layers")
    if not isinstance(sources, dict) or not all(isinstance(s, dict) for s in sources.values()):
        raise PackError(f"The style {shown} has no 'sources' object of source objects.")
    if not isinstance(layers, list) or not all(isinstance(layer, dict) for layer in layers):
        raise PackError(f"The style {shown} has no 'layers' list of layer objects.")
    for layer in layers:
        if "source" in layer and layer["source"] not in sources:
            raise PackError(f"The layer {layer.get('id')!r} of the style {shown} uses the source "
                            f"{layer['source']!r}, which the style does not define.")
    style = Style(doc, base, shown)
    if not style.tile_sources():
        raise PackError(f"The style {shown} has no vector, raster or raster-dem source, so there are no tiles "
                        "to download.")
    return style


def style_text(doc: Mapping[str, Any]) -> str:
    """A style as the JSON text a pack stores and exports."""
    return json.dumps(doc, indent=2, ensure_ascii=False)
