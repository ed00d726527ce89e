"""Per-row tile spans: the shape every region is rasterised to, and their merge and union.

Spans are numpy arrays ``(y, x0, x1)`` of one zoom (x1 exclusive, in tiles), sorted by y then x0, disjoint and
not touching within a row. This module imports nothing of fmtc_nb.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

Spans = tuple[np.ndarray, np.ndarray, np.ndarray]


def empty_spans() -> Spans:
    """No spans."""
    e = np.zeros(0, dtype=np.int64)
    return e, e.copy(), e.copy()


def merge_spans(y: np.ndarray, x0: np.ndarray, x1: np.ndarray, n: int) -> Spans:
    """Union of possibly overlapping spans clipped to [0, n): sorted, disjoint, non-touching, per row."""
    y = np.asarray(y, dtype=np.int64)
    x0 = np.clip(np.asarray(x0, dtype=np.int64), 0, n)
    x1 = np.clip(np.asarray(x1, dtype=np.int64), 0, n)
    keep = (x1 > x0) & (y >= 0) & (y < n)
    y, x0, x1 = y[keep], x0[keep], x1[keep]
    if y.size == 0:
        return empty_spans()
    order = np.lexsort((x0, y))
    y, x0, x1 = y[order], x0[order], x1[order]
    big = np.int64(n + 1)
    reach = np.maximum.accumulate(x1 + y * big) - y * big  # running max of x1 within the row
    prev = np.empty_like(reach)
    prev[0] = -1
    prev[1:] = reach[:-1]
    new_row = np.ones(y.size, dtype=bool)
    new_row[1:] = y[1:] != y[:-1]
    start = new_row | (x0 > prev)
    idx = np.flatnonzero(start)
    ends = np.append(idx[1:], y.size) - 1
    return y[idx], x0[idx], reach[ends]


def union_spans(parts: Iterable[Spans], n: int) -> Spans:
    """Union of several span sets at one zoom (world width ``n`` tiles)."""
    parts = [p for p in parts if p[0].size]
    if not parts:
        return empty_spans()
    if len(parts) == 1:
        return parts[0]
    ys, x0s, x1s = zip(*parts, strict=True)
    return merge_spans(np.concatenate(ys), np.concatenate(x0s), np.concatenate(x1s), n)
