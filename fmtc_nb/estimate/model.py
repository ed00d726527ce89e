"""The result of an estimate: overall intervals, per-zoom figures (a pandas DataFrame for notebooks), JSON."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from fmtc_nb.estimate.statistics import CombinedTotal, Interval, StratumTotal, combine

if TYPE_CHECKING:
    import pandas as pd

    from fmtc_nb.estimate.measure import Throttling
    from fmtc_nb.estimate.planner import Plan
    from fmtc_nb.estimate.sizes import Budget


@dataclass(frozen=True)
class ZoomEstimate:
    """Figures for one zoom: ``tiles`` in the cover, ``sampled`` tiles measured (``exact`` if all were),
    answers by kind, mean/sd of the tile size in bytes, transfer and storage bytes with intervals,
    ``duplicate_share`` of sampled tiles whose body repeats, and ``mean_response_s`` in seconds."""

    zoom: int
    tiles: int
    sampled: int
    exact: bool
    ok: int
    negative: int
    failed: int
    mean_bytes: float
    sd_bytes: float
    bytes: Interval
    storage_bytes: Interval
    duplicate_share: float
    mean_response_s: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (intervals as {"estimate", "low", "high", "confidence"})."""
        return {"zoom": self.zoom, "tiles": self.tiles, "sampled": self.sampled, "exact": self.exact,
                "ok": self.ok, "negative": self.negative, "failed": self.failed,
                "mean_bytes": self.mean_bytes, "sd_bytes": self.sd_bytes, "bytes": self.bytes.to_dict(),
                "storage_bytes": self.storage_bytes.to_dict(), "duplicate_share": self.duplicate_share,
                "mean_response_s": self.mean_response_s}


@dataclass
class Estimate:
    """Size and time of downloading a region: ``tiles`` (exact), ``requests`` the estimate made, transfer
    ``bytes``, ``storage_bytes`` (identical tiles stored once) and ``duration_s`` (seconds at ``parallel``
    requests and ``rate_limit`` tiles/s, the waits of a throttling server included), each an :class:`Interval`;
    ``zooms`` per zoom."""

    tiles: int
    requests: int
    bytes: Interval
    storage_bytes: Interval
    duration_s: Interval
    zooms: list[ZoomEstimate]
    parallel: int
    rate_limit: float | None
    confidence: float
    #: How the server throttled the sample (None: not measured by a prober); ``duration_s`` includes the waits.
    throttling: Throttling | None = None
    storage_parts: dict[int, StratumTotal] = field(repr=False, default_factory=dict)
    repeated_bodies: dict[builtins.bytes, tuple[int, frozenset[int]]] = field(repr=False, default_factory=dict)

    @property
    def per_zoom(self) -> pd.DataFrame:
        """One row per zoom (pandas DataFrame): tiles, sampled, exact, answers, sizes and intervals."""
        import pandas as pd

        rows = []
        for z in self.zooms:
            row = {k: v for k, v in z.to_dict().items() if not isinstance(v, dict)}
            for name in ("bytes", "storage_bytes"):
                iv: Interval = getattr(z, name)
                row |= {name: iv.estimate, f"{name}_low": iv.low, f"{name}_high": iv.high}
            rows.append(row)
        return pd.DataFrame(rows).set_index("zoom") if rows else pd.DataFrame()

    def storage_total(self, zooms: Iterable[int]) -> CombinedTotal:
        """Storage bytes of downloading only ``zooms``: unique tiles estimated, each repeated body once."""
        return storage_total(self.storage_parts, self.repeated_bodies, zooms)

    def plan(self, budget: Budget | str | int) -> Plan:
        """The deepest max zoom whose storage fits ``budget`` (see :func:`fmtc_nb.estimate.planner.plan_zooms`)."""
        from fmtc_nb.estimate.planner import plan_zooms

        return plan_zooms(self, budget)

    def to_dict(self, plan: Plan | None = None) -> dict[str, Any]:
        """The JSON document of ``fmtc-nb estimate --json``."""
        doc: dict[str, Any] = {
            "tiles": self.tiles, "requests": self.requests, "bytes": self.bytes.to_dict(),
            "storage_bytes": self.storage_bytes.to_dict(), "duration_s": self.duration_s.to_dict(),
            "per_zoom": [z.to_dict() for z in self.zooms],
        }
        if self.throttling is not None:
            doc["throttling"] = asdict(self.throttling)
        if plan is not None:
            doc["plan"] = plan.to_dict()
        return doc


def storage_total(parts: dict[int, StratumTotal], repeated_bodies: dict[bytes, tuple[int, frozenset[int]]],
                  zooms: Iterable[int]) -> CombinedTotal:
    """Storage bytes of ``zooms``: the estimated total of tiles whose body was seen once (``parts``, per
    zoom) plus, once each, the size of every repeated body seen at one of ``zooms``."""
    wanted = set(zooms)
    once = sum(size for size, seen in repeated_bodies.values() if seen & wanted)
    total = combine([p for z, p in parts.items() if z in wanted])
    return CombinedTotal(total.total + once, total.standard_error, total.df, total.observed + once)
