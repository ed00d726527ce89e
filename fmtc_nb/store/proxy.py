"""A caching tile proxy on loopback for browsing maps (ipyleaflet, QGIS): answers ``/{z}/{x}/{y}`` from a
store, fetching and storing what is missing or stale, and counting browse hits and misses.

Modes: ``cache-first`` (stored and fresh tiles are served without asking the origin; stale ones are
revalidated with If-None-Match / If-Modified-Since), ``online-first`` (always ask the origin, conditionally,
and fall back to the store when it fails), ``cache-only`` (never touch the network). A hit is a tile served
without downloading its body (fresh, revalidated with 304, or a stale fallback); a miss is everything else.

All store calls run on one dedicated thread with its own connection, like the download engine's.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp
from aiohttp import web

from fmtc_nb.engine.fetch import FetchResult, fetch_tile
from fmtc_nb.errors import SourceError, StoreError
from fmtc_nb.source import TileSource, has_redacted_credentials
from fmtc_nb.sqlitefiles import read_only_medium
from fmtc_nb.store.formats import MIME, sniff_format
from fmtc_nb.store.modes import DEFAULT_VALID_FOR_DAYS, MODES
from fmtc_nb.store.records import TileRecord
from fmtc_nb.store.root import Root
from fmtc_nb.threaded_site import ThreadedSite
from fmtc_nb.tls import client_ssl_context

MAX_ZOOM = 30
CORS = {"Access-Control-Allow-Origin": "*"}
"""Every answer may be read by a page of another loopback port (a map page beside the proxy)."""


def _http_date(value: str | None) -> float | None:
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return parsedate_to_datetime(value).timestamp() if value else None
    return None


def entity_tag(record: TileRecord) -> str:
    """The ETag the proxy shows for a tile: the origin's if known, else one derived from the bytes."""
    return record.etag or f'"{hashlib.blake2b(record.data, digest_size=8).hexdigest()}"'


