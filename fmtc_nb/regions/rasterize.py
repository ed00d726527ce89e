"""Rasterisation: each shape's exact per-row tile spans at one zoom, in world tile units.

A tile belongs to a shape when they overlap with positive area; touching along an edge or at a corner does not
count. Polygon edges and corridor segments are straight in Web Mercator.
"""

from __future__ import annotations

import math

import numpy as np

from fmtc_nb.regions.spans import Spans, empty_spans, merge_spans
from fmtc_nb.tilemath import lat_to_unit, unit_to_lat_rad

SNAP = 2.0**-36
"""World coordinates (0-1) are snapped to multiples of this (about 0.6 mm) so vertices meant on tile lines are."""


def snap(u: np.ndarray) -> np.ndarray:
    return np.round(u / SNAP) * SNAP


def ring_spans(xs: np.ndarray, ys: np.ndarray, n: int) -> Spans:
    """Spans of the even-odd fill of closed rings given as edge arrays in world tile units."""
    xa, ya, xb, yb = xs[:, 0], ys[:, 0], xs[:, 1], ys[:, 1]
    ylo, yhi = np.minimum(ya, yb), np.maximum(ya, yb)
    parts_y, parts_x0, parts_x1 = [], [], []
    # (a) tiles whose open interior an edge passes through
    sloped = yhi > ylo
    r0 = np.floor(ylo).astype(np.int64)
    r1 = np.ceil(yhi).astype(np.int64)  # exclusive
    cnt = np.where(sloped, r1 - r0, 0)
    idx = np.repeat(np.flatnonzero(sloped), cnt[sloped])
    if idx.size:
        first = np.repeat(np.cumsum(cnt[sloped]) - cnt[sloped], cnt[sloped])
        row = r0[idx] + (np.arange(idx.size) - first)
        lo = np.maximum(row, ylo[idx])
        hi = np.minimum(row + 1, yhi[idx])
        dx = (xb - xa)[idx]
        dy = (yb - ya)[idx]
        xl = xa[idx] + (lo - ya[idx]) * dx / dy
        xh = xa[idx] + (hi - ya[idx]) * dx / dy
        smin, smax = np.minimum(xl, xh), np.maximum(xl, xh)
        a = np.floor(smin)
        b = np.where(smax > smin, np.ceil(smax), np.where(smin == a, a, a + 1))
        parts_y.append(row)
        parts_x0.append(a.astype(np.int64))
        parts_x1.append(b.astype(np.int64))
    flat = (~sloped) & (ylo != np.floor(ylo))
    if flat.any():
        parts_y.append(np.floor(ylo[flat]).astype(np.int64))
        lo, hi = np.minimum(xa, xb)[flat], np.maximum(xa, xb)[flat]
        parts_x0.append(np.floor(lo).astype(np.int64))
        parts_x1.append(np.ceil(hi).astype(np.int64))
    # (b) tiles whose centre is inside (scanline y + 0.5, half-open crossing rule)
    c0 = np.ceil(ylo - 0.5).astype(np.int64)
    c1 = np.ceil(yhi - 0.5).astype(np.int64)
    ccnt = np.where(sloped, np.maximum(c1 - c0, 0), 0)
    cidx = np.repeat(np.arange(ylo.size), ccnt)
    if cidx.size:
        first = np.repeat(np.cumsum(ccnt) - ccnt, ccnt)
        row = c0[cidx] + (np.arange(cidx.size) - first)
        s = row + 0.5
        x = xa[cidx] + (s - ya[cidx]) * (xb - xa)[cidx] / (yb - ya)[cidx]
        order = np.lexsort((x, row))
        row, x = row[order], x[order]
        left, right = x[0::2], x[1::2]
        parts_y.append(row[0::2])
        parts_x0.append(np.floor(left + 0.5).astype(np.int64))
        parts_x1.append(np.ceil(right - 0.5).astype(np.int64))
    if not parts_y:
        return empty_spans()
    return merge_spans(np.concatenate(parts_y), np.concatenate(parts_x0), np.concatenate(parts_x1), n)


def _chord_right(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, r: np.ndarray,
                 h: np.ndarray) -> np.ndarray:
    """Right end of the capsule (segment (x0,y0)-(x1,y1), radius r) on the line y = h; -inf where it misses."""
    best = np.full(np.shape(h), -np.inf)
    for xe, ye in ((x0, y0), (x1, y1)):  # round caps
        dy = np.abs(ye - h)
        best = np.where(dy <= r, np.maximum(best, xe + np.sqrt(np.maximum(r * r - dy * dy, 0.0))), best)
    dx, dy = x1 - x0, y1 - y0
    length = np.hypot(dx, dy)
    sloped = dy != 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for sign in (1.0, -1.0):  # the two straight sides
            ox, oy = x0 - sign * r * dy / length, y0 + sign * r * dx / length
            t = (h - oy) / dy
            x = ox + t * dx
            ok = sloped & (t >= 0) & (t <= 1)
            best = np.where(ok, np.maximum(best, x), best)
    return best


