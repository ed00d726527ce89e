"""Estimating a pack before downloading it: the plan (tiles per source at its clipped zooms, resource files)
and, per tile source, the estimator's sampled size and time.

The pack's totals add the sources' figures up. Storage, which the planner budgets, is one total: the sources'
estimated totals added with their variances (Welch-Satterthwaite degrees of freedom), as
:meth:`PackEstimate.plan_zooms` does, so both give the same interval. Transfer bytes and durations add the
sources' bounds (conservative: each source's interval holds at its confidence, so the sum of the bounds holds
at least at ``1 - k * (1 - confidence)`` for ``k`` sources); durations add up since sources run one after the
other. Resource files (sprites, glyph ranges) are counted, not sized (a few hundred kB at most for Latin).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fmtc_nb.estimate.model import Estimate
from fmtc_nb.estimate.planner import Level, Plan, plan_levels
from fmtc_nb.estimate.sizes import Budget
from fmtc_nb.estimate.statistics import Interval, add_totals
from fmtc_nb.packs.plan import PackPlan, plan_pack
from fmtc_nb.packs.style import load_style


def _sum(intervals: list[Interval]) -> Interval:
    return Interval(sum(i.estimate for i in intervals), sum(i.low for i in intervals),
                    sum(i.high for i in intervals), min((i.confidence for i in intervals), default=0.95))


@dataclass(frozen=True)
class PackEstimate:
    """The plan and an :class:`~fmtc_nb.estimate.Estimate` per tile source (by id), with totals."""

    plan: PackPlan
    sources: dict[str, Estimate]

    @property
    def tiles(self) -> int:
        """Tiles of every source."""
        return self.plan.tiles

    @property
    def bytes(self) -> Interval:
        """Transfer bytes of the tiles, summed."""
        return _sum([e.bytes for e in self.sources.values()])

    @property
    def storage_bytes(self) -> Interval:
        """Stored bytes of the tiles (identical tiles once per store): the sources' totals added."""
        totals = [self.sources[s.id].storage_total(s.zooms) for s in self.plan.sources]
        return add_totals(totals).interval(self.confidence)

    @property
    def confidence(self) -> float:
        """The confidence of the intervals (the lowest of the sources')."""
        return min((e.confidence for e in self.sources.values()), default=0.95)

    @property
    def duration_s(self) -> Interval:
        """Seconds for the tiles, the sources one after the other."""
        return _sum([e.duration_s for e in self.sources.values()])

    def plan_zooms(self, budget: Budget | str | int) -> Plan:
        """The deepest max zoom whose pack fits ``budget`` (storage bytes, or tiles), with the probability it
        fits: at max zoom ``m`` every source downloads its own zooms up to ``m`` (see
        :func:`fmtc_nb.estimate.planner.plan_levels`); the sources' storage totals are added up."""
        levels = []
        for top in sorted({z for s in self.plan.sources for z in s.zooms}):
            tiles, totals = 0, []
            for source in self.plan.sources:
                zooms = [z for z in source.zooms if z <= top]
                if zooms:
                    estimate = self.sources[source.id]
                    tiles += sum(z.tiles for z in estimate.zooms if z.zoom in zooms)
                    totals.append(estimate.storage_total(zooms))
            levels.append(Level(top, tiles, add_totals(totals)))
        return plan_levels(levels, budget, self.confidence)

    def to_dict(self, plan: Plan | None = None) -> dict[str, Any]:
        """JSON-safe dict (``fmtc-nb estimate --style --json``), with ``plan`` if given."""
        return ({"plan": plan.to_dict()} if plan is not None else {}) | {"tiles": self.tiles, "resources": len(self.plan.resources), "bytes": self.bytes.to_dict(),
                "storage_bytes": self.storage_bytes.to_dict(), "duration_s": self.duration_s.to_dict(),
                "sources": {s.id: {"type": s.type, "zooms": s.zooms, "min_zoom": s.min_zoom, "max_zoom": s.max_zoom,
                                   "estimate": self.sources[s.id].to_dict()} for s in self.plan.sources},
                "font_stacks": self.plan.font_stacks, "left_out": self.plan.left_out}


def estimate_pack(region: Any, zooms: Any, style: str, *, glyphs: str = "latin", samples: int | None = None,
                  seed: int | None = None, parallel: int = 16, rate_limit: float | None = None,
                  headers: Mapping[str, str] | None = None, contact: str | None = None,
                  network: Any = None) -> PackEstimate:
    """Plan the pack of ``style`` for ``region`` at ``zooms`` and estimate each tile source (``samples`` requests
    per source at most; ``network``: the download's ``DownloadOptions``, for its proxy, CA bundle...). Blocking."""
    from fmtc_nb.engine.job import DownloadOptions
    from fmtc_nb.estimate import estimate
    from fmtc_nb.packs.job import PackJob
    from fmtc_nb.zooms import parse_zooms

    job = PackJob(region, parse_zooms(zooms), style, "estimate", network or DownloadOptions(), glyphs,
                  dict(headers or {}), contact)  # its headers, sources and network as the pack's download's
    fetch = job.document_fetch()
    plan = plan_pack(load_style(style, fetch), region, job.zooms, job.store, glyphs=glyphs, fetch=fetch)
    results = {}
    for source in plan.sources:
        results[source.id] = estimate(region, source.zooms, job.tile_source(source.template, source.tile_format),
                                      samples=samples, seed=seed, parallel=parallel, rate_limit=rate_limit,
                                      network=job.options)
    return PackEstimate(plan, results)
