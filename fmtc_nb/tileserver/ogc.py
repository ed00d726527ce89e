"""The demo tile server as a WMS, a WMTS and a quadkey tile service, so every kind of source runs offline.

- WMS 1.1.1 and 1.3.0 at ``/wms``: GetCapabilities and GetMap of the layer ``countries`` in EPSG:3857. GetMap is
  strict, as a careful server is: 1.3.0 takes ``CRS=``, 1.1.1 ``SRS=``; BBOX is ``minx,miny,maxx,maxy`` in metres
  (Web Mercator's axes are east, north in both versions) and must be one tile of the XYZ grid; 256 px answers
  that tile's bytes (the very bytes of ``/{z}/{x}/{y}.png``), 512 px its four children drawn as one image.
  Anything else is a ServiceException. Every GetMap is logged in :attr:`OgcRoutes.getmap_log`.
- WMTS 1.0.0: ``/wmts/1.0.0/WMTSCapabilities.xml`` describes the REST binding
  (``/wmts/1.0.0/countries/default/GoogleMapsCompatible/{z}/{y}/{x}.png``); ``/wmts?SERVICE=WMTS&REQUEST=...``
  is the KVP binding (its capabilities name no REST template). One matrix set, GoogleMapsCompatible, zooms 0-22.
- ``/quadkey/{q}.png``: the tile named by a Bing-style quadkey.

Tiles served here count in :attr:`TileApp.hits` like the XYZ ones; fault injection applies to the XYZ route only.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web
from PIL import Image

from fmtc_nb.sources.templates import WORLD_HALF_M, tile_of_bbox_3857, tile_of_quadkey
from fmtc_nb.tilemath import MAX_ZOOM
from fmtc_nb.tileserver.render import ATTRIBUTION, TILE_SIZE

if TYPE_CHECKING:
    from fmtc_nb.tileserver.server import TileApp

LAYER = "countries"
STYLE = "default"
MATRIX_SET = "GoogleMapsCompatible"
#: CRS names the WMS accepts for Web Mercator.
WMS_CRS = ("EPSG:3857", "EPSG:900913")
_WMS_EXCEPTION_TYPE = {"1.1.1": "application/vnd.ogc.se_xml", "1.3.0": "text/xml"}


TileGetter = Callable[[int, int, int], tuple[bytes, str]]


class OgcRoutes:
    """The WMS, WMTS and quadkey handlers of one :class:`TileApp`, answering with ``tile(z, x, y)`` ->
    (PNG bytes, ETag) and ``cache_control``; ``getmap_log`` lists every GetMap as
    ``(version, crs_parameter, crs, bbox_text, width)``."""

    def __init__(self, tile_app: TileApp, tile: TileGetter, cache_control: str) -> None:
        self.tile_app = tile_app
        self.tile = tile
        self.cache_control = cache_control
        self.getmap_log: list[tuple[str, str, str, str, int]] = []

    def register(self, app: web.Application) -> OgcRoutes:
        """Add the routes to ``app``; returns self."""
        app.router.add_get("/wms", self.wms)
        app.router.add_get("/wmts", self.wmts_kvp)
        app.router.add_get("/wmts/1.0.0/WMTSCapabilities.xml", self.wmts_rest_capabilities)
        app.router.add_get(r"/wmts/1.0.0/{layer}/{style}/{set}/{z:\d{1,2}}/{y:\d{1,9}}/{x:\d{1,9}}.png", self.wmts_rest_tile)
        app.router.add_get(r"/quadkey/{q:[0-3]{0,30}}.png", self.quadkey_tile)
        return self

    # -- tiles -------------------------------------------------------------------------------------------
    def _tile(self, z: int, x: int, y: int) -> web.Response:
        self.tile_app.requests += 1
        self.tile_app.hits[(z, x, y)] += 1
        if z > MAX_ZOOM or x >= 1 << z or y >= 1 << z:
            return web.Response(status=404, text="no such tile")
        body, etag = self.tile(z, x, y)
        return web.Response(body=body, content_type="image/png",
                            headers={"ETag": etag, "Cache-Control": self.cache_control, "Access-Control-Allow-Origin": "*"})

    async def quadkey_tile(self, request: web.Request) -> web.Response:
        """The tile of a quadkey."""
        return self._tile(*tile_of_quadkey(request.match_info["q"]))

    # -- WMS ---------------------------------------------------------------------------------------------
    async def wms(self, request: web.Request) -> web.Response:
        """WMS KVP dispatch: GetCapabilities or GetMap (parameter names are case-insensitive)."""
        params = {k.upper(): v for k, v in request.query.items()}
        version = params.get("VERSION", "1.3.0")
        version = version if version in ("1.1.1", "1.3.0") else "1.3.0"
        if params.get("SERVICE", "WMS").upper() != "WMS":
            return _wms_error(version, "InvalidParameterValue", "SERVICE must be WMS.")
        kind = params.get("REQUEST", "").lower()
        if kind == "getcapabilities":
            return _xml(wms_capabilities(_base(request), version))
        if kind == "getmap":
            return self._getmap(params, version)
        return _wms_error(version, "OperationNotSupported", "REQUEST must be GetCapabilities or GetMap.")

    def _getmap(self, params: dict[str, str], version: str) -> web.Response:
        crs_param = "CRS" if version == "1.3.0" else "SRS"
        wrong = "SRS" if version == "1.3.0" else "CRS"
        if crs_param not in params:
            hint = f" (WMS {version} names it {crs_param}, not {wrong})" if wrong in params else ""
            return _wms_error(version, "MissingParameterValue", f"GetMap needs {crs_param}{hint}.")
        crs = params[crs_param].upper()
        if crs not in WMS_CRS:
            code = "InvalidCRS" if version == "1.3.0" else "InvalidSRS"
            return _wms_error(version, code, f"{crs} is not offered; use EPSG:3857.")
        if params.get("LAYERS") != LAYER or params.get("STYLES", "") not in ("", STYLE):
            return _wms_error(version, "LayerNotDefined", f"The only layer is {LAYER!r} with style {STYLE!r}.")
        if params.get("FORMAT", "").lower() != "image/png":
            return _wms_error(version, "InvalidFormat", "The only format is image/png.")
        width, height = params.get("WIDTH", ""), params.get("HEIGHT", "")
        if width != height or width not in (str(TILE_SIZE), str(2 * TILE_SIZE)):
            return _wms_error(version, "InvalidParameterValue", "WIDTH and HEIGHT must both be 256 or both 512.")
        try:
            box = tuple(float(v) for v in params.get("BBOX", "").split(","))
        except ValueError:
            box = ()
        if len(box) != 4:
            return _wms_error(version, "InvalidParameterValue", "BBOX must be minx,miny,maxx,maxy.")
        self.getmap_log.append((version, crs_param, crs, params["BBOX"], int(width)))
        size = int(width)
        tile = tile_of_bbox_3857((box[0], box[1], box[2], box[3]), MAX_ZOOM - (size > TILE_SIZE))
        if tile is None:
            return _wms_error(version, "InvalidParameterValue",
                              "This demo WMS draws boxes that are one tile of the XYZ grid in EPSG:3857 "
                              "(minx,miny,maxx,maxy in metres).")
        if size == TILE_SIZE:
            return self._tile(*tile)
        return web.Response(body=double_tile(self.tile, *tile), content_type="image/png")

    # -- WMTS --------------------------------------------------------------------------------------------
    async def wmts_rest_capabilities(self, request: web.Request) -> web.Response:
        """Capabilities of the REST binding."""
        return _xml(wmts_capabilities(_base(request), rest=True))

    async def wmts_rest_tile(self, request: web.Request) -> web.Response:
        """A REST GetTile."""
        info = request.match_info
        if (info["layer"], info["style"], info["set"]) != (LAYER, STYLE, MATRIX_SET):
            return _wmts_error("InvalidParameterValue", "No such layer, style or tile matrix set.", 404)
        return self._tile(int(info["z"]), int(info["x"]), int(info["y"]))

    async def wmts_kvp(self, request: web.Request) -> web.Response:
        """KVP dispatch: GetCapabilities (of the KVP binding) or GetTile."""
        params = {k.upper(): v for k, v in request.query.items()}
        kind = params.get("REQUEST", "").lower()
        if kind == "getcapabilities":
            return _xml(wmts_capabilities(_base(request), rest=False))
        if kind != "gettile":
            return _wmts_error("OperationNotSupported", "REQUEST must be GetCapabilities or GetTile.")
        expected = {"LAYER": LAYER, "STYLE": STYLE, "TILEMATRIXSET": MATRIX_SET, "FORMAT": "image/png"}
        for key, value in expected.items():
            if params.get(key) != value:
                return _wmts_error("InvalidParameterValue", f"{key} must be {value}.")
        numbers = [params.get(k, "") for k in ("TILEMATRIX", "TILEROW", "TILECOL")]
        if not all(n.isdigit() and len(n) < 10 for n in numbers):
            return _wmts_error("InvalidParameterValue", "TILEMATRIX, TILEROW and TILECOL must be whole numbers.")
        z, y, x = (int(n) for n in numbers)
        return self._tile(z, x, y)


def double_tile(tile: TileGetter, z: int, x: int, y: int) -> bytes:
    """A 512-pixel PNG of tile z/x/y: its four children at zoom z + 1 (from ``tile``), side by side."""
    children = [Image.open(io.BytesIO(tile(z + 1, 2 * x + dx, 2 * y + dy)[0])).convert("RGBA")
                for dy in (0, 1) for dx in (0, 1)]
    image = Image.new("RGBA", (2 * TILE_SIZE, 2 * TILE_SIZE))
    for i, child in enumerate(children):
        image.paste(child, ((i % 2) * TILE_SIZE, (i // 2) * TILE_SIZE))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=6)
    return out.getvalue()


def _base(request: web.Request) -> str:
    return str(request.url.origin())


def _xml(document: str) -> web.Response:
    return web.Response(text=document, content_type="text/xml", headers={"Access-Control-Allow-Origin": "*"})


def _wms_error(version: str, code: str, message: str) -> web.Response:
    namespace = ' xmlns="http://www.opengis.net/ogc"' if version == "1.3.0" else ""
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ServiceExceptionReport version="{version}"{namespace}>'
            f'<ServiceException code="{code}">{escape(message)}</ServiceException></ServiceExceptionReport>')
    return web.Response(status=400, text=body, content_type=_WMS_EXCEPTION_TYPE[version])


def _wmts_error(code: str, message: str, status: int = 400) -> web.Response:
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<ExceptionReport xmlns="http://www.opengis.net/ows/1.1" '
            f'version="1.1.0"><Exception exceptionCode="{code}"><ExceptionText>{escape(message)}</ExceptionText>'
            '</Exception></ExceptionReport>')
    return web.Response(status=status, text=body, content_type="text/xml")


def wms_capabilities(base: str, version: str) -> str:
    """The WMS capabilities document of the demo server at ``base`` (``http://127.0.0.1:PORT``)."""
    href = quoteattr(f"{base}/wms?")
    dcp = f'<DCPType><HTTP><Get><OnlineResource xlink:type="simple" xlink:href={href}/></Get></HTTP></DCPType>'
    w, s, e, n = -180.0, -85.0511287798, 180.0, 85.0511287798
    if version == "1.3.0":
        head = ('<WMS_Capabilities version="1.3.0" xmlns="http://www.opengis.net/wms" '
                'xmlns:xlink="http://www.w3.org/1999/xlink">')
        crs = "".join(f"<CRS>{c}</CRS>" for c in WMS_CRS)
        extent = (f"<EX_GeographicBoundingBox><westBoundLongitude>{w}</westBoundLongitude><eastBoundLongitude>{e}"
                  f"</eastBoundLongitude><southBoundLatitude>{s}</southBoundLatitude><northBoundLatitude>{n}"
                  "</northBoundLatitude></EX_GeographicBoundingBox>")
        box = f'<BoundingBox CRS="EPSG:3857" minx="{-WORLD_HALF_M}" miny="{-WORLD_HALF_M}" maxx="{WORLD_HALF_M}" maxy="{WORLD_HALF_M}"/>'
        exception, tail = "<Format>XML</Format>", "</WMS_Capabilities>"
    else:
        head = '<WMT_MS_Capabilities version="1.1.1" xmlns:xlink="http://www.w3.org/1999/xlink">'
        crs = "".join(f"<SRS>{c}</SRS>" for c in WMS_CRS)
        extent = f'<LatLonBoundingBox minx="{w}" miny="{s}" maxx="{e}" maxy="{n}"/>'
        box = f'<BoundingBox SRS="EPSG:3857" minx="{-WORLD_HALF_M}" miny="{-WORLD_HALF_M}" maxx="{WORLD_HALF_M}" maxy="{WORLD_HALF_M}"/>'
        exception, tail = "<Format>application/vnd.ogc.se_xml</Format>", "</WMT_MS_Capabilities>"
    caps_format = "text/xml" if version == "1.3.0" else "application/vnd.ogc.wms_xml"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{head}'
        f"<Service><Name>{'WMS' if version == '1.3.0' else 'OGC:WMS'}</Name><Title>fmtc-nb demo WMS</Title>"
        f'<OnlineResource xlink:type="simple" xlink:href={href}/></Service>'
        f"<Capability><Request><GetCapabilities><Format>{caps_format}</Format>{dcp}</GetCapabilities>"
        f"<GetMap><Format>image/png</Format>{dcp}</GetMap></Request><Exception>{exception}</Exception>"
        f"<Layer><Title>fmtc-nb demo</Title>{crs}{extent}{box}"
        f'<Layer queryable="0"><Name>{LAYER}</Name><Title>Natural Earth countries</Title>{extent}{box}'
        f"<Attribution><Title>{escape(ATTRIBUTION)}</Title></Attribution>"
        f"<Style><Name>{STYLE}</Name><Title>Default</Title></Style></Layer></Layer></Capability>{tail}"
    )