class CachingProxy:
    """The proxy's logic and aiohttp application for store ``name`` under ``root``.

    ``source`` is the origin URL template (default: the one the store records; a store recording another
    one is refused); ``valid_for_days`` is how long a stored tile counts as fresh.
    """

    def __init__(self, name: str, root: Any = None, *, source: str | None = None, mode: str = "cache-first",
                 valid_for_days: float = DEFAULT_VALID_FOR_DAYS, flush_interval_s: float = 1.0) -> None:
        if mode not in MODES:
            raise StoreError(f"Unknown proxy mode {mode!r}; choose one of {', '.join(MODES)}.")
        if not valid_for_days >= 0:  # also refuses NaN
            raise StoreError(f"The validity period must be zero or more days, not {valid_for_days}.")
        self.mode, self.valid_for_s, self.flush_interval_s = mode, valid_for_days * 86400, flush_interval_s
        if source is not None:
            TileSource(source)  # a bad template is refused before a store is created for it
        root = root if isinstance(root, Root) else Root(root)
        # on a read-only medium (a write-protected stick, a read-only share) only cache-only browsing is possible,
        # from a store opened read-only in SQLite's immutable mode, without counting hits in the store
        self.readonly = read_only_medium(root.stores_dir)
        if self.readonly and mode != "cache-only":
            raise StoreError(f"The store {name!r} is on a read-only medium ({root.stores_dir}), so fetched tiles "
                             "cannot be stored; serve it with --mode cache-only.")
        self._io = ThreadPoolExecutor(1, thread_name_prefix="fmtc-nb-proxy-store")
        try:
            self.store = self._io.submit(
                lambda: root.open_or_create(name, source) if source else root.open(name, readonly=self.readonly)
            ).result()
        except BaseException:
            self._io.shutdown()
            raise
        url = source or self.store.source_url
        if url is None and mode != "cache-only":
            self.close()
            raise StoreError(f"The store {name!r} records no tile source; give --source URL or use --mode cache-only.")
        if url is not None and source is None and mode != "cache-only" and has_redacted_credentials(url):
            self.close()
            raise StoreError(f"The store {name!r} records its source as {url}, with the credentials left out; give "
                             "the full URL with --source, or use --mode cache-only.")
        try:
            self.source = TileSource(url) if url else None
        except SourceError as exc:  # a recorded {api_key} template: the key is stored nowhere
            if mode == "cache-only":  # which never fetches
                self.source = None
            else:
                self.close()
                raise StoreError(f"The store {name!r} records its source as {url}, whose API key fmtc-nb keeps "
                                 "nowhere; set FMTC_NB_API_KEY, give the full URL with --source, or use --mode "
                                 "cache-only.") from exc
        self.tile_format = self.store.metadata().get("format") if self.source else None
        self._inflight: dict[tuple[int, int, int], asyncio.Future[FetchResult]] = {}
        self.hits = self.misses = 0
        self._pending = [0, 0]
        self._used: set[tuple[int, int, int]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._flusher: asyncio.Task[None] | None = None

    # -- store thread ---------------------------------------------------------------------------------
    async def _call(self, func: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.wrap_future(self._io.submit(func, *args))

    def _flush_counts(self) -> None:
        hits, misses = self._pending
        used, self._used, self._pending = self._used, set(), [0, 0]
        if (hits or misses or used) and not self.readonly:
            self.store.record_browse(hits, misses, used)

    def close(self) -> None:
        """Write the last counts and close the store (idempotent)."""
        if self._io is not None:
            with contextlib.suppress(Exception):
                self._io.submit(self._flush_counts).result()
            self._io.submit(self.store.close).result()
            self._io.shutdown()
            self._io = None  # type: ignore[assignment]

    def _count(self, hit: bool, key: tuple[int, int, int] | None = None) -> None:
        if hit:
            self.hits += 1
            self._pending[0] += 1
        else:
            self.misses += 1
            self._pending[1] += 1
        if key is not None:
            self._used.add(key)

    # -- origin ---------------------------------------------------------------------------------------
    async def _ask_origin(self, z: int, x: int, y: int, stored: TileRecord | None) -> FetchResult:
        """One request to the origin, conditional when a stored copy has validators; bodies are checked
        (an HTML error page or a cut-off image never lands in the store)."""
        assert self.source is not None and self._session is not None
        return await fetch_tile(self._session, self.source.url(z, x, y), self.tile_format,
                                etag=stored.etag if stored else None,
                                last_modified=stored.last_modified if stored else None)

    async def _ask_once(self, z: int, x: int, y: int, stored: TileRecord | None) -> FetchResult:
        """Ask the origin, sharing one request among concurrent requests for the same tile."""
        key = (z, x, y)
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[FetchResult] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        try:
            answer = await self._ask_origin(z, x, y, stored)
            future.set_result(answer)
            return answer
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved when nobody else waits
            raise
        finally:
            del self._inflight[key]

    # -- HTTP -----------------------------------------------------------------------------------------
    def app(self) -> web.Application:
        """The aiohttp application: ``GET /{z}/{x}/{y}[.ext]``, ``GET /stats``."""
        app = web.Application()
        # at most 2 zoom digits and 10 x/y digits (2^30): longer numbers are no tile (404), never an int() error
        app.router.add_get(r"/{z:[0-9]{1,2}}/{x:[0-9]{1,10}}/{y:[0-9]{1,10}}{ext:(\.[A-Za-z0-9]+)?}", self.handle_tile)
        app.router.add_get("/stats", self.handle_stats)
        app.on_startup.append(self._startup)
        app.on_cleanup.append(self._cleanup)
        return app

    async def _startup(self, app: web.Application) -> None:
        if self.source is not None:
            timeout = aiohttp.ClientTimeout(total=30, sock_connect=10)
            self._session = aiohttp.ClientSession(timeout=timeout, headers=self.source.request_headers(),
                                                  connector=aiohttp.TCPConnector(ssl=client_ssl_context()),
                                                  trust_env=True)  # HTTPS_PROXY/NO_PROXY, as downloads do
        self._flusher = asyncio.create_task(self._flush_periodically())

    async def _cleanup(self, app: web.Application) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
        if self._session is not None:
            await self._session.close()
        await self._call(self._flush_counts)

    async def _flush_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.flush_interval_s)
            await self._call(self._flush_counts)

    async def handle_stats(self, request: web.Request) -> web.Response:
        """The store's statistics plus this proxy's session counts, as JSON."""
        await self._call(self._flush_counts)
        stats = (await self._call(self.store.stats)).to_dict()
        stats["session"] = {"hits": self.hits, "misses": self.misses, "mode": self.mode}
        return web.json_response(stats, headers={"Access-Control-Allow-Origin": "*"})

    async def handle_tile(self, request: web.Request) -> web.StreamResponse:
        """Answer one tile request according to the mode."""
        z, x, y = (int(request.match_info[k]) for k in ("z", "x", "y"))
        if z > MAX_ZOOM or x >= 1 << z or y >= 1 << z:
            return web.Response(status=404, text=f"tile {z}/{x}/{y} does not exist\n", headers=CORS)
        stored: TileRecord | None = await self._call(self.store.get_tile_record, z, x, y)
        fresh = stored is not None and time.time() - stored.fetched_at < self.valid_for_s
        if self.mode == "cache-only" or (self.mode == "cache-first" and fresh):
            if stored is None:
                self._count(False)
                return web.Response(status=404, text=f"tile {z}/{x}/{y} is not stored\n", headers=CORS)
            self._count(True, (z, x, y))
            return self._answer(request, stored, "HIT")
        answer = await self._ask_once(z, x, y, stored)
        now = time.time()
        if answer.kind == "not-modified" and stored is not None:
            record = TileRecord(z, x, y, stored.data, now, answer.etag or stored.etag, stored.last_modified,
                                answer.expires_at or stored.expires_at)
            await self._call(self.store.put_tiles, [record])
            self._count(True, (z, x, y))
            return self._answer(request, record, "REVALIDATED")
        if answer.kind == "ok":
            record = TileRecord(z, x, y, answer.body, now, answer.etag, answer.last_modified, answer.expires_at)
            await self._call(self.store.put_tiles, [record])
            self._count(False, (z, x, y))
            return self._answer(request, record, "MISS")
        if stored is not None:  # the origin failed or said gone: the stored tile is better than nothing
            self._count(True, (z, x, y))
            return self._answer(request, stored, "STALE")
        self._count(False)
        status = 404 if answer.kind == "negative" else 502
        return web.Response(status=status, text=f"tile {z}/{x}/{y}: origin answered {answer.reason}\n", headers=CORS)

    @staticmethod
    def _answer(request: web.Request, record: TileRecord, cache: str) -> web.Response:
        """The tile, or 304 when the client's If-None-Match / If-Modified-Since still matches."""
        tag = entity_tag(record)
        headers = {"ETag": tag, "X-Cache": cache, "Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache"}
        if record.last_modified:
            headers["Last-Modified"] = record.last_modified
        match = request.headers.get("If-None-Match")
        since = _http_date(request.headers.get("If-Modified-Since"))
        modified = _http_date(record.last_modified)
        if (match and tag in {t.strip() for t in match.split(",")} | ({tag} if match.strip() == "*" else set())) or \
                (not match and since is not None and modified is not None and modified <= since):
            return web.Response(status=304, headers=headers)
        fmt = sniff_format(record.data)
        if fmt == "pbf":  # a vector tile stored gzip-compressed: browsers unpack it only when told
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=record.data, content_type=MIME.get(fmt or "", "application/octet-stream"),
                            headers=headers)


