"""Fault injection for the demo tile server: latency, a failure rate and bursts of 429, all deterministic.

Decisions depend only on the seed, the tile, the attempt number for that tile and the request count, so a test
or a demo sees the same faults every run (up to the order in which concurrent requests arrive).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from fmtc_nb.errors import SourceError

#: What a failed request looks like, picked per failure: a 500, a 503 with Retry-After, a PNG cut short,
#: a 200 whose body is an HTML page.
FAILURE_KINDS = ("500", "503", "truncate", "html")


@dataclass(frozen=True)
class Burst429:
    """After every ``every`` requests, the next ``length`` requests are answered 429 with Retry-After."""

    every: int
    length: int
    retry_after_s: float = 1.0

    @classmethod
    def parse(cls, text: str) -> Burst429:
        """Parse ``EVERY:LENGTH[:RETRY_AFTER_S]``, e.g. ``500:20:1``."""
        try:
            parts = [float(p) for p in text.split(":")]
            if (len(parts) not in (2, 3) or not parts[0] >= 1 or not parts[1] >= 1 or int(parts[0]) != parts[0]
                    or int(parts[1]) != parts[1] or (len(parts) == 3 and not 0 <= parts[2] < float("inf"))):
                raise ValueError
            return cls(int(parts[0]), int(parts[1]), parts[2] if len(parts) == 3 else 1.0)
        except ValueError:
            raise SourceError(f"--burst-429 {text!r} is not EVERY:LENGTH[:RETRY_AFTER_S] (e.g. 500:20:1).") from None

    def hits(self, request_no: int) -> bool:
        """Whether the request numbered ``request_no`` (from 0) falls in a burst."""
        return request_no % (self.every + self.length) >= self.every


@dataclass(frozen=True)
class Faults:
    """How the server misbehaves. ``latency_s``: delay before every tile answer, in seconds.
    ``failure_rate``: fraction (0-1) of tile requests that fail (kinds in :data:`FAILURE_KINDS`)."""

    latency_s: float = 0.0
    failure_rate: float = 0.0
    burst_429: Burst429 | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.failure_rate <= 1.0:
            raise SourceError(f"The failure rate {self.failure_rate} is not between 0 and 1.")
        if not 0 <= self.latency_s < float("inf"):
            raise SourceError(f"The latency {self.latency_s} s is not a finite number of seconds of 0 or more.")

    def decide(self, z: int, x: int, y: int, attempt: int, request_no: int) -> str:
        """``"ok"``, ``"429"`` or one of :data:`FAILURE_KINDS` for this request (``attempt`` counts from 1)."""
        if self.burst_429 is not None and self.burst_429.hits(request_no):
            return "429"
        if self.failure_rate <= 0.0:
            return "ok"
        h = zlib.crc32(f"{self.seed}/{z}/{x}/{y}/{attempt}".encode())
        if (h & 0xFFFF) / 0x10000 < self.failure_rate:
            return FAILURE_KINDS[(h >> 16) % len(FAILURE_KINDS)]
        return "ok"
