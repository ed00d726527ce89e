"""WMTS 1.0.0 as a tile source: a layer on a Web Mercator tile matrix set whose matrices are the XYZ grid.

``wmts:CAPABILITIES_URL#LAYER`` or ``#layer=LAYER&set=SET&style=STYLE&format=image/png``. A tile matrix set
lines up with XYZ tiles when its CRS is Web Mercator (GoogleMapsCompatible or any EPSG:3857 set), every matrix
starts at the world's top-left corner (-20037508.34, 20037508.34) within half a pixel, has square tiles of one
size, a resolution of exactly ``40075016.69 / (tile size * 2^z)`` metres per pixel for some zoom z, and at most
``2^z`` columns and rows; and the matrix identifiers number the zooms (``5``, ``EPSG:3857:5``, ...). A set that
does not is refused with the reason. Tiles come from the layer's REST ``ResourceURL`` template if it has one for
the format, else from the KVP GetTile address of the operations metadata.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

from fmtc_nb.errors import SourceError
from fmtc_nb.sources.ogcxml import (
    attribute,
    descendants,
    is_web_mercator,
    kid,
    kids,
    listing,
    local,
    parse_xml,
    text,
)
from fmtc_nb.sources.templates import WORLD_HALF_M

#: Metres per pixel of the OGC "standardized rendering pixel" (0.28 mm), which scale denominators assume.
PIXEL_M = 0.00028
_FORMATS = {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg", "image/webp": "webp",
            "application/vnd.mapbox-vector-tile": "pbf", "application/x-protobuf": "pbf"}
_TOKEN = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class WmtsSpec:
    """What was asked: the capabilities URL, the layer and optional set, style and format."""

    url: str
    layer: str | None
    matrix_set: str | None = None
    style: str | None = None
    format: str | None = None


@dataclass(frozen=True)
class MatrixSet:
    """A tile matrix set: its CRS, and per matrix (identifier, scale denominator, top-left x and y, tile width and
    height, matrix width and height)."""

    identifier: str
    crs: str
    matrices: tuple[tuple[str, float, float, float, int, int, int, int], ...]


@dataclass
class WmtsLayer:
    """A layer: styles (default first), formats, linked sets (with the matrices their limits allow), REST
    templates per format, dimensions with their default values."""

    identifier: str
    title: str
    styles: list[str] = field(default_factory=list)
    formats: list[str] = field(default_factory=list)
    sets: dict[str, set[str] | None] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)


@dataclass
class WmtsCapabilities:
    """The parts of a WMTS capabilities document fmtc-nb uses."""

    title: str
    layers: dict[str, WmtsLayer]
    sets: dict[str, MatrixSet]
    kvp_url: str | None


def parse_spec(text_: str) -> WmtsSpec:
    """Split ``URL#layer`` or ``URL#layer=L&set=S&style=X&format=F`` (the text after ``wmts:``)."""
    url, _, fragment = text_.partition("#")
    if not re.match(r"https?://[^/]", url):
        raise SourceError(f"The WMTS address {url!r} is not an http(s) URL (write wmts:https://host/WMTSCapabilities.xml#LAYER).")
    if "=" not in fragment:
        return WmtsSpec(url, fragment or None)
    options = dict(parse_qsl(fragment, keep_blank_values=True))
    unknown = set(options) - {"layer", "set", "style", "format"}
    if unknown:
        raise SourceError(f"Unknown WMTS option(s) {sorted(unknown)} after '#'; use layer, set, style and format.")
    return WmtsSpec(url, options.get("layer") or None, options.get("set") or None, options.get("style") or None,
                    options.get("format") or None)


def capabilities_url(spec: WmtsSpec) -> str:
    """The URL to fetch: as given, with ``SERVICE=WMTS&REQUEST=GetCapabilities`` added to a bare KVP endpoint."""
    if spec.url.lower().split("?")[0].endswith(".xml") or "request=" in spec.url.lower():
        return spec.url
    return f"{spec.url}{'&' if '?' in spec.url else '?'}SERVICE=WMTS&REQUEST=GetCapabilities&VERSION=1.0.0"


