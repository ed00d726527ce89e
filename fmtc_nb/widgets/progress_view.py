"""A progress bar with the live figures of a download (tiles, speed, bytes, time left), shared by the download
panel (engine snapshots) and the device panel (the device's progress events)."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from fmtc_nb.reports import snapshot_field
from fmtc_nb.units import human_bytes

BAR_STYLES = {"completed": "success", "cancelled": "warning", "failed": "danger", "paused": "info"}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = int(round(seconds))
    return f"{seconds // 3600}h {seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m {seconds % 60:02d}s"


def figures_html(snapshot: Any) -> str:
    """The live figures of a snapshot (``ProgressSnapshot`` or its dict) as a small HTML table."""
    def get(name: str, default: Any = 0) -> Any:
        value = snapshot_field(snapshot, name)
        return default if value is None else value

    speed = float(get("tiles_per_s", 0.0))
    remaining = int(get("remaining", 0))
    rows = [
        ("status", html.escape(str(get("status", "")))),
        ("tiles", f"{int(get('attempted')):,} of {int(get('max_tiles')):,} ({float(get('percentage', 0.0)):.1f}%)"),
        ("stored / skipped / failed", f"{int(get('cached')):,} / {int(get('skipped')):,} / {int(get('failed')):,}"),
        ("bytes stored", human_bytes(float(get("cached_bytes")))),
        ("speed", f"{speed:,.1f} tiles/s"),
        ("elapsed", _duration(float(get("elapsed_s", 0.0)))),
        ("time left", _duration(remaining / speed if speed > 0 else None)
         if remaining and get("status", "") in ("running", "paused", "") else "none"),
    ]
    body = "".join(f"<tr><td style='padding-right:1em'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='fmtc-figures'>{body}</table>"


class ProgressView:
    """An overall progress bar and the figures table; :meth:`update` takes a snapshot (object or dict)."""

    def __init__(self, title: str = "download") -> None:
        self.bar = w.FloatProgress(value=0.0, min=0.0, max=100.0, description=title, bar_style="",
                                   layout=w.Layout(width="420px"))
        self.figures = w.HTML(figures_html({}))
        self.figures.add_class("fmtc-progress")
        self.widget = w.VBox([self.bar, self.figures])

    def update(self, snapshot: Any) -> None:
        """Show ``snapshot``."""
        self.bar.value = float(snapshot_field(snapshot, "percentage") or 0.0)
        self.bar.bar_style = BAR_STYLES.get(str(snapshot_field(snapshot, "status")), "")
        self.figures.value = figures_html(snapshot)
