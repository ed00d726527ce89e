"""WMS 1.1.1 and 1.3.0 as a tile source: one GetMap per XYZ tile, in EPSG:3857, 256 or 512 pixels.

``wms:URL?layers=a,b[&styles=..][&format=image/png][&transparent=true][&version=1.3.0][&tile_size=512]``:
other query parameters of URL are the server's own (vendor parameters, ``map=...``) and are kept.

The capabilities are read to check that every layer exists and is offered in Web Mercator (EPSG:3857 or an
alias such as EPSG:900913), and that the format is offered; the GetMap address comes from them too.

Axis order: WMS 1.3.0 orders BBOX by the CRS's own axes, which for EPSG:4326 are latitude first; Web Mercator's
are easting then northing, so the box is ``minx,miny,maxx,maxy`` in metres in both versions. What differs is the
parameter name: ``CRS=`` in 1.3.0, ``SRS=`` in 1.1.1.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from fmtc_nb.errors import SourceError
from fmtc_nb.sources.ogcxml import (
    attribute,
    epsg_code,
    is_web_mercator,
    kid,
    kids,
    listing,
    local,
    parse_xml,
    text,
)

VERSIONS = ("1.1.1", "1.3.0")
TILE_SIZES = (256, 512)
#: The query parameters fmtc-nb sets itself (compared case-insensitively); the rest are the server's.
_OWN = {"service", "request", "version", "layers", "styles", "format", "transparent", "crs", "srs", "bbox",
        "width", "height", "tile_size"}
_MIME_FORMATS = {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg", "image/webp": "webp"}


@dataclass(frozen=True)
class WmsSpec:
    """What was asked: the service URL (vendor parameters kept), layers and the GetMap options."""

    url: str
    layers: tuple[str, ...]
    styles: str | None = None
    format: str | None = None
    transparent: bool | None = None
    version: str | None = None
    tile_size: int = 256
    vendor: tuple[tuple[str, str], ...] = ()


@dataclass
class WmsLayer:
    """A named layer: title, the CRSs it is offered in (inherited ones included), style names, attribution."""

    name: str
    title: str
    crs: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    attribution: str | None = None


@dataclass
class WmsCapabilities:
    """The parts of a capabilities document fmtc-nb uses."""

    version: str
    title: str
    layers: dict[str, WmsLayer]
    formats: list[str]
    getmap_url: str | None


def parse_spec(url: str) -> WmsSpec:
    """Split ``URL?layers=...`` (the text after ``wms:``) into a :class:`WmsSpec`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"The WMS address {url!r} is not an http(s) URL (write wms:https://host/path?layers=NAME).")
    options: dict[str, str] = {}
    vendor: list[tuple[str, str]] = []
    for pair in filter(None, parts.query.split("&")):
        name, _, value = pair.partition("=")
        key = unquote(name).lower()
        if key in _OWN:
            options[key] = unquote(value)
        else:
            vendor.append((name, value))
    version = options.get("version") or None
    if version is not None and version not in VERSIONS:
        raise SourceError(f"WMS version {version!r} is not supported; use 1.1.1 or 1.3.0.")
    size_text = options.get("tile_size", "256")
    if not size_text.isdigit() or int(size_text) not in TILE_SIZES:
        raise SourceError(f"The WMS tile_size {size_text!r} is not 256 or 512 pixels.")
    transparent = options.get("transparent")
    if transparent is not None and transparent.lower() not in ("true", "false"):
        raise SourceError(f"The WMS option transparent={transparent!r} is neither true nor false.")
    layers = tuple(name for name in options.get("layers", "").split(",") if name)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    return WmsSpec(base, layers, options.get("styles"), options.get("format") or None,
                   None if transparent is None else transparent.lower() == "true", version, int(size_text),
                   tuple(vendor))


def capabilities_url(spec: WmsSpec) -> str:
    """The GetCapabilities request for ``spec`` (its version if one was asked, else the server's newest)."""
    query = [*(f"{n}={v}" for n, v in spec.vendor), "SERVICE=WMS", "REQUEST=GetCapabilities"]
    if spec.version:
        query.append(f"VERSION={spec.version}")
    return f"{spec.url}?{'&'.join(query)}"


def read_capabilities(data: bytes, shown_url: str) -> WmsCapabilities:
    """Parse WMS 1.1.1 or 1.3.0 capabilities (a sentence if they are not WMS capabilities)."""
    root = parse_xml(data, "WMS capabilities", shown_url)
    if local(root.tag) not in ("WMS_Capabilities", "WMT_MS_Capabilities"):
        raise SourceError(f"The document at {shown_url} is not WMS capabilities (its root element is "
                          f"<{local(root.tag)}>).")
    version = root.get("version", "")
    capability = kid(root, "Capability")
    getmap = kid(capability, "Request", "GetMap")
    formats = [f.text.strip() for f in kids(getmap, "Format") if f.text] if getmap is not None else []
    href = attribute(kid(getmap, "DCPType", "HTTP", "Get", "OnlineResource"), "href")
    layers: dict[str, WmsLayer] = {}
    top = kids(capability, "Layer") if capability is not None else []
    for layer in top:
        _collect(layer, [], None, layers)
    return WmsCapabilities(version, text(root, "Service", "Title"), layers, formats, href or None)


