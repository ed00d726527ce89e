"""Reading a style's documents: a style from a URL or a file, and each source's TileJSON.

The one place packs meet :mod:`fmtc_nb.sources` (its polite ``fetch_document`` and its TileJSON checks).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from fmtc_nb.errors import PackError, SourceError
from fmtc_nb.sources.documents import DocumentFetch
from fmtc_nb.sources.tilejson import tilejson_from_doc

#: Keys of a style's source that override its TileJSON (as MapLibre merges them).
STYLE_OVERRIDES = ("tiles", "minzoom", "maxzoom", "scheme", "bounds", "attribution")


def is_url(spec: str) -> bool:
    """True for an http(s) address."""
    return urlsplit(spec).scheme in ("http", "https")


def read_document(spec: str, what: str, fetch: DocumentFetch) -> tuple[bytes, str | None]:
    """(bytes, base URL or None) of ``spec``: an http(s) URL fetched politely (with the job's headers and network
    options), else a local file path."""
    if is_url(spec):
        try:
            return fetch.get(spec, what=what, shown_url=spec), spec
        except SourceError as exc:
            raise PackError(str(exc)) from None
    scheme = urlsplit(spec).scheme
    if scheme and len(scheme) > 1:  # mapbox://, file:, ftp: ... (a Windows drive letter has one letter)
        raise PackError(f"The {what} address {spec!r} is neither an http(s) URL nor a file; "
                        f"{'mapbox:// styles need the Mapbox SDK and are not supported' if scheme == 'mapbox' else 'give one of those'}.")
    path = Path(spec).expanduser()
    try:
        return path.read_bytes(), None
    except OSError as exc:
        raise PackError(f"The {what} file {spec} cannot be read ({exc.strerror or exc}).") from None


def parse_json(data: bytes, what: str, shown: str) -> Any:
    """The JSON value of ``data``; a sentence naming ``what`` and ``shown`` if it is not JSON."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        start = data[:40].decode("utf-8", "replace").strip().replace("\n", " ")
        raise PackError(f"The {what} at {shown} is not valid JSON ({exc.__class__.__name__} near the start "
                        f"{start!r}).") from None


def absolute(url: str, base: str | None, what: str) -> str:
    """``url`` resolved against ``base`` (the style's address); a relative URL in a style read from a file
    is refused (it names nothing fetchable)."""
    if is_url(url):
        return url
    if base is None:
        raise PackError(f"The {what} {url!r} is relative, but the style was read from a file; give full "
                        "http(s) URLs in the style.")
    return urljoin(base, url)


@dataclass(frozen=True)
class SourceDocument:
    """A style source resolved: the tile URL template (XYZ rows), zoom range, bounds (W, S, E, N degrees),
    attribution, tile format (None: unknown) and ``vector_layers`` (vector sources)."""

    template: str
    min_zoom: int
    max_zoom: int
    bounds: tuple[float, float, float, float]
    attribution: str | None
    tile_format: str | None
    vector_layers: list[Any]


def resolve_source(source_id: str, definition: Mapping[str, Any], style_base: str | None,
                   fetch: DocumentFetch) -> SourceDocument:
    """Resolve a style source (vector, raster, raster-dem) through its TileJSON ``url`` or its inline
    ``tiles``; the style's own keys (:data:`STYLE_OVERRIDES`) win over the TileJSON's."""
    merged: dict[str, Any] = {}
    base = style_base
    shown = f"source {source_id!r} of the style"
    if "url" in definition:
        if not isinstance(definition["url"], str):
            raise PackError(f"The source {source_id!r} has a 'url' that is not a string.")
        url = absolute(definition["url"], style_base, f"TileJSON URL of source {source_id!r}")
        data, base = read_document(url, f"TileJSON of source {source_id!r}", fetch)
        doc = parse_json(data, f"TileJSON of source {source_id!r}", url)
        if not isinstance(doc, dict):
            raise PackError(f"The TileJSON of source {source_id!r} at {url} is not a JSON object.")
        merged.update(doc)
        shown = url
    merged.update({k: definition[k] for k in STYLE_OVERRIDES if k in definition})
    if "tiles" not in merged:
        raise PackError(f"The source {source_id!r} names neither a TileJSON 'url' nor 'tiles', so it has no tiles "
                        "to download.")
    if isinstance(merged["tiles"], list) and base is None and any(isinstance(t, str) and not is_url(t)
                                                                  for t in merged["tiles"]):
        raise PackError(f"The source {source_id!r} has relative tile URLs, but the style was read from a file.")
    try:
        parsed = tilejson_from_doc(merged, base or "", shown)
    except SourceError as exc:
        raise PackError(str(exc)) from None
    layers = merged.get("vector_layers")
    return SourceDocument(parsed.template, parsed.min_zoom, parsed.max_zoom, parsed.bounds, parsed.attribution,
                          parsed.tile_format, layers if isinstance(layers, list) else [])
