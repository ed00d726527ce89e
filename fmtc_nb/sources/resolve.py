"""``resolve_source(spec, api_key=None) -> TileSource``: the one entry point from what a user typed to a source.

A spec is one of:

- a catalogue id (``osm``, ``maptiler-streets``; ``fmtc-nb sources list``);
- a URL template with ``{z}/{x}/{y}``, ``{-y}``, ``{q}`` or ``{bbox-epsg-3857}``;
- ``wms:URL?layers=...`` (see :mod:`fmtc_nb.sources.wms`);
- ``wmts:CAPABILITIES_URL#layer`` (see :mod:`fmtc_nb.sources.wmts`);
- a TileJSON URL (an http(s) URL without placeholders, or ``tilejson:URL``).

An API key given as ``api_key``, in a catalogue provider's environment variable, or inside the URL itself
becomes the source's ``api_key`` and the ``{api_key}`` placeholder of its template (see
:mod:`fmtc_nb.sources.keys`). ``describe_source`` says what was understood (``fmtc-nb sources inspect``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fmtc_nb.errors import SourceError
from fmtc_nb.source import API_KEY_ENV, TileSource, default_user_agent
from fmtc_nb.sources import catalogue, tilejson, wms, wmts
from fmtc_nb.sources.documents import DocumentFetch, check_http_url, check_parses
from fmtc_nb.sources.keys import fill_key, lift_api_key, with_key_param
from fmtc_nb.sources.ogcxml import is_web_mercator
from fmtc_nb.sources.templates import API_KEY, placeholders


@dataclass
class Resolved:
    """A source as understood: its kind, the TileSource's arguments and facts for ``sources inspect``."""

    kind: str
    template: str  # "" when only described: a WMS or WMTS whose layer was not named
    api_key: str | None = None
    tile_format: str | None = None
    attribution: str | None = None
    min_zoom: int | None = None
    max_zoom: int | None = None
    subdomains: tuple[str, ...] = ("a", "b", "c")
    facts: dict[str, Any] = field(default_factory=dict)


def resolve_source(spec: str, api_key: str | None = None, *, headers: Mapping[str, str] | None = None,
                   contact: str | None = None, tile_format: str | None = None, network: Any = None) -> TileSource:
    """The :class:`TileSource` for ``spec`` (see the module docstring). ``headers`` and ``contact`` are used for
    the service's description too, and so are the job's ``network`` options (a ``DownloadOptions``: proxy,
    environment proxies, CA bundle); ``tile_format`` overrides the format the service names."""
    resolved = _resolve(spec, api_key, headers or {}, contact, network)
    return TileSource(resolved.template, headers=dict(headers or {}), contact=contact, subdomains=resolved.subdomains,
                      tile_format=tile_format or resolved.tile_format, api_key=resolved.api_key,
                      attribution=resolved.attribution, min_zoom=resolved.min_zoom, max_zoom=resolved.max_zoom)


def describe_source(spec: str, api_key: str | None = None, *, headers: Mapping[str, str] | None = None,
                    contact: str | None = None, network: Any = None) -> dict[str, Any]:
    """What fmtc-nb understands of ``spec``: kind, template (``{api_key}`` in place of any key), tile format,
    zoom range, attribution, the catalogue's policy for its host, and what the service offers."""
    resolved = _resolve(spec, api_key, headers or {}, contact, network, need_layer=False)
    if not resolved.template:
        return {"kind": resolved.kind, "template": None, **resolved.facts}
    source = TileSource(resolved.template, headers=dict(headers or {}), contact=contact,
                        subdomains=resolved.subdomains, api_key=resolved.api_key)
    entry = catalogue.provider_for_host(source.host)
    return {"kind": resolved.kind, "template": resolved.template, "tile_format": resolved.tile_format,
            "min_zoom": resolved.min_zoom, "max_zoom": resolved.max_zoom, "attribution": resolved.attribution,
            "api_key": "given (kept out of every record)" if resolved.api_key else None,
            "provider": entry.id if entry else None, "bulk": entry.bulk if entry else "unknown",
            "terms": entry.terms if entry else None, **resolved.facts}


def clip_zooms(zooms: Iterable[int], source: TileSource) -> tuple[list[int], list[int]]:
    """(zooms the source serves, zooms outside its range) of ``zooms``; SourceError if none is left."""
    low = source.min_zoom if source.min_zoom is not None else 0
    high = source.max_zoom if source.max_zoom is not None else 99
    wanted = list(zooms)
    kept = [z for z in wanted if low <= z <= high]
    if wanted and not kept:
        raise SourceError(f"The source serves zooms {low}-{high}; none of the requested zooms "
                          f"{wanted[0]}-{wanted[-1]} is among them.")
    return kept, [z for z in wanted if not low <= z <= high]