def _collect(element: ET.Element, crs: list[str], attribution: str | None, out: dict[str, WmsLayer]) -> None:
    """Walk a layer tree: CRS/SRS and attribution are inherited by nested layers."""
    own = [c for tag in ("CRS", "SRS") for e in kids(element, tag) for c in (e.text or "").split()]
    crs = crs + [c for c in own if c not in crs]
    attribution = text(element, "Attribution", "Title") or attribution
    name = text(element, "Name")
    if name:
        styles = [text(s, "Name") for s in kids(element, "Style") if text(s, "Name")]
        out.setdefault(name, WmsLayer(name, text(element, "Title"), list(crs), styles, attribution))
    for child in kids(element, "Layer"):
        _collect(child, crs, attribution, out)


def getmap_template(spec: WmsSpec, caps: WmsCapabilities, shown_url: str) -> tuple[str, str | None, str | None]:
    """(GetMap URL template with ``{bbox-epsg-3857}``, tile format, attribution) after checking layers, CRS and
    format against the capabilities."""
    if not spec.layers:
        raise SourceError(f"Name the WMS layer(s) with ?layers=...; the WMS at {shown_url} offers "
                          f"{listing(list(caps.layers))}.")
    missing = [name for name in spec.layers if name not in caps.layers]
    if missing:
        raise SourceError(f"The WMS at {shown_url} has no layer {missing[0]!r}; it offers {listing(list(caps.layers))}.")
    crs = _web_mercator_crs([caps.layers[name] for name in spec.layers], shown_url)
    fmt = _format(spec.format, caps.formats, shown_url)
    version = caps.version if caps.version in VERSIONS else (spec.version or "1.3.0")
    base = caps.getmap_url or spec.url
    parts = urlsplit(base)
    kept = [p for p in parts.query.split("&") if p and unquote(p.partition("=")[0]).lower() not in _OWN]
    names = {unquote(p.partition("=")[0]).lower() for p in kept}
    kept += [f"{n}={v}" for n, v in spec.vendor if unquote(n).lower() not in names]
    ours = [("SERVICE", "WMS"), ("VERSION", version), ("REQUEST", "GetMap"), ("LAYERS", ",".join(spec.layers)),
            ("STYLES", spec.styles if spec.styles is not None else ""), ("CRS" if version == "1.3.0" else "SRS", crs),
            ("BBOX", "{bbox-epsg-3857}"), ("WIDTH", str(spec.tile_size)), ("HEIGHT", str(spec.tile_size)),
            ("FORMAT", fmt)]
    if spec.transparent is not None:
        ours.append(("TRANSPARENT", "TRUE" if spec.transparent else "FALSE"))
    query = kept + [f"{k}={v if k == 'BBOX' else quote(v, safe=',:')}" for k, v in ours]
    template = urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(query), ""))
    attribution = next((caps.layers[n].attribution for n in spec.layers if caps.layers[n].attribution), None)
    return template, _MIME_FORMATS.get(fmt.split(";")[0].strip().lower()), attribution


def _web_mercator_crs(layers: list[WmsLayer], shown_url: str) -> str:
    """The Web Mercator CRS name every layer offers (EPSG:3857 preferred)."""
    common: list[str] | None = None
    for layer in layers:
        names = [c for c in layer.crs if is_web_mercator(c)]
        if not names:
            offered = ", ".join(layer.crs[:8]) or "no CRS at all"
            raise SourceError(f"The WMS layer {layer.name!r} at {shown_url} is not offered in EPSG:3857 (Web "
                              f"Mercator), which tiles need; it offers {offered}.")
        common = names if common is None else [c for c in common if c in names]
    if not common:
        raise SourceError(f"The WMS layers at {shown_url} share no Web Mercator CRS to be drawn together.")
    return next((c for c in common if epsg_code(c) == "3857"), common[0])


def _format(asked: str | None, offered: list[str], shown_url: str) -> str:
    """The GetMap format: the one asked (if offered), else PNG, JPEG or the first image format offered."""
    if asked is not None:
        if offered and asked not in offered:
            raise SourceError(f"The WMS at {shown_url} does not offer the format {asked!r}; it offers "
                              f"{listing(offered)}.")
        return asked
    for choice in ("image/png", "image/jpeg"):
        if choice in offered or not offered:
            return choice
    images = [f for f in offered if f.startswith("image/")]
    if not images:
        raise SourceError(f"The WMS at {shown_url} offers no image format for GetMap ({listing(offered)}).")
    return images[0]