def read_capabilities(data: bytes, shown_url: str) -> WmtsCapabilities:
    """Parse WMTS 1.0.0 capabilities (a sentence if they are not)."""
    root = parse_xml(data, "WMTS capabilities", shown_url)
    contents = kid(root, "Contents")
    if local(root.tag) != "Capabilities" or contents is None:
        raise SourceError(f"The document at {shown_url} is not WMTS capabilities (root <{local(root.tag)}>"
                          f"{'' if contents is None else ' without <Contents>'}).")
    sets = {}
    for element in kids(contents, "TileMatrixSet"):
        parsed = _matrix_set(element, shown_url)
        sets[parsed.identifier] = parsed
    layers = {}
    for element in kids(contents, "Layer"):
        layer = _layer(element)
        layers[layer.identifier] = layer
    kvp = None
    for operation in descendants(root, "Operation"):
        if operation.get("name") == "GetTile":
            for get in descendants(operation, "Get"):
                encodings = [text(v) for v in descendants(get, "Value")]
                if not encodings or any(e.upper() == "KVP" for e in encodings):
                    kvp = attribute(get, "href")
                    break
    return WmtsCapabilities(text(root, "ServiceIdentification", "Title"), layers, sets, kvp)


def _number(element: ET.Element, name: str, shown_url: str, kind: type = float) -> float:
    value = text(element, name)
    try:
        number = float(value)
    except ValueError:
        raise SourceError(f"The WMTS capabilities at {shown_url} give {name} {value!r}, which is not a number.") from None
    if not math.isfinite(number) or (kind is int and number != int(number)):
        raise SourceError(f"The WMTS capabilities at {shown_url} give {name} {value!r}, which is not usable.")
    return number


def _matrix_set(element: ET.Element, shown_url: str) -> MatrixSet:
    matrices = []
    for m in kids(element, "TileMatrix"):
        corner = text(m, "TopLeftCorner").split()
        if len(corner) != 2:
            raise SourceError(f"A TopLeftCorner in the WMTS capabilities at {shown_url} is not two numbers.")
        try:
            left, top = float(corner[0]), float(corner[1])
        except ValueError:
            raise SourceError(f"A TopLeftCorner in the WMTS capabilities at {shown_url} is not two numbers.") from None
        width, height, columns, rows = (int(_number(m, n, shown_url, int))
                                        for n in ("TileWidth", "TileHeight", "MatrixWidth", "MatrixHeight"))
        matrices.append((text(m, "Identifier"), _number(m, "ScaleDenominator", shown_url), left, top,
                         width, height, columns, rows))
    return MatrixSet(text(element, "Identifier"), text(element, "SupportedCRS"), tuple(matrices))


def _layer(element: ET.Element) -> WmtsLayer:
    layer = WmtsLayer(text(element, "Identifier"), text(element, "Title"))
    styles = kids(element, "Style")
    styles.sort(key=lambda s: s.get("isDefault", "").lower() != "true")
    layer.styles = [text(s, "Identifier") for s in styles if text(s, "Identifier")]
    layer.formats = [text(f) for f in kids(element, "Format") if text(f)]
    for link in kids(element, "TileMatrixSetLink"):
        limits = kid(link, "TileMatrixSetLimits")
        allowed = None if limits is None else {text(lim, "TileMatrix") for lim in kids(limits, "TileMatrixLimits")}
        layer.sets[text(link, "TileMatrixSet")] = allowed
    for resource in kids(element, "ResourceURL"):
        if resource.get("resourceType") == "tile" and resource.get("template"):
            layer.templates.setdefault(resource.get("format", ""), resource.get("template", ""))
    for dimension in kids(element, "Dimension"):
        default = text(dimension, "Default") or text(dimension, "Value")
        layer.dimensions[text(dimension, "Identifier")] = default
    return layer


