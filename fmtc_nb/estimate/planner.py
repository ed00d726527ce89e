"""Zoom planner: the deepest max zoom whose download fits a storage budget, with the probability it fits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fmtc_nb.errors import EstimateError
from fmtc_nb.estimate.sizes import Budget, parse_budget
from fmtc_nb.estimate.statistics import CombinedTotal, Interval
from fmtc_nb.units import human_bytes

if TYPE_CHECKING:
    from fmtc_nb.estimate.model import Estimate


@dataclass(frozen=True)
class ZoomOption:
    """Downloading the first zoom up to ``max_zoom``: ``tiles`` (exact), ``storage_bytes`` and the
    ``probability`` that it fits the budget."""

    max_zoom: int
    tiles: int
    storage_bytes: Interval
    probability: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {"max_zoom": self.max_zoom, "tiles": self.tiles, "storage_bytes": self.storage_bytes.to_dict(),
                "probability": self.probability}


@dataclass(frozen=True)
class Plan:
    """``max_zoom``: deepest max zoom whose estimate fits ``budget`` (fits with ``probability``);
    ``safe_max_zoom``: deepest one fitting with at least the estimate's confidence (None if none);
    ``options``: every candidate max zoom."""

    budget: Budget
    min_zoom: int
    max_zoom: int
    probability: float
    safe_max_zoom: int | None
    options: list[ZoomOption]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict."""
        return {"budget": self.budget.amount, "unit": self.budget.unit, "min_zoom": self.min_zoom,
                "max_zoom": self.max_zoom, "probability": self.probability, "safe_max_zoom": self.safe_max_zoom,
                "options": [o.to_dict() for o in self.options]}


def plan_zooms(estimate: Estimate, budget: Budget | str | int) -> Plan:
    """Plan zooms ``first..m`` under ``budget`` (bytes of storage, or tiles); raises :class:`EstimateError`
    if even the first zoom alone does not fit."""
    zooms = [z.zoom for z in estimate.zooms]
    levels, tiles = [], 0
    for i, z in enumerate(estimate.zooms):
        tiles += z.tiles
        levels.append(Level(z.zoom, tiles, estimate.storage_total(zooms[: i + 1])))
    return plan_levels(levels, budget, estimate.confidence)


@dataclass(frozen=True)
class Level:
    """One candidate of a plan: downloading up to ``max_zoom`` takes ``tiles`` (exact) and ``storage``."""

    max_zoom: int
    tiles: int
    storage: CombinedTotal


def plan_levels(levels: list[Level], budget: Budget | str | int, confidence: float = 0.95) -> Plan:
    """The plan over candidate ``levels`` (deeper ones later, each holding the previous); raises
    :class:`EstimateError` when there are none or even the first does not fit ``budget``."""
    budget = budget if isinstance(budget, Budget) else parse_budget(budget)
    if not levels:
        raise EstimateError("The region has no tiles at these zooms, so there is nothing to plan.")
    options: list[ZoomOption] = []
    for level in levels:
        if budget.unit == "tiles":
            probability = 1.0 if level.tiles <= budget.amount else 0.0
        else:
            # zooms first..m+1 fitting implies first..m fit: never more likely than the previous option
            probability = min(level.storage.probability_at_most(budget.amount),
                              options[-1].probability if options else 1.0)
        options.append(ZoomOption(level.max_zoom, level.tiles, level.storage.interval(confidence), probability))
    fitting = [o for o in options if _fits(o, budget)]
    if not fitting:
        first = options[0]
        need = f"{first.tiles:,} tiles" if budget.unit == "tiles" else (
            f"about {human_bytes(first.storage_bytes.estimate)} ({human_bytes(first.storage_bytes.low)}-"
            f"{human_bytes(first.storage_bytes.high)})")
        raise EstimateError(f"No zoom fits the budget of {budget}: zoom {first.max_zoom} alone needs {need}.")
    best = fitting[-1]
    safe = [o for o in options if o.probability >= confidence]
    return Plan(budget, levels[0].max_zoom, best.max_zoom, best.probability, safe[-1].max_zoom if safe else None,
                options)


def _fits(option: ZoomOption, budget: Budget) -> bool:
    if budget.unit == "tiles":
        return option.tiles <= budget.amount
    return option.storage_bytes.estimate <= budget.amount
