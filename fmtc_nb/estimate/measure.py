"""Measure sampled tiles on the real source: size, body hash and response time, with the engine's politeness.

Requests go through :func:`fmtc_nb.engine.fetch.fetch_tile` on the engine's connection
(:func:`~fmtc_nb.engine.transport.tile_session`) with the source's headers (User-Agent naming fmtc-nb), the
engine's token bucket for the rate limit and its one voice towards the server
(:class:`~fmtc_nb.engine.politeness.Politeness`: a 429/503 holds every request), and retries paced by the
engine's :meth:`~fmtc_nb.engine.job.DownloadOptions.backoff_delay`. What the server's throttling cost the
sample is measured (:class:`Throttling`), so that the duration estimate includes the waits.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from fmtc_nb.engine.fetch import fetch_tile
from fmtc_nb.engine.job import DownloadOptions
from fmtc_nb.engine.politeness import Politeness, waits_for_the_server
from fmtc_nb.engine.ratelimit import TokenBucket
from fmtc_nb.engine.transport import ProxyChooser, tile_session
from fmtc_nb.estimate.statistics import Interval
from fmtc_nb.source import TileSource, check_bulk_url

#: Waits the server may ask of one sampled tile before its throttle answers count as failed attempts.
MAX_WAITS_PER_TILE = 20


@dataclass(frozen=True)
class Measurement:
    """One sampled tile: ``kind`` ok/negative/failed (as the engine classifies answers), ``size`` in bytes
    (0 unless ok), ``digest`` of the body (None unless ok), ``seconds`` spent in requests (backoff waits
    excluded), ``attempts`` = HTTP requests made, ``reason`` of the last failure."""

    z: int
    x: int
    y: int
    kind: str
    size: int
    digest: bytes | None
    seconds: float
    attempts: int
    reason: str | None = None


@dataclass(frozen=True)
class Throttling:
    """How the server paced the sample: ``throttles`` answers of 429/503 among ``requests``, ``holds`` of the
    whole sample they caused, ``held_s`` seconds every request was held, and ``answered`` usable answers in
    ``busy_s`` seconds of measuring (holds included), ``free`` of them before the first hold."""

    throttles: int = 0
    requests: int = 0
    holds: int = 0
    held_s: float = 0.0
    answered: int = 0
    busy_s: float = 0.0
    free: int = 0

    def waiting(self, tiles: int, confidence: float) -> Interval:
        """Seconds a download of ``tiles`` tiles is expected to be held by the server: the sample's seconds held
        per usable answer once the server began to hold, for every tile beyond its allowance before the first
        hold (``free``: the download gets it too). The answers between two holds are taken to be at least that
        allowance (a rate limiter's quota), so a sample that ends just after a hold does not count the hold
        for a handful of answers. Holds are rare events counted in the sample, so the interval is a Poisson one
        on their number (relative half-width z / sqrt(holds)); no hold: no wait.

        Never less than the sample's own seconds held (in proportion, for fewer tiles than it answered): a download
        of the sampled tiles and more, from the same server at the same concurrency, is held at least as long
        (the allowance rule alone can say less when slow requests made the allowance before the first hold large)."""
        if not self.holds or not self.answered:
            return Interval(0.0, 0.0, 0.0, confidence)
        between = max(self.answered - self.free, self.free * self.holds, 1)
        estimate = max(max(tiles - self.free, 0) * self.held_s / between,
                       self.held_s * min(tiles / self.answered, 1.0))
        spread = NormalDist().inv_cdf(0.5 + confidence / 2) / math.sqrt(self.holds)
        return Interval(estimate, estimate * max(0.0, 1 - spread), estimate * (1 + spread), confidence)


class Prober:
    """Fetches tiles of one source with ``options.parallel`` concurrent requests; use as an async context."""

    def __init__(self, source: TileSource, options: DownloadOptions) -> None:
        self.source = source
        self.options = options
        self.requests = 0
        self.usable = 0  # answers that were a tile or a negative answer (the source works)
        self._polite = Politeness(TokenBucket(options.rate_limit), options.parallel, backoff_s=options.backoff_s,
                                  max_backoff_s=options.max_backoff_s)
        self._proxy = ProxyChooser(options)
        self._session: Any = None
        self._stack = AsyncExitStack()
        self._busy_s = 0.0

    async def __aenter__(self) -> Prober:
        self._session = await self._stack.enter_async_context(tile_session(self.options,
                                                                           self.source.request_headers()))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()

    @property
    def throttling(self) -> Throttling:
        """What the server's throttling cost the sample so far."""
        polite = self._polite
        return Throttling(polite.throttles, self.requests, polite.holds, polite.held_s, self.usable, self._busy_s,
                          polite.free_successes)

    async def measure(self, tiles: Sequence[tuple[int, int, int]]) -> list[Measurement]:
        """Measure ``tiles`` (z, x, y) with ``parallel`` workers; results in the order of ``tiles``. Like the
        engine's final pass, tiles whose requests failed are tried once more at the end, unless the source has
        not given one usable answer yet (a dead source is not hammered twice)."""
        done = await self._measure_all(tiles)
        failed = [i for i, m in enumerate(done) if m.kind == "failed"]
        if failed and self.options.final_pass and self.usable:
            again = await self._measure_all([(done[i].z, done[i].x, done[i].y) for i in failed])
            for i, m in zip(failed, again, strict=True):
                done[i] = m
        return done

    async def _measure_all(self, tiles: Sequence[tuple[int, int, int]]) -> list[Measurement]:
        started = time.monotonic()
        try:
            return await self._measure_batch(tiles)
        finally:
            self._busy_s += time.monotonic() - started

    async def _measure_batch(self, tiles: Sequence[tuple[int, int, int]]) -> list[Measurement]:
        results: list[Measurement | None] = [None] * len(tiles)
        queue = iter(range(len(tiles)))

        async def worker() -> None:
            for i in queue:
                results[i] = await self._one(*tiles[i])

        await asyncio.gather(*(worker() for _ in range(max(1, min(self.options.parallel, len(tiles))))))
        return [r for r in results if r is not None]

    async def _one(self, z: int, x: int, y: int) -> Measurement:
        assert self._session is not None
        opts = self.options
        spent, attempts, waits = 0.0, 0, 0
        while True:
            ticket = await self._polite.acquire()
            assert ticket is not None  # no stop event: acquire always ends with a ticket
            started = time.perf_counter()
            url = self.source.url(z, x, y)
            result = await fetch_tile(self._session, url, self.source.tile_format, self._proxy(url),
                                      allowed=check_bulk_url)  # a redirect to a host forbidding bulk use stops
            spent += time.perf_counter() - started
            self.requests += 1
            throttled = await self._polite.done(ticket, result.status, result.retry_after_s)
            if throttled and waits < MAX_WAITS_PER_TILE and waits_for_the_server(
                    self._polite, result.status, result.retry_after_s, answered=None, final_pass=False):
                waits += 1  # the server asked every request to wait (the hold is the Politeness's): not a failure
                continue
            attempts += 1
            if result.kind != "failed":
                self.usable += 1
            if result.kind == "ok":
                return Measurement(z, x, y, "ok", len(result.body), hashlib.blake2b(result.body, digest_size=16)
                                   .digest(), spent, attempts)
            if result.kind == "negative" or attempts > opts.retries:
                return Measurement(z, x, y, result.kind, 0, None, spent, attempts, result.reason)
            await asyncio.sleep(0.0 if throttled else opts.backoff_delay(attempts))