def capsule_spans(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, r: np.ndarray, n: int) -> Spans:
    """Spans of tiles overlapping open capsules (arrays per segment, world tile units), all rows they touch."""
    top, bot = np.minimum(y0, y1) - r, np.maximum(y0, y1) + r
    r0 = np.floor(top).astype(np.int64)
    cnt = np.ceil(bot).astype(np.int64) - r0
    seg = np.repeat(np.arange(x0.size), cnt)
    row = r0[seg] + (np.arange(seg.size) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    ya, yb = np.maximum(row, top[seg]), np.minimum(row + 1, bot[seg])
    ends = []
    for flip in (1.0, -1.0):  # right ends, then left ends as right ends of the mirrored capsule
        sx0, sx1 = flip * x0[seg], flip * x1[seg]
        sy0, sy1, rr = y0[seg], y1[seg], r[seg]
        best = np.maximum(_chord_right(sx0, sy0, sx1, sy1, rr, ya), _chord_right(sx0, sy0, sx1, sy1, rr, yb))
        # the capsule's own extreme point, when it lies inside the strip
        right_is_1 = sx1 > sx0
        ye = np.where(right_is_1, sy1, sy0)
        inside = (ye >= ya) & (ye <= yb)
        best = np.where(inside, np.maximum(best, np.maximum(sx0, sx1) + rr), best)
        ends.append(flip * best)
    right, left = ends
    ok = np.isfinite(left) & np.isfinite(right) & (right > left)
    return merge_spans(row[ok], np.floor(left[ok]).astype(np.int64), np.ceil(right[ok]).astype(np.int64), n)


def cap_half_width(lat: float, d: float, phi_a: np.ndarray | float, phi_b: np.ndarray | float) -> np.ndarray:
    """Largest longitude half-width (radians) of the spherical cap centred at latitude ``lat`` (degrees) with
    angular radius ``d`` (radians) over latitude bands [phi_a, phi_b] (radians); -1 where a band misses it."""
    pc = math.radians(lat)
    phi_a, phi_b = np.asarray(phi_a, dtype=float), np.asarray(phi_b, dtype=float)
    best = np.full(np.broadcast(phi_a, phi_b).shape, -1.0)
    s = math.sin(pc) / math.cos(d) if math.cos(d) > 0 else 2.0
    cands = [phi_a, phi_b]
    if abs(s) <= 1:
        cands.append(np.clip(math.asin(s), phi_a, phi_b))
    for phi in cands:
        cosphi = np.cos(phi) * math.cos(pc)
        with np.errstate(divide="ignore", invalid="ignore"):
            arg = (math.cos(d) - np.sin(phi) * math.sin(pc)) / cosphi
        w = np.where(
            arg <= -1,
            math.pi,
            np.where(arg >= 1, np.where(arg == 1, 0.0, -1.0), np.arccos(np.clip(arg, -1, 1))),
        )
        w = np.where(cosphi <= 0, np.where(np.cos(phi - pc) >= math.cos(d), math.pi, -1.0), w)
        best = np.maximum(best, w)
    return best


def cap_spans(lon: float, lat: float, d: float, z: int) -> Spans:
    """Spans at zoom ``z`` of the spherical cap centred at (lon, lat) (degrees) with angular radius ``d``
    (radians); each tile row's widest latitude band gives its x-extent, wrapped around the antimeridian."""
    n = 1 << z
    dd = math.degrees(d)
    north, south = min(90.0, lat + dd), max(-90.0, lat - dd)
    y_top, y_bot = float(lat_to_unit(north)) * n, float(lat_to_unit(south)) * n
    if y_bot <= y_top:
        return empty_spans()
    rows = np.arange(int(math.floor(y_top)), int(math.ceil(y_bot)), dtype=np.int64)
    lo = np.maximum(rows, y_top)
    hi = np.minimum(rows + 1, y_bot)
    w = cap_half_width(lat, d, unit_to_lat_rad(hi / n), unit_to_lat_rad(lo / n))
    ok = w > 0
    rows, w = rows[ok], w[ok]
    full = w >= math.pi
    cx = (lon + 180.0) / 360.0 * n
    half = np.degrees(w) / 360.0 * n
    a0, b0 = np.floor(cx - half), np.ceil(cx + half)
    ys = [rows[full]]
    x0s = [np.zeros(int(full.sum()), dtype=np.int64)]
    x1s = [np.full(int(full.sum()), n, dtype=np.int64)]
    part = ~full
    for shift in (-n, 0, n):  # wrap around the antimeridian
        ys.append(rows[part])
        x0s.append((a0[part] + shift).astype(np.int64))
        x1s.append((b0[part] + shift).astype(np.int64))
    return merge_spans(np.concatenate(ys), np.concatenate(x0s), np.concatenate(x1s), n)
