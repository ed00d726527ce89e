"""Size and time estimates with a confidence interval, and a zoom planner for a storage budget.

``estimate(region, zooms, url)`` samples the region's tiles by zoom (stratified, Neyman allocation, finite-
population correction, small zooms measured in full) and returns an :class:`Estimate` with transfer bytes,
storage bytes (identical tiles stored once), duration, a per-zoom pandas DataFrame and ``plan(budget)``.
"""

from fmtc_nb.estimate.estimator import estimate, estimate_with
from fmtc_nb.estimate.measure import Measurement
from fmtc_nb.estimate.model import Estimate, ZoomEstimate
from fmtc_nb.estimate.planner import Plan, ZoomOption, plan_zooms
from fmtc_nb.estimate.sizes import Budget, parse_budget
from fmtc_nb.estimate.statistics import Interval

__all__ = ["Budget", "Estimate", "Interval", "Measurement", "Plan", "ZoomEstimate", "ZoomOption", "estimate",
           "estimate_with", "parse_budget", "plan_zooms"]
