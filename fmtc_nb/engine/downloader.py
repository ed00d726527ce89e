"""The download engine: streams a job's tile cover through concurrent, rate limited, retried, validated
requests into the store, one transaction per batch, reporting progress snapshots and per-tile events.

``pause()``, ``resume()`` and ``cancel()`` may be called from any thread (notebooks, the device bridge).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import aiohttp

from fmtc_nb.engine.background import BackgroundRun
from fmtc_nb.engine.buffer import TileBuffer
from fmtc_nb.engine.deadline import RequestDeadlines
from fmtc_nb.engine.fetch import FetchResult, fetch_tile
from fmtc_nb.engine.hooks import Checkpointer, NullCheckpointer, Pacer
from fmtc_nb.engine.job import DownloadJob
from fmtc_nb.engine.politeness import REFUSED, Politeness, SteppedAside, Ticket, waits_for_the_server
from fmtc_nb.engine.progress import ProgressSnapshot, TileEvent
from fmtc_nb.engine.ratelimit import TokenBucket
from fmtc_nb.engine.transport import ParsedUrls, ProxyChooser, tile_session
from fmtc_nb.engine.writer import Batch, StoreWriter
from fmtc_nb.errors import CertificateError, DiskFull, StoreError
from fmtc_nb.source import check_bulk_url
from fmtc_nb.states import JobStatus, TileOutcome
from fmtc_nb.store import TileRecord
from fmtc_nb.store.scratch import SpaceReserve
from fmtc_nb.tilemath import tile_at
from fmtc_nb.units import human_bytes

Tile = tuple[int, int, int, int]  # index, z, x, y
#: A point of open ocean (South Pacific, 30°S 140°W) whose tile is used to learn the sea tile's bytes.
SEA_POINT = (-140.0, -30.0)
SEA_ZOOM = 8
_ROW_CHUNK = 256
#: Batches queued for the store thread (the one committing included) while the workers go on fetching; a
#: full buffer waits for the oldest commit beyond this, so memory stays bounded and no worker idles on each commit.
MAX_QUEUED_BATCHES = 2
#: A todo index this far past the stream's position is reached by seeking the cover, not by walking it.
_SEEK_GAP = 4096


def sea_tile(lon: float = SEA_POINT[0], lat: float = SEA_POINT[1], z: int = SEA_ZOOM) -> tuple[int, int, int]:
    """The (z, x, y) of the tile holding a point at zoom ``z``."""
    return tile_at(lon, lat, z)


class Download(BackgroundRun):
    """One run of a :class:`DownloadJob` into the store named by the job under ``root``."""

    thread_name = "fmtc-nb-download"

    def __init__(self, job: DownloadJob, root: Any = None, *, checkpointer: Checkpointer | None = None,
                 on_progress: Callable[[ProgressSnapshot], None] | None = None,
                 on_tile: Callable[[TileEvent], None] | None = None, pacer: Pacer | None = None) -> None:
        self.job = job
        self.root = root
        self.checkpointer = checkpointer or NullCheckpointer()
        self.on_progress = on_progress
        self.on_tile = on_tile
        self._pause = threading.Event()
        self._cancel = threading.Event()
        self._c: dict[str, int] = dict.fromkeys(
            ("cached", "flushed", "committed", "skipped_existing", "skipped_sea", "failed_negative",
             "failed_request", "retries_queued", "cached_bytes", "flushed_bytes", "skipped_bytes"), 0)
        self._max = 0
        self._start = time.monotonic()
        self._end: float | None = None
        self._status: JobStatus = "pending"
        #: Why the run ended as it did (None while running, and for a clean completion).
        self.reason: str | None = None
        self._writer: StoreWriter | None = None
        self._reserve = SpaceReserve(None)
        self._tick_error: BaseException | None = None
        # the job's politeness: its own token bucket, or one a host shares between processes (fmtc_nb.scale)
        self._bucket: Pacer = pacer if pacer is not None else TokenBucket(job.options.rate_limit)
        # ... and its one voice towards the server: holds on 429/503, a probe, then AIMD concurrency
        self._polite = Politeness(self._bucket, job.options.parallel, backoff_s=job.options.backoff_s,
                                  max_backoff_s=job.options.max_backoff_s)
        self._gave_up_waiting: str | None = None  # the sentence of a job that paused itself (--max-wait)
        self._unverified: CertificateError | None = None  # the job stopped: the server's certificate does not verify
        self._proxy = ProxyChooser(job.options)  # environment proxies read once per origin
        self._deadlines = RequestDeadlines(job.options.read_timeout_s)  # one sweep, not a timer per chunk read
        self._parsed = ParsedUrls(job.source, job.options.http2)  # URLs aiohttp need not parse again
        self._aside: SteppedAside[Tile] = SteppedAside()
        self._active = 0  # workers inside _one (each may still set a tile aside)
        self._idle = 0  # workers waiting for a tile to be set aside or for the last one in _one to end
        self._nudge: asyncio.Event | None = None  # set when either happens while a worker waits
        self._buffer = TileBuffer()
        self._queued: deque[Future[None]] = deque()
        self._later: list[Tile] = []
        self._final_pass = False
        # every store call runs on this one thread, so SQLite writes overlap the network work of the loop
        self._io = ThreadPoolExecutor(1, thread_name_prefix="fmtc-nb-store")

    # -- control (any thread) -------------------------------------------------------------------------
    def pause(self) -> None:
        """Stop starting new requests and flush; :meth:`resume` continues."""
        self._pause.set()

    def resume(self) -> None:
        """Continue after :meth:`pause`."""
        self._pause.clear()

    def cancel(self) -> None:
        """Stop soon: in-flight requests end, the buffer is flushed, the job stays recoverable."""
        self._cancel.set()
        self._pause.clear()

    @property
    def paused(self) -> bool:
        """True while paused."""
        return self._pause.is_set()

    @property
    def snapshot(self) -> ProgressSnapshot:
        """The current progress."""
        c = self._c
        elapsed = (self._end or time.monotonic()) - self._start
        skipped = c["skipped_existing"] + c["skipped_sea"]
        done = c["cached"] + skipped + c["failed_negative"] + c["failed_request"]
        return ProgressSnapshot(
            max_tiles=self._max, successful=c["cached"] + skipped, cached=c["cached"],
            buffered=c["cached"] - c["flushed"], flushed=c["flushed"], skipped_existing=c["skipped_existing"],
            skipped_sea=c["skipped_sea"], failed_negative=c["failed_negative"], failed_request=c["failed_request"],
            retries_queued=c["retries_queued"], cached_bytes=c["cached_bytes"],
            buffered_bytes=c["cached_bytes"] - c["flushed_bytes"], flushed_bytes=c["flushed_bytes"],
            skipped_bytes=c["skipped_bytes"], elapsed_s=elapsed, tiles_per_s=done / elapsed if elapsed > 0 else 0.0,
            rate_limited=self._bucket.limiting, status=self._live_status(),
            waiting_until=self._polite.waiting_until if self._polite.waiting else None,
            wait_reason=self._polite.wait_reason if self._polite.waiting else None,
            concurrency_now=self._polite.concurrency_now)

    def _live_status(self) -> JobStatus:
        """The run's status as a snapshot reports it: ``paused`` while a running download is paused."""
        return "paused" if self._status == "running" and self._pause.is_set() else self._status

    # -- running ---------------------------------------------------------------------------------------
    def _open_store(self) -> Any:
        from fmtc_nb.store import Root

        root = self.root if hasattr(self.root, "open_or_create") else Root(self.root)
        store = root.open_or_create(self.job.store, self.job.source.url_template)
        reserve = getattr(root, "reserve_space", None)  # a root-like object without one reserves nothing
        self._reserve = reserve(self.job.store) if reserve is not None else SpaceReserve(None)
        return store

    async def arun(self) -> ProgressSnapshot:
        """Run to the end on the running event loop and return the final snapshot.

        A store write that keeps failing ends the run ``paused`` (see :mod:`fmtc_nb.engine.writer`) with
        :attr:`reason` saying why; an unexpected error ends it ``failed`` and is raised."""
        self.job.source.check_bulk_allowed()
        store = self._io.submit(self._open_store).result()
        self._writer = StoreWriter(store, self.checkpointer, self._io, self._committed)
        cover = self.job.cover()
        self._max = cover.total
        self._start, self._status = time.monotonic(), "running"
        opts = self.job.options
        status: JobStatus = "completed"
        reason: str | None = None
        ticker = asyncio.create_task(self._tick(store))
        sweeper = asyncio.create_task(self._deadlines.sweep())
        try:
            async with tile_session(opts, self.job.source.request_headers(), read_timeout=False) as session:
                sea = await self._learn_sea(session) if opts.skip_sea else None
                await self._pump(session, store, self._tiles(cover, store), sea)
                if not self._cancel.is_set() and self._later:
                    self._final_pass, later, self._later = True, self._later, []
                    self._c["retries_queued"] -= len(later)
                    await self._pump(session, store, iter(later), sea)
            if self._unverified is not None:
                raise self._unverified
            if self._tick_error is not None:
                raise self._tick_error
        except BaseException as exc:
            status, reason = ("cancelled", "interrupted") if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError) \
                else ("failed", str(exc))
            raise
        finally:
            ticker.cancel()
            sweeper.cancel()
            self._flush()
            self._io.submit(lambda: None).result()  # every queued write has landed (or been dropped)
            close = getattr(store, "close", None)
            if close is not None:
                self._io.submit(close).result()
            self._io.shutdown(wait=True)
            error = self._writer.error
            if isinstance(error, StoreError) and status in ("completed", "cancelled"):
                status, reason = "paused", self._write_problem(error)
            elif error is not None and status == "completed":
                status, reason = "failed", str(error)
            elif self._gave_up_waiting is not None and status in ("completed", "cancelled"):
                status, reason = "paused", self._gave_up_waiting
            elif self._cancel.is_set() and status == "completed":
                status, reason = "cancelled", "cancelled by the user"
            elif status == "completed" and self.snapshot.failed:
                reason = f"{self.snapshot.failed} tiles failed"
            self._status, self._end, self.reason = status, time.monotonic(), reason
            self._reserve.release()  # room for the checkpointer's last record, even on a full disk
            final = self.snapshot
            self.checkpointer.finished(final, status, reason)
            if self.on_progress:
                self.on_progress(final)
        if status == "failed" and error is not None:
            raise error
        return self.snapshot

    def _write_problem(self, error: StoreError) -> str:
        """The sentence a paused run ends with: the write error, and for a full disk how much room the rest
        of the job needs (from the bytes per stored tile so far)."""
        if not isinstance(error, DiskFull):
            return f"{error} The job is paused with every committed tile kept; resume it when the store is free."
        c = self._c
        per_tile = c["cached_bytes"] / c["cached"] if c["cached"] else 0.0
        left = max(self._max - c["committed"], 0)
        return (f"{error} About {human_bytes(left * per_tile)} more is needed for the {left:,} tiles not yet "
                f"stored ({human_bytes(per_tile)} a tile so far); the job is paused with every committed tile "
                "kept, so free space and resume it.")

    def _tiles(self, cover: Any, store: Any) -> Iterator[Tile]:
        """Stream the checkpointer's todo indexes as tiles, dropping existing ones when asked.

        Only tiles inside the extent the store held at the start (per zoom) are looked up, a row at a time:
        a new store, or new ground, costs no query (each one waits for the store thread, and so stalls the
        event loop behind a commit)."""
        opts = self.job.options
        if not opts.skip_existing:
            yield from self._indexed(cover)
            return
        fresher = time.time() - opts.fresher_than_days * 86400 if opts.fresher_than_days is not None else None
        extents = self._io.submit(store.zoom_extents).result()
        chunk: list[Tile] = []
        for tile in self._indexed(cover):
            _, z, x, y = tile
            extent = extents.get(z)
            if extent is None or not (extent[0] <= x <= extent[1] and extent[2] <= y <= extent[3]):
                yield tile  # no stored tile can be here
                continue
            if chunk and (z != chunk[0][1] or y != chunk[0][3] or len(chunk) >= _ROW_CHUNK):  # new row or full
                yield from self._drop_existing(chunk, store, fresher)
                chunk = []
            chunk.append(tile)
        if chunk:
            yield from self._drop_existing(chunk, store, fresher)

    def _indexed(self, cover: Any) -> Iterator[Tile]:
        """Merge the (mostly ascending) todo indexes with the streamed cover order."""
        stream = cover.tiles()
        pos, current = -1, (0, 0, 0)
        for index in self.checkpointer.todo(cover.total):
            if index <= pos:
                z, x, y = cover.tile_at(index) if index < pos else current
            else:
                if index - pos > _SEEK_GAP:  # far ahead (a shard's range, a resumed job's gap): seek
                    stream, pos = cover.tiles(index), index - 1
                while pos < index:
                    current = next(stream)
                    pos += 1
                z, x, y = current
            yield index, z, x, y

    def _drop_existing(self, chunk: list[Tile], store: Any, fresher: float | None) -> Iterator[Tile]:
        _, z, _, y = chunk[0]
        have = self._io.submit(store.existing_in_row, z, y, min(t[2] for t in chunk), max(t[2] for t in chunk),
                               fresher_than=fresher).result()
        for tile in chunk:
            if tile[2] in have:
                self._c["skipped_existing"] += 1
                self._buffer.add_skipped(tile[0])
                self._event(tile, "skipped_existing")
            else:
                yield tile

    async def _learn_sea(self, session: aiohttp.ClientSession) -> bytes | None:
        """The source's sea tile (see :data:`SEA_POINT`), retried like any tile (at least twice); None if the
        server never gave it, and then no tile is skipped as sea."""
        opts = self.job.options
        attempt = 0
        while attempt <= max(opts.retries, 2):
            ticket = await self._polite.acquire(self._cancel)
            if ticket is None:
                return None
            url = self.job.source.url(*sea_tile())
            result = await self._fetch(session, url)
            if await self._polite.done(ticket, result.status, result.retry_after_s) and result.retry_after_s is not None:
                continue  # the server asked for a wait: never a failed attempt
            if self._stop_if_unverified(result, ticket):
                return None
            if result.kind != "failed" or self._cancel.is_set():
                return result.body if result.kind == "ok" else None
            attempt += 1
            await self._sleep(opts.backoff_delay(attempt))
        return None

    async def _pump(self, session: aiohttp.ClientSession, store: Any, tiles: Iterator[Tile], sea: bytes | None) -> None:
        """``parallel`` workers share the tile stream directly (no queue: less overhead per tile)."""
        workers = [self._worker(tiles, session, store, sea) for _ in range(self.job.options.parallel)]
        await asyncio.gather(*workers)

    async def _worker(self, tiles: Iterator[Tile], session: aiohttp.ClientSession, store: Any,
                      sea: bytes | None) -> None:
        """Fetch tiles of the stream, then those that stepped aside for a "slow down", until both are dry and
        no other worker may set one aside any more."""
        batch = self.job.options.batch_size
        me = asyncio.current_task()  # looked up once: on Python 3.11 each lookup is a getpid system call
        assert me is not None
        watch = self._deadlines.watcher(me)
        while not self._cancel.is_set():
            tile, attempt, answered = next(tiles, None), 0, None
            if tile is None:
                aside = self._aside.take()
                if aside is None:
                    if not self._active:
                        return
                    await self._wait_for_change()
                    continue
                (tile, attempt, answered), self._c["retries_queued"] = aside, self._c["retries_queued"] - 1
            self._active += 1
            try:
                await self._one(tile, session, store, sea, attempt, answered, me, watch)
            finally:
                self._active -= 1
                if self._idle:
                    self._wake_idle()
            if self._buffer.count >= batch:
                await self._hand_over(batch)

    def _fetch(self, session: Any, url: str) -> Awaitable[FetchResult]:
        """One request for the source's ``url``, bounded by the job's request deadlines (the sea tile's; the
        tiles' requests do the same inline in :meth:`_one`)."""
        return self._deadlines.bound(fetch_tile(session, url, self.job.source.tile_format, self._proxy(url),
                                                allowed=check_bulk_url, watch=self._deadlines.reading))

    async def _wait_for_change(self) -> None:
        """Wait until a tile is set aside or a worker ends a tile (at most 0.05 s, to see a cancel), instead of
        polling: the last tiles of a job end as soon as their answers come."""
        if self._nudge is None:
            self._nudge = asyncio.Event()
        nudge = self._nudge
        self._idle += 1
        timer = asyncio.get_running_loop().call_later(0.05, nudge.set)
        try:
            await nudge.wait()  # set() wakes every worker waiting now; clearing then keeps the next ones waiting
        finally:
            timer.cancel()
            nudge.clear()
            self._idle -= 1

    def _wake_idle(self) -> None:
        if self._nudge is not None:
            self._nudge.set()

    async def _gate(self, store: Any) -> bool:
        """Wait while paused (flushing first); False once cancelled."""
        if self._pause.is_set():
            await self._aflush()
            while self._pause.is_set() and not self._cancel.is_set():
                await asyncio.sleep(0.05)
        return not self._cancel.is_set()

    async def _one(self, tile: Tile, session: aiohttp.ClientSession, store: Any, sea: bytes | None,
                   attempt: int, answered: int | None, me: asyncio.Task[Any], watch: Callable[[Any], None]) -> None:
        """Fetch one tile to its outcome, or set it aside after a "slow down" (``attempt``: failed attempts so
        far; ``answered``: the job's successes when it last waited, see :func:`waits_for_the_server`; ``me``:
        the worker's task, ``watch``: its request deadline's watcher)."""
        opts, source = self.job.options, self.job.source
        index, z, x, y = tile
        offline_waits = 0  # tries in a row that met a network down for the whole job: not failed attempts
        while not (self._pause.is_set() or self._cancel.is_set()) or await self._gate(store):
            ticket = await self._polite.acquire(self._cancel)
            if ticket is None:
                return  # cancelled while waiting for the rate limit or a server's pause: the tile stays undone
            if self._pause.is_set():  # paused while it waited for its turn (a long Retry-After): not sent
                await self._polite.release()
                continue
            url = source.url(z, x, y)
            # self._deadlines.bound(...) inline: no coroutine of the engine's between this one and the request
            # while it is suspended (each would be passed through at every resumption)
            request = self._deadlines.sent(me)
            try:
                result = await fetch_tile(session, self._parsed(url), source.tile_format, self._proxy(url),
                                          allowed=check_bulk_url, watch=watch)
            except asyncio.CancelledError:
                if not self._deadlines.timed_out(request):
                    raise
                result = FetchResult("failed", reason="timeout")
            finally:
                self._deadlines.finished(request)
            throttled = await self._polite.done(ticket, result.status, result.retry_after_s)
            if result.kind != "failed":
                self._settle(tile, result, sea)
                return
            if self._stop_if_unverified(result, ticket):
                return  # the tile stays undone, not failed
            if throttled and waits_for_the_server(self._polite, result.status, result.retry_after_s, answered,
                                                  self._final_pass):
                self._step_aside(tile, attempt, self._polite.successes, result.reason)  # never a failed attempt
                return
            offline = opts.wait_for_network and result.status is None and not result.certificate_error and \
                self._polite.network_down(ticket)
            offline_waits, attempt = (offline_waits + 1, attempt) if offline else (0, attempt + 1)
            if attempt > opts.retries:
                if opts.final_pass and not self._final_pass:
                    self._c["retries_queued"] += 1
                    self._later.append(tile)
                    self._event(tile, "retry", reason=result.reason)
                else:
                    self._c["failed_request"] += 1
                    self._buffer.add_failure(index, z, x, y, result.reason or "failed")
                    self._event(tile, "failed_request", reason=result.reason)
                return
            if throttled and not self._final_pass:  # refused while others were answered: another tile probes
                self._step_aside(tile, attempt, REFUSED if answered is not None else self._polite.successes,
                                 result.reason)
                return
            self._event(tile, "retry", reason=result.reason)
            self._c["retries_queued"] += 1
            try:
                await self._sleep(0.0 if throttled else opts.backoff_delay(offline_waits or attempt))
            finally:
                self._c["retries_queued"] -= 1

    def _stop_if_unverified(self, result: FetchResult, ticket: Ticket) -> bool:
        """True (and the job stops) if ``result`` is a certificate failure while no request of the job was answered
        since this one left: every request fails verification, so the job ends with one sentence
        (:class:`CertificateError`, raised by :meth:`arun`) instead of failing every tile, or waiting for a
        network that works."""
        if not (result.certificate_error and self._polite.network_down(ticket)):
            return False
        if self._unverified is None:
            self._unverified = CertificateError(
                f"{(result.reason or 'The TLS certificate does not verify.').rstrip('.')}, then run the job again: it "
                "stopped at once instead of failing every tile, with every stored tile kept.")
        self._cancel.set()
        return True

    def _step_aside(self, tile: Tile, attempt: int, answered: int, reason: str | None) -> None:
        self._aside.put(tile, attempt, answered)
        if self._idle:
            self._wake_idle()
        self._c["retries_queued"] += 1
        self._event(tile, "retry", reason=reason)

    async def _sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self._cancel.is_set() and (left := end - time.monotonic()) > 0:
            await asyncio.sleep(min(left, 0.1))

    def _settle(self, tile: Tile, result: FetchResult, sea: bytes | None) -> None:
        index, z, x, y = tile
        if result.kind == "negative":
            self._c["failed_negative"] += 1
            self._buffer.add_failure(index, z, x, y, result.reason or "negative")
            self._event(tile, "failed_negative", reason=result.reason)
        elif sea is not None and result.body == sea:
            self._c["skipped_sea"] += 1
            self._c["skipped_bytes"] += len(result.body)
            self._buffer.add_skipped(index)
            self._event(tile, "skipped_sea", len(result.body))
        else:
            body = result.body
            self._buffer.add_tile(index, TileRecord(z, x, y, body, time.time(), result.etag, result.last_modified,
                                                    result.expires_at))
            c = self._c
            c["cached"] += 1
            c["cached_bytes"] += len(body)
            if self.on_tile is not None:
                self._event(tile, "cached", len(body))

    def _event(self, tile: Tile, outcome: TileOutcome, size: int = 0, reason: str | None = None) -> None:
        if self.on_tile is not None:
            self.on_tile(TileEvent(tile[0], tile[1], tile[2], tile[3], outcome, size, reason))

    def _write(self) -> Future[None] | None:
        """Hand the buffer to the store writer as one transaction; returns its future (None if empty)."""
        if not len(self._buffer):
            self._buffer.last_flush = time.monotonic()
            return None
        assert self._writer is not None
        return self._writer.submit(self._buffer.take())

    def _committed(self, batch: Batch) -> None:
        """On the store thread, after ``batch`` committed: the flushed counts."""
        self._c["flushed"] += len(batch.records)
        self._c["flushed_bytes"] += batch.bytes
        self._c["committed"] += len(batch)

    def _flush(self) -> None:
        """Flush and wait (used at the end)."""
        future = self._write()
        if future is not None:
            future.result()

    async def _aflush(self) -> None:
        """Flush and wait for the commit without blocking the event loop; a writer that gave up stops the run."""
        future = self._write()
        if future is not None:
            await asyncio.wrap_future(future)
        self._stop_if_writer_gave_up()

    async def _hand_over(self, batch_size: int) -> None:
        """Queue the full buffer for the store thread and go on fetching; first wait while
        :data:`MAX_QUEUED_BATCHES` batches are queued already (the store thread is behind)."""
        while True:
            while self._queued and self._queued[0].done():
                self._queued.popleft()
            if len(self._queued) < MAX_QUEUED_BATCHES:
                break
            await asyncio.wrap_future(self._queued[0])
        if len(self._buffer) >= batch_size:  # else another waiting worker handed it over first
            future = self._write()
            if future is not None:
                self._queued.append(future)
        self._stop_if_writer_gave_up()

    def _stop_if_writer_gave_up(self) -> None:
        if self._writer is not None and self._writer.error is not None:
            self._cancel.set()

    async def _tick(self, store: Any) -> None:
        """Every 0.1 s: progress; every second: heartbeat and a flush if one is due. An error here (a progress
        callback or heartbeat raising) stops the run, which then ends failed with it: never silently."""
        last_beat = time.monotonic()
        try:
            while True:
                await asyncio.sleep(0.1)
                now = time.monotonic()
                if self._gave_up_waiting is None and \
                        (too_long := self._polite.waited_too_long(self.job.options.max_wait_s,
                                                               self.job.options.wait_for_network)) is not None:
                    self._gave_up_waiting = too_long
                    self._cancel.set()
                if now - self._buffer.last_flush >= self.job.options.flush_interval_s:
                    await self._aflush()
                snap = self.snapshot
                if self.on_progress:
                    self.on_progress(snap)
                if now - last_beat >= 1.0:
                    last_beat = now
                    self.checkpointer.heartbeat(replace(snap))
        except Exception as exc:
            self._tick_error = exc
            self._cancel.set()


def download(region: Any, zooms: Any, url: str, store: str, root: Any = None, *,
             checkpointer: Checkpointer | None = None, on_progress: Callable[[ProgressSnapshot], None] | None = None,
             **options: Any) -> ProgressSnapshot:
    """Download ``region`` at ``zooms`` from tile URL ``url`` into store ``store`` (blocking); options are
    :class:`DownloadOptions` fields. Returns the final snapshot."""
    from fmtc_nb.engine.job import DownloadOptions
    from fmtc_nb.source import TileSource
    from fmtc_nb.zooms import parse_zooms

    job = DownloadJob(region, parse_zooms(zooms), TileSource(url), store, DownloadOptions(**options))
    return Download(job, root, checkpointer=checkpointer, on_progress=on_progress).run()
