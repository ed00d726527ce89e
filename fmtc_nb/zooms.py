"""Parse zoom levels and ranges (0-22)."""

from __future__ import annotations

from collections.abc import Iterable

from fmtc_nb.errors import ZoomError
from fmtc_nb.tilemath import MAX_ZOOM


def _check(z: int) -> int:
    if not 0 <= z <= MAX_ZOOM:
        raise ZoomError(f"Zoom {z} is outside 0-{MAX_ZOOM}.")
    return z


def parse_zooms(value: str | int | range | Iterable[int]) -> list[int]:
    """Zoom levels from "0-18", "12", "3,5,7", an int, a range or a list; sorted, without duplicates."""
    if isinstance(value, bool):
        raise ZoomError(f"Zoom {value!r} is not a zoom level or range.")
    if isinstance(value, int):
        return [_check(value)]
    if isinstance(value, str):
        text = value.strip()
        zooms: list[int] = []
        for part in text.split(","):
            lo, sep, hi = part.strip().partition("-")
            try:
                a = int(lo)
                b = int(hi) if sep else a
            except ValueError:
                raise ZoomError(f"Zoom {value!r} is not a zoom level like 12 or a range like 0-18.") from None
            _check(a)
            _check(b)
            if b < a:
                raise ZoomError(f"Zoom range {part.strip()} is reversed; write it as {b}-{a}.")
            zooms.extend(range(a, b + 1))
        return sorted(set(zooms))
    try:
        items = list(value)
    except TypeError:
        raise ZoomError(f"Zoom {value!r} is not a zoom level or range.") from None
    if not items:
        raise ZoomError("No zoom level was given.")
    out = []
    for z in items:
        if isinstance(z, bool) or not isinstance(z, int):
            raise ZoomError(f"Zoom {z!r} is not an integer.")
        out.append(_check(z))
    return sorted(set(out))