def wmts_capabilities(base: str, *, rest: bool) -> str:
    """The WMTS capabilities of the demo server at ``base``: the REST binding's (``rest``) or the KVP one's."""
    kvp = quoteattr(f"{base}/wmts?")
    encoding = "RESTful" if rest else "KVP"
    get = (f"<ows:DCP><ows:HTTP><ows:Get xlink:href={kvp}><ows:Constraint name=\"GetEncoding\"><ows:AllowedValues>"
           f"<ows:Value>{encoding}</ows:Value></ows:AllowedValues></ows:Constraint></ows:Get></ows:HTTP></ows:DCP>")
    operations = "".join(f'<ows:Operation name="{op}">{get}</ows:Operation>' for op in ("GetCapabilities", "GetTile"))
    template = f"{base}/wmts/1.0.0/{LAYER}/{{Style}}/{{TileMatrixSet}}/{{TileMatrix}}/{{TileRow}}/{{TileCol}}.png"
    resource = f'<ResourceURL format="image/png" resourceType="tile" template={quoteattr(template)}/>' if rest else ""
    matrices = []
    for z in range(MAX_ZOOM + 1):
        scale = 2 * WORLD_HALF_M / (TILE_SIZE * (1 << z)) / 0.00028
        matrices.append(
            f"<TileMatrix><ows:Identifier>{z}</ows:Identifier><ScaleDenominator>{scale!r}</ScaleDenominator>"
            f"<TopLeftCorner>{-WORLD_HALF_M!r} {WORLD_HALF_M!r}</TopLeftCorner><TileWidth>{TILE_SIZE}</TileWidth>"
            f"<TileHeight>{TILE_SIZE}</TileHeight><MatrixWidth>{1 << z}</MatrixWidth>"
            f"<MatrixHeight>{1 << z}</MatrixHeight></TileMatrix>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Capabilities xmlns="http://www.opengis.net/wmts/1.0" '
        'xmlns:ows="http://www.opengis.net/ows/1.1" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.0.0">'
        "<ows:ServiceIdentification><ows:Title>fmtc-nb demo WMTS</ows:Title><ows:ServiceType>OGC WMTS"
        "</ows:ServiceType><ows:ServiceTypeVersion>1.0.0</ows:ServiceTypeVersion></ows:ServiceIdentification>"
        f"<ows:OperationsMetadata>{operations}</ows:OperationsMetadata><Contents>"
        f"<Layer><ows:Title>Natural Earth countries</ows:Title><ows:Abstract>{escape(ATTRIBUTION)}</ows:Abstract>"
        "<ows:WGS84BoundingBox><ows:LowerCorner>-180 -85.0511287798</ows:LowerCorner>"
        "<ows:UpperCorner>180 85.0511287798</ows:UpperCorner></ows:WGS84BoundingBox>"
        f'<ows:Identifier>{LAYER}</ows:Identifier><Style isDefault="true"><ows:Identifier>{STYLE}</ows:Identifier>'
        f"</Style><Format>image/png</Format><TileMatrixSetLink><TileMatrixSet>{MATRIX_SET}</TileMatrixSet>"
        f"</TileMatrixSetLink>{resource}</Layer>"
        f"<TileMatrixSet><ows:Identifier>{MATRIX_SET}</ows:Identifier>"
        "<ows:SupportedCRS>urn:ogc:def:crs:EPSG::3857</ows:SupportedCRS>"
        f"<WellKnownScaleSet>urn:ogc:def:wkss:OGC:1.0:GoogleMapsCompatible</WellKnownScaleSet>{''.join(matrices)}"
        f"</TileMatrixSet></Contents></Capabilities>"
    )