def _resolve(spec: str, api_key: str | None, headers: Mapping[str, str], contact: str | None, network: Any, *,
             need_layer: bool = True) -> Resolved:
    """The source ``spec`` names; with ``need_layer`` false, a WMS or WMTS without a layer is described only."""
    spec = spec.strip()
    if not spec:
        raise SourceError("The source is empty; give a URL template, wms:URL, wmts:URL#layer, a TileJSON URL or "
                          "a catalogue id ('fmtc-nb sources list').")
    entry = catalogue.provider(spec) if "://" not in spec and ":" not in spec else None
    if entry is not None:
        return _from_catalogue(entry, api_key, headers, contact, network)
    if "://" not in spec and ":" not in spec:
        raise SourceError(f"{spec!r} is neither a URL nor a catalogue id; 'fmtc-nb sources list' shows the ids.")
    agent = next((v for k, v in headers.items() if k.lower() == "user-agent"), default_user_agent(contact))
    fetch = DocumentFetch({**headers, "User-Agent": agent}, network)
    kind, _, rest = spec.partition(":")
    check_parses(rest if kind in ("wms", "wmts", "tilejson") else spec)
    if kind == "wms":
        return _wms(rest, api_key, fetch, need_layer)
    if kind == "wmts":
        return _wmts(rest, api_key, fetch, need_layer)
    if kind == "tilejson":
        return _tilejson(rest, api_key, fetch)
    if kind not in ("http", "https"):
        raise SourceError(f"The source {spec!r} is not understood; it starts with neither http(s)://, wms:, wmts: "
                          "nor tilejson:.")
    template, key, _ = lift_api_key(spec, api_key)
    if not placeholders(template) - {"api_key"}:
        return _tilejson(spec, api_key, fetch)
    kinds = {"q": "quadkey template", "bbox-epsg-3857": "bbox template", "-y": "TMS template"}
    kind_name = next((name for p, name in kinds.items() if p in placeholders(template)), "XYZ template")
    return Resolved(kind_name, template, key)


def _from_catalogue(entry: catalogue.Provider, api_key: str | None, headers: Mapping[str, str],
                    contact: str | None, network: Any) -> Resolved:
    key = api_key
    if API_KEY in entry.source and key is None:
        key = os.environ.get(entry.api_key_env or "") or os.environ.get(API_KEY_ENV) or None
        if key is None:
            raise SourceError(f"{entry.name} needs an API key: give --api-key or set {entry.api_key_env} "
                              "(fmtc-nb never stores it).")
    inner = _resolve(entry.source, key, headers, contact, network) if entry.source.startswith(("wms:", "wmts:")) else \
        Resolved("catalogue template", entry.source, key if API_KEY in entry.source else None)
    inner.kind = f"catalogue: {entry.id} ({inner.kind})"
    inner.attribution = inner.attribution or entry.attribution
    inner.min_zoom = entry.min_zoom if entry.min_zoom is not None else inner.min_zoom
    inner.max_zoom = entry.max_zoom if entry.max_zoom is not None else inner.max_zoom
    inner.subdomains = entry.subdomains
    inner.facts["name"] = entry.name
    return inner


def _keep_key(template: str, key: str | None, param: str | None) -> tuple[str, str | None]:
    """A tile template built from a service's description, with the key out of it and ``param={api_key}``
    added when the description's own URLs do not carry the key the service was asked with."""
    template, key, _ = lift_api_key(template, key)
    return with_key_param(template, param), key


def _document(url: str, key: str | None, what: str, fetch: DocumentFetch) -> bytes:
    check_http_url(url, what)
    return fetch.get(fill_key(url, key), what=what, shown_url=url)


def _wms(rest: str, api_key: str | None, fetch: DocumentFetch, need_layer: bool) -> Resolved:
    lifted, key, param = lift_api_key(rest, api_key)
    spec = wms.parse_spec(lifted)
    caps_url = wms.capabilities_url(spec)
    caps = wms.read_capabilities(_document(caps_url, key, "WMS capabilities", fetch), caps_url)
    facts = {"service": caps.title, "version": caps.version, "layers": {
        name: {"title": layer.title, "web_mercator": any(is_web_mercator(c) for c in layer.crs)}
        for name, layer in caps.layers.items()}}
    if not spec.layers and not need_layer:
        return Resolved(f"WMS {caps.version}", "", facts={**facts, "next": "name the layer(s): ?layers=NAME"})
    template, fmt, attribution = wms.getmap_template(spec, caps, caps_url)
    template, key = _keep_key(template, key, param)
    return Resolved(f"WMS {caps.version}", template, key, fmt, attribution,
                    facts={**facts, "tile_size": spec.tile_size})


def _wmts(rest: str, api_key: str | None, fetch: DocumentFetch, need_layer: bool) -> Resolved:
    lifted, key, param = lift_api_key(rest, api_key)
    spec = wmts.parse_spec(lifted)
    caps_url = wmts.capabilities_url(spec)
    caps = wmts.read_capabilities(_document(caps_url, key, "WMTS capabilities", fetch), caps_url)
    facts: dict[str, Any] = {"service": caps.title, "layers": {
        name: {"title": layer.title, "tile_matrix_sets": list(layer.sets)} for name, layer in caps.layers.items()}}
    if not spec.layer and not need_layer:
        return Resolved("WMTS", "", facts={**facts, "next": "name the layer after '#': wmts:URL#LAYER"})
    template, fmt, low, high, size, set_name, style = wmts.tile_template(spec, caps, caps_url)
    template, key = _keep_key(template, key, param)
    facts |= {"tile_matrix_set": set_name, "style": style, "tile_size": size}
    return Resolved("WMTS", template, key, fmt, None, low, high, facts=facts)


def _tilejson(url: str, api_key: str | None, fetch: DocumentFetch) -> Resolved:
    lifted, key, param = lift_api_key(url, api_key)
    doc = tilejson.read_tilejson(_document(lifted, key, "TileJSON", fetch), fill_key(lifted, key), lifted)
    template, key = _keep_key(doc.template, key, param)
    facts = {"name": doc.name, "bounds": list(doc.bounds), "other_tile_urls": doc.alternates}
    return Resolved("TileJSON", template, key, doc.tile_format, doc.attribution, doc.min_zoom, doc.max_zoom,
                    facts=facts)