class ProxyHandle:
    """A proxy running in a background thread (for notebooks): ``url_template`` for the map, ``stop()``."""

    def __init__(self, proxy: CachingProxy, port: int = 0) -> None:
        self.proxy = proxy
        self._site = ThreadedSite(proxy.app, port=port, name="fmtc-nb-proxy")
        try:
            self.port = self._site.start().port
        except BaseException as exc:
            proxy.close()
            raise StoreError(f"The tile proxy could not start on port {port} ({exc}).") from exc

    @property
    def url(self) -> str:
        """The proxy's base URL (loopback)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url_template(self) -> str:
        """The tile URL template to give ipyleaflet's TileLayer."""
        return f"{self.url}/{{z}}/{{x}}/{{y}}"

    @property
    def hits(self) -> int:
        """Hits answered since the proxy started."""
        return self.proxy.hits

    @property
    def misses(self) -> int:
        """Misses answered since the proxy started."""
        return self.proxy.misses

    def stop(self) -> None:
        """Stop serving, write the counts and close the store (idempotent)."""
        self._site.stop()
        self.proxy.close()

    def wait(self) -> None:
        """Block until :meth:`stop` is called from another thread."""
        self._site.wait()

    def __enter__(self) -> ProxyHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_store(name: str, root: Any = None, *, source: str | None = None, mode: str = "cache-first",
                valid_for_days: float = DEFAULT_VALID_FOR_DAYS, port: int = 0) -> ProxyHandle:
    """Start a caching proxy for store ``name`` in a background thread on 127.0.0.1 (``port`` 0: any free
    port) and return its handle; use ``handle.url_template`` as the map's tile URL and ``handle.stop()``."""
    return ProxyHandle(CachingProxy(name, root, source=source, mode=mode, valid_for_days=valid_for_days), port)
