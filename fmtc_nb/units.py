"""Human-readable figures shared by every command and panel (no dependencies, cheap to import)."""

from __future__ import annotations


def human_bytes(n: float) -> str:
    """``n`` bytes as a short text with SI units, e.g. ``1.23 GB`` (``512 B`` below a kilobyte)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"
