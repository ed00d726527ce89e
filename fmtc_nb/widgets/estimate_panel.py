"""The estimate panel: zoom range and storage budget in, bytes and time with their intervals and the zoom
planner's answer out (a sample of the region's tiles is fetched from the source).

>>> panel = EstimatePanel(picker, server.url_template, budget="20MB")   # doctest: +SKIP
>>> panel.run()        # or press "Estimate"; panel.estimate.per_zoom is the per-zoom DataFrame
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from fmtc_nb.errors import FmtcError
from fmtc_nb.estimate import Estimate, Interval, Plan, estimate
from fmtc_nb.regions import Region
from fmtc_nb.units import human_bytes, human_duration
from fmtc_nb.zooms import parse_zooms

if TYPE_CHECKING:
    import pandas as pd


def _interval(iv: Interval, fmt: Any) -> str:
    """``estimate (low – high)``; an unbounded high (a zoom nothing is known about) reads 'no upper bound'."""
    high = fmt(iv.high) if math.isfinite(iv.high) else "no upper bound"
    return f"{fmt(iv.estimate)} <span style='color:#555'>({fmt(iv.low)} – {high})</span>"


def _bytes_range(estimate_b: float, low: float, high: float) -> str:
    return f"{human_bytes(estimate_b)} ({human_bytes(low)} – {human_bytes(high) if math.isfinite(high) else 'no upper bound'})"


def per_zoom_readable(per_zoom: pd.DataFrame) -> pd.DataFrame:
    """The per-zoom estimate (``Estimate.per_zoom``, raw numbers) as text for people: thousands separators,
    sizes in kB/MB with their range, response times in ms."""
    import pandas as pd

    rows = {z: {"tiles": f"{int(r.tiles):,}", "sampled": f"{int(r.sampled):,}",
                "mean tile": human_bytes(float(r.mean_bytes)),
                "download": _bytes_range(r.bytes, r.bytes_low, r.bytes_high),
                "storage": _bytes_range(r.storage_bytes, r.storage_bytes_low, r.storage_bytes_high),
                "mean response": f"{1000 * float(r.mean_response_s):,.0f} ms"}
            for z, r in per_zoom.iterrows()}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "zoom"
    return frame


def estimate_html(est: Estimate, plan: Plan | None) -> str:
    """The estimate's headline figures and the planner's answer as HTML."""
    pct = f"{est.confidence:.0%}"
    rows = [("tiles", f"{est.tiles:,} (exact)"),
            ("download", _interval(est.bytes, human_bytes)),
            ("storage", _interval(est.storage_bytes, human_bytes)),
            ("time", _interval(est.duration_s, human_duration)),
            ("sample", f"{est.requests:,} requests")]
    body = "".join(f"<tr><td style='padding-right:1em'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    text = f"<table class='fmtc-estimate'>{body}</table><div style='color:#555'>ranges: {pct} intervals</div>"
    if plan is not None:
        safe = (f"zoom {plan.min_zoom}–{plan.safe_max_zoom} fits with at least {pct} probability"
                if plan.safe_max_zoom is not None else "no max zoom fits with that confidence")
        text += (f"<div class='fmtc-plan'><b>Planner:</b> with {html.escape(str(plan.budget))}, download zoom "
                 f"{plan.min_zoom}–{plan.max_zoom} (fits with probability {plan.probability:.0%}); {safe}.</div>")
    return text


class PickedRegion:
    """What a panel built on a region picker (or a fixed region) reads: ``source`` (a :class:`Region` or a
    picker) and ``zoom_range`` (a range slider of zoom levels)."""

    source: Any
    zoom_range: Any

    @property
    def region(self) -> Region | None:
        """The panel's region (the picker's current one when built from a picker)."""
        return self.source if isinstance(self.source, Region) else getattr(self.source, "region", None)

    @property
    def zooms(self) -> list[int]:
        """The zoom levels chosen (from the slider's low to its high end)."""
        low, high = self.zoom_range.value
        return list(range(low, high + 1))


class EstimatePanel(PickedRegion):
    """Estimates the download of ``region`` (a Region, or a :class:`RegionPicker` whose current region and
    zooms are used) from ``url_template``; ``budget`` like "20MB" or "5000tiles" feeds the planner.
    ``samples`` caps the requests, ``seed`` makes the sample repeatable, ``parallel``/``rate_limit`` set the
    download the time refers to."""

    def __init__(self, region: Any, url_template: str, *, zooms: Any = None, budget: str = "50MB",
                 samples: int | None = None, seed: int | None = 0, parallel: int = 16,
                 rate_limit: float | None = None) -> None:
        self.source = region
        self.url_template = url_template
        self.samples, self.seed, self.parallel, self.rate_limit = samples, seed, parallel, rate_limit
        levels = parse_zooms(zooms) if zooms is not None else getattr(region, "zooms", list(range(0, 13)))
        #: True when the zooms follow the picker's zoom slider (a picker given and no ``zooms=``).
        self.follows_picker = zooms is None and hasattr(region, "on_change")
        self.estimate: Estimate | None = None
        self.plan: Plan | None = None
        self.error: str | None = None
        self.zoom_range = w.IntRangeSlider(value=(levels[0], levels[-1]), min=0, max=22, description="zooms",
                                           continuous_update=False)
        self.budget = w.Text(value=budget, description="budget", placeholder="20MB, 2GiB or 5000tiles")
        self.button = w.Button(description="Estimate", icon="calculator", button_style="primary")
        self.button.on_click(lambda _b: self.run())
        self.result = w.HTML("<i>Press Estimate: a sample of the tiles is fetched to measure sizes and speed.</i>")
        self.result.add_class("fmtc-estimate-result")
        self.table = w.Output()
        self.link_note = w.HTML(self._link_text())
        self.widget = w.VBox([w.HBox([self.zoom_range, self.budget, self.button]), self.link_note, self.result,
                              self.table])
        if self.follows_picker:
            region.on_change(self._on_picker)
        self._estimated_for: tuple[Region | None, list[int]] | None = None

    def run(self) -> Estimate | None:
        """Estimate now (blocking: a few seconds on the embedded server) and show the result."""
        self.error, self.estimate, self.plan = None, None, None
        region = self.region
        self.link_note.value = self._link_text()
        if region is None:
            self.error = "There is no region yet: draw one on the map first."
        else:
            self.button.disabled = True
            self.result.value = "<i>Sampling tiles…</i>"
            try:
                self.estimate = estimate(region, self.zooms, self.url_template, samples=self.samples,
                                         seed=self.seed, parallel=self.parallel, rate_limit=self.rate_limit)
                if self.budget.value.strip():
                    self.plan = self.estimate.plan(self.budget.value)
            except FmtcError as exc:
                self.error = str(exc)
            finally:
                self.button.disabled = False
        if self.error:
            self.result.value = f"<div class='fmtc-error' style='color:#c92a2a'>{html.escape(self.error)}</div>"
        if self.estimate is not None:
            self.result.value = estimate_html(self.estimate, self.plan) + self.result.value * bool(self.error)
            self.table.clear_output()
            with self.table:
                from IPython.display import display

                display(per_zoom_readable(self.estimate.per_zoom))
            self._estimated_for = (region, self.zooms)
        return self.estimate

    @property
    def stale(self) -> bool:
        """True when the region or the zooms changed since the figures shown were estimated."""
        return self._estimated_for is not None and self._estimated_for != (self.region, self.zooms)

    def _link_text(self) -> str:
        if self.follows_picker:
            return "<div style='color:#555'>Zooms and region follow the map's picker.</div>"
        if hasattr(self.source, "on_change"):
            return ("<div style='color:#555'>Zooms set here (they do not follow the picker's slider); "
                    "the region follows the picker.</div>")
        return ""

    def _on_picker(self, picker: Any) -> None:
        """The picker changed: take its zooms and say when the figures shown no longer match."""
        levels = picker.zooms
        self.zoom_range.value = (levels[0], levels[-1])
        if self.stale:
            self.link_note.value = ("<div class='fmtc-stale' style='color:#e8590c'><b>The region or zooms changed "
                                    f"(now zoom {levels[0]}–{levels[-1]}):</b> the figures below are for the "
                                    "previous ones; press Estimate again.</div>")
        else:
            self.link_note.value = self._link_text()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