def xyz_zooms(matrix_set: MatrixSet) -> tuple[dict[int, str], int]:
    """({zoom: matrix identifier}, tile size in pixels) of a set that lines up with XYZ tiles; SourceError with
    the reason otherwise."""
    name = repr(matrix_set.identifier)
    if not is_web_mercator(matrix_set.crs):
        raise SourceError(f"the tile matrix set {name} is in {matrix_set.crs or 'no CRS'}, not Web Mercator (EPSG:3857)")
    if not matrix_set.matrices:
        raise SourceError(f"the tile matrix set {name} has no tile matrices")
    zooms: dict[int, str] = {}
    sizes = set()
    for ident, scale, left, top, width, height, columns, rows in matrix_set.matrices:
        if width != height or width not in (256, 512):
            raise SourceError(f"matrix {ident!r} of set {name} has {width}x{height} pixel tiles, not 256 or 512 square")
        sizes.add(width)
        pixel = scale * PIXEL_M
        z_exact = math.log2(2 * WORLD_HALF_M / (pixel * width))
        z = round(z_exact)
        if abs(z_exact - z) > 1e-3 or not 0 <= z <= 30:
            raise SourceError(f"matrix {ident!r} of set {name} has {pixel:.6g} m pixels, which is no XYZ zoom level")
        if abs(left + WORLD_HALF_M) > pixel / 2 or abs(top - WORLD_HALF_M) > pixel / 2:
            raise SourceError(f"matrix {ident!r} of set {name} starts at ({left}, {top}), not at the world's top-left "
                              f"corner ({-WORLD_HALF_M:.2f}, {WORLD_HALF_M:.2f})")
        if columns > 1 << z or rows > 1 << z:
            raise SourceError(f"matrix {ident!r} of set {name} has {columns}x{rows} tiles, more than zoom {z}'s grid")
        if z in zooms:
            raise SourceError(f"matrices {zooms[z]!r} and {ident!r} of set {name} are both zoom {z}")
        zooms[z] = ident
    if len(sizes) > 1:
        raise SourceError(f"the tile matrix set {name} mixes tile sizes {sorted(sizes)}")
    return zooms, sizes.pop()


def matrix_pattern(zooms: dict[int, str], set_name: str) -> str:
    """The matrix identifier as a function of ``{z}``: ``prefix{z}suffix`` fitting every identifier."""
    z0, ident0 = min(zooms.items())
    digits = str(z0)
    start = ident0.find(digits)
    while start >= 0:
        prefix, suffix = ident0[:start], ident0[start + len(digits):]
        if all(ident == f"{prefix}{z}{suffix}" for z, ident in zooms.items()):
            return f"{quote(prefix, safe=':')}{{z}}{quote(suffix, safe=':')}"
        start = ident0.find(digits, start + 1)
    raise SourceError(f"the matrix identifiers of set {set_name!r} ({', '.join(list(zooms.values())[:4])}, ...) are "
                      "not numbered by zoom level, so they cannot be addressed as XYZ tiles")


