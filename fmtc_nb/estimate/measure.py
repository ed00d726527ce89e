"""Measure sampled tiles on the real source: size, body hash and response time, with the engine's politeness.

Requests go through :func:`fmtc_nb.engine.fetch.fetch_tile` with the source's headers (User-Agent naming
fmtc-nb), the engine's token bucket for the rate limit, and retries paced by the engine's
:meth:`~fmtc_nb.engine.job.DownloadOptions.backoff_delay` (at least the server's Retry-After).
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from fmtc_nb.engine.fetch import fetch_tile
from fmtc_nb.engine.job import DownloadOptions
from fmtc_nb.engine.ratelimit import TokenBucket
from fmtc_nb.source import TileSource, check_bulk_url
from fmtc_nb.tls import client_ssl_context


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


class Prober:
    """Fetches tiles of one source with ``options.parallel`` concurrent requests; use as an async context."""

    def __init__(self, source: TileSource, options: DownloadOptions) -> None:
        self.source = source
        self.options = options
        self.requests = 0
        self.usable = 0  # answers that were a tile or a negative answer (the source works)
        self._bucket = TokenBucket(options.rate_limit)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Prober:
        opts = self.options
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=opts.connect_timeout_s, sock_read=opts.read_timeout_s)
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=opts.parallel, ssl=client_ssl_context()),
                                              timeout=timeout, headers=self.source.request_headers())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._session is not None
        await self._session.close()

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
        spent, attempts = 0.0, 0
        while True:
            await self._bucket.acquire()
            started = time.perf_counter()
            result = await fetch_tile(self._session, self.source.url(z, x, y), self.source.tile_format, opts.proxy,
                                      allowed=check_bulk_url)  # a redirect to a host forbidding bulk use stops
            spent += time.perf_counter() - started
            attempts += 1
            self.requests += 1
            if result.kind != "failed":
                self.usable += 1
            if result.kind == "ok":
                return Measurement(z, x, y, "ok", len(result.body), hashlib.blake2b(result.body, digest_size=16)
                                   .digest(), spent, attempts)
            if result.kind == "negative" or attempts > opts.retries:
                return Measurement(z, x, y, result.kind, 0, None, spent, attempts, result.reason)
            await asyncio.sleep(opts.backoff_delay(attempts, result.retry_after_s))
