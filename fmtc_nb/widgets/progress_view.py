"""A progress bar with the live figures of a download (tiles, speed, bytes, time left), shared by the download
panel (engine snapshots) and the device panel (the device's progress events)."""

from __future__ import annotations

import html

import ipywidgets as w

from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.units import human_bytes

BAR_STYLES = {"completed": "success", "cancelled": "warning", "failed": "danger", "paused": "info"}


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "unknown"
    seconds = int(round(seconds))
    return f"{seconds // 3600}h {seconds // 60 % 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m {seconds % 60:02d}s"


def figures_html(snapshot: ProgressSnapshot | None) -> str:
    """The live figures of a snapshot as a small HTML table (None: before the first one)."""
    snap = snapshot or ProgressSnapshot(status="pending")
    live = snap.remaining and snap.status in ("running", "paused")
    rows = [
        ("status", html.escape(snap.status if snapshot is not None else "")),
        ("tiles", f"{snap.attempted:,} of {snap.max_tiles:,} ({snap.percentage if snapshot is not None else 0.0:.1f}%)"),
        ("stored / skipped / failed", f"{snap.cached:,} / {snap.skipped:,} / {snap.failed:,}"),
        ("bytes stored", human_bytes(float(snap.cached_bytes))),
        ("speed", f"{snap.tiles_per_s:,.1f} tiles/s"),
        ("elapsed", _duration(snap.elapsed_s)),
        ("time left", _duration(snap.estimated_remaining_s) if live else "none"),
    ]
    body = "".join(f"<tr><td style='padding-right:1em'>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table class='fmtc-figures'>{body}</table>"


class ProgressView:
    """An overall progress bar and the figures table; :meth:`update` takes a ``ProgressSnapshot``."""

    def __init__(self, title: str = "download") -> None:
        self.bar = w.FloatProgress(value=0.0, min=0.0, max=100.0, description=title, bar_style="",
                                   layout=w.Layout(width="420px"))
        self.figures = w.HTML(figures_html(None))
        self.figures.add_class("fmtc-progress")
        self.widget = w.VBox([self.bar, self.figures])

    def update(self, snapshot: ProgressSnapshot) -> None:
        """Show ``snapshot``."""
        self.bar.value = snapshot.percentage
        self.bar.bar_style = BAR_STYLES.get(snapshot.status, "")
        self.figures.value = figures_html(snapshot)