def tile_template(spec: WmtsSpec, caps: WmtsCapabilities, shown_url: str
                  ) -> tuple[str, str | None, int, int, int, str, str]:
    """(tile URL template, tile format, min zoom, max zoom, tile size, matrix set, style) for the layer asked."""
    if not spec.layer:
        raise SourceError(f"Name the WMTS layer after '#' (wmts:URL#LAYER); the WMTS at {shown_url} offers "
                          f"{listing(list(caps.layers))}.")
    layer = caps.layers.get(spec.layer)
    if layer is None:
        raise SourceError(f"The WMTS at {shown_url} has no layer {spec.layer!r}; it offers {listing(list(caps.layers))}.")
    candidates = [spec.matrix_set] if spec.matrix_set else list(layer.sets)
    if spec.matrix_set and spec.matrix_set not in layer.sets:
        raise SourceError(f"The WMTS layer {layer.identifier!r} at {shown_url} is not offered on the tile matrix set "
                          f"{spec.matrix_set!r}; it is on {listing(list(layer.sets))}.")
    reasons = []
    for name in candidates:
        matrix_set = caps.sets.get(name)
        if matrix_set is None:
            reasons.append(f"the tile matrix set {name!r} is not described in the capabilities")
            continue
        try:
            zooms, size = xyz_zooms(matrix_set)
            allowed = layer.sets[name]
            if allowed is not None:
                zooms = {z: ident for z, ident in zooms.items() if ident in allowed}
                if not zooms:
                    raise SourceError(f"the limits of layer {layer.identifier!r} allow no matrix of set {name!r}")
            pattern = matrix_pattern(zooms, name)
        except SourceError as exc:
            reasons.append(str(exc))
            continue
        fmt = _format(spec.format, layer, shown_url)
        style = spec.style or (layer.styles[0] if layer.styles else "default")
        if spec.style and layer.styles and spec.style not in layer.styles:
            raise SourceError(f"The WMTS layer {layer.identifier!r} at {shown_url} has no style {spec.style!r}; it has "
                              f"{listing(layer.styles)}.")
        template = _rest(layer, fmt, name, pattern, style, shown_url) if fmt in layer.templates else \
            _kvp(caps, layer, fmt, name, pattern, style, shown_url)
        return template, _FORMATS.get(fmt.split(";")[0].strip().lower()), min(zooms), max(zooms), size, name, style
    raise SourceError(f"The WMTS layer {layer.identifier!r} at {shown_url} has no tile matrix set that lines up with "
                      f"XYZ tiles: {'; '.join(reasons) or 'it links to none'}.")


def _format(asked: str | None, layer: WmtsLayer, shown_url: str) -> str:
    offered = layer.formats or list(layer.templates)
    if asked:
        if offered and asked not in offered:
            raise SourceError(f"The WMTS layer {layer.identifier!r} at {shown_url} is not offered as {asked!r}; "
                              f"it is offered as {listing(offered)}.")
        return asked
    return next((f for f in ("image/png", "image/jpeg") if f in offered), offered[0] if offered else "image/png")


def _rest(layer: WmtsLayer, fmt: str, set_name: str, pattern: str, style: str, shown_url: str) -> str:
    values = {"tilematrixset": quote(set_name, safe=":"), "tilematrix": pattern, "tilerow": "{y}",
              "tilecol": "{x}", "style": quote(style, safe=":")}
    values |= {name.lower(): quote(value, safe=":") for name, value in layer.dimensions.items()}

    def fill(match: re.Match[str]) -> str:
        key = match.group(1).lower()
        if key not in values:
            raise SourceError(f"The WMTS tile template of layer {layer.identifier!r} at {shown_url} has the "
                              f"placeholder {match.group(0)}, which its capabilities do not define.")
        return values[key]

    return _TOKEN.sub(fill, layer.templates[fmt])


def _kvp(caps: WmtsCapabilities, layer: WmtsLayer, fmt: str, set_name: str, pattern: str, style: str,
         shown_url: str) -> str:
    if not caps.kvp_url:
        raise SourceError(f"The WMTS at {shown_url} gives layer {layer.identifier!r} neither a REST tile template "
                          f"for {fmt!r} nor a KVP GetTile address.")
    params = [("SERVICE", "WMTS"), ("REQUEST", "GetTile"), ("VERSION", "1.0.0"), ("LAYER", layer.identifier),
              ("STYLE", style), ("TILEMATRIXSET", set_name), ("FORMAT", fmt),
              *((name, value) for name, value in layer.dimensions.items())]
    query = "&".join(f"{k}={quote(v, safe=':')}" for k, v in params)
    base = caps.kvp_url.rstrip("?&")
    return f"{base}{'&' if '?' in base else '?'}{query}&TILEMATRIX={pattern}&TILEROW={{y}}&TILECOL={{x}}"
