"""Budgets for the zoom planner: "2GB", "500MiB", "1.5 gb", "123456" (bytes) or "10000tiles"."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fmtc_nb.errors import EstimateError
from fmtc_nb.units import human_bytes

_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.I)


@dataclass(frozen=True)
class Budget:
    """A storage budget: ``amount`` of ``unit`` ("bytes" or "tiles")."""

    amount: int
    unit: str

    def __str__(self) -> str:
        return f"{self.amount:,} tiles" if self.unit == "tiles" else human_bytes(self.amount)


def parse_budget(text: str | int) -> Budget:
    """Parse a budget: bytes with SI (kB, MB, GB: powers of 10) or binary (KiB, MiB, GiB, or K, M, G) units,
    or a tile count ("10000tiles", "10000 tiles"). Raises :class:`EstimateError` on anything else."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text <= 0:
            raise EstimateError(f"The budget {text} must be a positive number of bytes.")
        return Budget(text, "bytes")
    match = _SIZE.match(str(text))
    if not match:
        raise EstimateError(f"The budget {text!r} is not a size like 2GB, 500MiB, 123456 or 10000tiles.")
    number, unit = float(match.group(1)), match.group(2).lower()
    if unit in ("tile", "tiles"):
        kind, factor = "tiles", 1
    elif unit in _UNITS:
        kind, factor = "bytes", _UNITS[unit]
    else:
        raise EstimateError(f"The budget {text!r} has an unknown unit {match.group(2)!r}; use B, kB, MB, GB, "
                            "KiB, MiB, GiB or tiles.")
    amount = int(number * factor)
    if amount <= 0:
        raise EstimateError(f"The budget {text!r} must be more than zero.")
    return Budget(amount, kind)

