"""Human-readable figures shared by every command and panel (no dependencies, cheap to import)."""

from __future__ import annotations


def human_bytes(n: float) -> str:
    """``n`` bytes as a short text with SI units, e.g. ``1.23 GB`` (``512 B`` below a kilobyte)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def human_duration(seconds: float | None) -> str:
    """A duration in seconds as people read it: ``8.0 s`` below a minute, ``2 min 05 s`` below an hour, then
    ``1 h 02 min`` (``unknown`` for None)."""
    if seconds is None:
        return "unknown"
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    whole = int(round(seconds))
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600:,} h {whole // 60 % 60:02d} min"


def human_count(n: float, unit: str = "") -> str:
    """A count with thousands separators and one decimal when it has a fraction (``1,234``, ``134.8 tiles/s``)."""
    text = f"{n:,.0f}" if float(n).is_integer() else f"{n:,.1f}"
    return f"{text} {unit}".rstrip()
