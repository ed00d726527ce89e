"""A progress bar with the live figures of a download (tiles, speed, bytes, time left), shared by the download
panel (engine snapshots) and the device panel (the device's progress events)."""

from __future__ import annotations

import html

import ipywidgets as w

from fmtc_nb.engine.progress import ProgressSnapshot
from fmtc_nb.units import human_bytes, human_count, human_duration

BAR_STYLES = {"completed": "success", "cancelled": "warning", "failed": "danger", "paused": "info"}


#: Words for the statuses a person reads in the panels' headers.
STATUS_WORDS = {"pending": "Waiting to start", "running": "Downloading", "paused": "Paused",
                "completed": "Completed", "cancelled": "Cancelled", "failed": "Stopped (failed)"}


def stored_cell(snap: ProgressSnapshot, status: str) -> str:
    """The tiles stored; once paused, only those written to the store, with the ones fetched but not written
    (the store could not be written: a full disk, a lock held by another program) named apart."""
    unwritten = snap.unwritten
    if status != "paused" or not unwritten:
        return f"{snap.cached:,}"
    return f"{snap.flushed:,} (+{unwritten:,} fetched, not written: fetched again on resume)"


def figures_html(snapshot: ProgressSnapshot | None, status: str | None = None) -> str:
    """The figures of a snapshot as a small HTML table (None: before the first one). ``status`` overrides the
    snapshot's (the panel's one state, e.g. "failed" after the device's service was killed). Speed and time
    left are only shown while tiles are being fetched: paused or ended, they read "none"."""
    snap = snapshot or ProgressSnapshot(status="pending")
    status = status or (snap.status if snapshot is not None else "pending")
    moving = status == "running" and snapshot is not None
    rows = [
        ("status", html.escape(status)),
        ("tiles", f"{snap.attempted:,} of {snap.max_tiles:,} ({snap.percentage if snapshot is not None else 0.0:.1f}%)"),
        ("stored / skipped / failed", f"{stored_cell(snap, status)} / {snap.skipped:,} / {snap.failed:,}"),
        ("bytes stored", human_bytes(float(snap.cached_bytes))),
        ("speed", human_count(round(snap.tiles_per_s, 1), "tiles/s") if moving else "none"),
        ("elapsed", human_duration(snap.elapsed_s)),
        ("time left", human_duration(snap.estimated_remaining_s) if moving and snap.remaining else "none"),
    ]
    if moving:
        rows.append(("requests in flight", f"{snap.concurrency_now:,} at most"))
    left = snap.wait_left_s
    if moving and left is not None:
        rows.append(("waiting for the server", f"{human_duration(left)} more: {html.escape(snap.wait_reason or '')}"))
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

    def update(self, snapshot: ProgressSnapshot, status: str | None = None) -> None:
        """Show ``snapshot`` (``status``: the panel's state when it differs from the snapshot's)."""
        status = status or snapshot.status
        self.bar.value = snapshot.percentage
        self.bar.bar_style = BAR_STYLES.get(status, "")
        self.figures.value = figures_html(snapshot, status)
