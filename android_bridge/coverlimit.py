"""How many tiles a job covers, counted with work the device can afford, or a 422 as soon as it is clear that
the job is beyond the device's limits (:class:`~android_bridge.errors.BeyondDeviceLimits`).

Counting a cover enumerates no tiles, but it is not free: at each zoom, every edge of the region adds an entry
for every tile row it crosses, up to about 250 bytes each while the zoom is counted
(``benchmarks/bench_coverlimit.py`` measures it). A 400-vertex polygon whose edges run from 80 N to 80 S
inside one tile column crosses 20 million rows at zoom 16: 4 GB and half a minute, for 57,865 tiles. So, for
each zoom from 0 up to the job's deepest:

- the rows its edges cross are estimated from the region's vertices first (microseconds), and a zoom that
  would cross more than ``max_cover_rows`` is refused before any counting;
- the zoom is counted, and the count is a lower bound for every deeper zoom (a tile of the cover always has
  a child tile in the cover), so a job far beyond ``max_tiles`` is refused after counting shallow zooms only.

The work done is therefore at most about twice that of the deepest zoom, and that is bounded by
``max_cover_rows``. The caller runs this off the event loop.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from android_bridge.config import BridgeConfig
from android_bridge.errors import BeyondDeviceLimits
from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Corridor, MultiRegion, Polygon, Region
from fmtc_nb.tilemath import lat_to_unit, metres_to_unit


def _rows(lats: np.ndarray, n: int, closed: bool) -> np.ndarray:
    """Tile rows (at world size ``n`` tiles) each edge between consecutive latitudes crosses, plus one."""
    y = lat_to_unit(lats) * n
    if closed:
        y = np.append(y, y[:1])
    return np.abs(np.diff(y)) + 2


def row_crossings(region: Region, z: int) -> int:
    """An upper estimate of the (edge, tile row) crossings counting ``region`` at zoom ``z`` takes."""
    n = 1 << z
    if isinstance(region, MultiRegion):
        return sum(row_crossings(part, z) for part in region.regions)
    if isinstance(region, Polygon):
        return int(sum(_rows(ring[:, 1], n, closed=True).sum() for ring in (region.exterior, *region.holes)))
    if isinstance(region, Corridor):
        lats = np.array([lat for _, lat in region.path])
        radius_rows = metres_to_unit(region.radius_m, (lats[:-1] + lats[1:]) / 2) * n  # per segment
        return int((_rows(lats, n, closed=False) + 2 * radius_rows).sum())
    # a rectangle or a circle: a few spans a row over the rows of its bounds
    _, south, _, north = region.bounds
    return int(4 * (float(lat_to_unit(south) - lat_to_unit(north)) * n + 2))


def bounded_total(region: Region, zooms: Iterable[int], config: BridgeConfig) -> int:
    """The exact number of tiles of ``region`` at ``zooms``; :class:`BeyondDeviceLimits` (a 422) as soon as it
    is known to be beyond ``config.max_tiles``, or when a zoom would cross more than ``config.max_cover_rows``
    rows."""
    wanted = sorted(set(zooms))
    counted = 0
    for z in range(wanted[-1] + 1):
        crossings = row_crossings(region, z)
        if crossings > config.max_cover_rows:
            raise BeyondDeviceLimits(f"The region is too detailed for this device at zoom {z}: counting its tiles "
                                f"would cross {crossings:,} tile rows, beyond the limit of {config.max_cover_rows:,}; "
                                "simplify the region or split the job.")
        count = TileCover(region, [z]).total
        here = count if z in wanted else 0
        deeper = sum(1 for w in wanted if w > z)  # each deeper zoom has at least `count` tiles
        at_least = counted + here + deeper * count
        if at_least > config.max_tiles:
            bound = "at least " if deeper else ""
            raise BeyondDeviceLimits(f"The job covers {bound}{at_least:,} tiles, beyond this device's limit of "
                                f"{config.max_tiles:,}.")
        counted += here
    return counted
