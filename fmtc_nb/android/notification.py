"""The progress notification a phone shows while the bridge downloads: its model and how it is built from the
downloading jobs' progress (the bridge shows it; a notebook's device panel draws the same one for a real phone,
whose screen it cannot read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Progress of one active job: (tiles attempted, tiles in the job), earlier runs of a resumed job included.
JobProgress = tuple[int, int]


@dataclass(frozen=True)
class Notification:
    """The progress notification as the phone shows it."""

    title: str
    text: str  # e.g. "42% · 1,234 / 2,938 tiles"
    percent: float  # 0-100
    attempted: int  # tiles attempted so far
    max_tiles: int  # tiles in the job
    ongoing: bool  # true while the job runs (cannot be swiped away)


def progress_notification(snapshots: Sequence[JobProgress]) -> Notification:
    """One notification summing the downloading jobs: percentage and attempted / max tiles (the bridge is in the
    foreground, showing it, only while some job downloads)."""
    attempted = sum(a for a, _ in snapshots)
    max_tiles = sum(m for _, m in snapshots)
    percent = 100.0 * attempted / max_tiles if max_tiles else 0.0
    many = len(snapshots) > 1
    title = f"Downloading {len(snapshots)} offline map regions" if many else "Downloading an offline map region"
    text = f"{percent:.0f}% · {attempted:,} / {max_tiles:,} tiles"
    return Notification(title, text, round(percent, 1), attempted, max_tiles, ongoing=True)
