"""The connection a job's tile requests travel on: aiohttp over HTTP/1.1 (the default), or httpx over HTTP/2
(``DownloadOptions.http2``, the ``fmtc-nb[http2]`` extra) for far servers that allow few connections.

Both honour the environment's ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` unless ``env_proxy`` is off, take
``proxy`` (a proxy URL, which wins over the environment) and verify TLS with the system's CAs, certifi's and
an optional ``ca_bundle``. :func:`fmtc_nb.engine.fetch.fetch_tile` stays the one place a request is made: the
HTTP/2 session answers the few calls it makes of an aiohttp session (``get(...)`` as an async context manager
whose response has ``status``, ``headers``, ``url`` and ``read()``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import yarl

from fmtc_nb.errors import OptionError
from fmtc_nb.tls import client_ssl_context, new_client_ssl_context


class Http2Missing(OptionError):
    """``http2`` was asked for where httpx or h2 cannot be imported; its sentence names the extra to install."""

    def __init__(self) -> None:
        super().__init__("http2", True, "switch http2", "usable here")
        self.args = ("HTTP/2 (--http2) needs httpx with HTTP/2 support, which is not installed: "
                     "pip install 'fmtc-nb[http2]'.",)

    def given_as(self, flag: str) -> OptionError:
        """The same sentence (it already names ``--http2``)."""
        return self


def check_http2_available() -> None:
    """Raise :class:`Http2Missing` (an ``OptionError``, one sentence) unless httpx and h2 can be imported."""
    try:
        import h2  # noqa: F401
        import httpx  # noqa: F401
    except ImportError:
        raise Http2Missing() from None


def check_transport(options: Any) -> None:
    """Refuse (``OptionError``, one sentence) a ``DownloadOptions`` whose connection cannot be made here: a CA
    bundle that cannot be read, or ``http2`` without httpx and h2."""
    client_ssl_context(options.ca_bundle)
    if options.http2:
        check_http2_available()


class ProxyChooser:
    """The proxy for each tile request of a job: ``options.proxy`` if given; else, with ``env_proxy``, the one
    ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` name for the URL's scheme unless ``NO_PROXY`` covers its host
    (read once per origin, not per request: aiohttp's own ``trust_env`` reads the environment and ``.netrc`` on
    every request, a third of the engine's speed on loopback). HTTP/2 sessions get their proxy from httpx."""

    def __init__(self, options: Any) -> None:
        import urllib.request

        self._fixed: str | None = options.proxy
        from_env = bool(options.env_proxy) and options.proxy is None and not options.http2
        #: The environment's proxies by scheme, read once; empty (the usual case) means every request goes direct.
        self._proxies: dict[str, str] = urllib.request.getproxies() if from_env else {}
        self._by_origin: dict[str, str | None] = {}

    def __call__(self, url: str) -> str | None:
        """The proxy URL for ``url`` (None: go direct)."""
        if not self._proxies:
            return self._fixed
        end = url.find("/", url.find("://") + 3)
        origin = url if end < 0 else url[:end]  # scheme://host:port
        if origin not in self._by_origin:
            self._by_origin[origin] = _environment_proxy(url, self._proxies)
        return self._by_origin[origin]


#: Placeholders whose values are digits (or the template's own subdomains and API key, the same for every tile):
#: a template made only of these gives URLs that are all in yarl's form once one of them is.
_PLAIN_PLACEHOLDERS = frozenset({"z", "x", "y", "-y", "q", "s", "r", "api_key"})


class ParsedUrls:
    """A job's tile URLs as aiohttp takes them: ``yarl.URL(url, encoded=True)`` when the source's URLs are
    already in the form yarl gives them (lower-case host, nothing to quote or normalise), which saves aiohttp
    parsing and re-quoting every URL (about 4 µs of a tile's 100 on loopback); the URL text as it is otherwise,
    and always over HTTP/2 (httpx takes text)."""

    def __init__(self, source: Any, http2: bool) -> None:
        from fmtc_nb.sources.templates import placeholders

        # one URL per subdomain (tile x + y picks it), at a small and a large zoom
        samples = {source.url(0, 0, 0)} | {source.url(13, 4000 + k, 2730) for k in range(len(source.subdomains) or 1)}
        self._parse = not http2 and placeholders(source.url_template) <= _PLAIN_PLACEHOLDERS and \
            all(str(yarl.URL(url)) == url for url in samples)

    def __call__(self, url: str) -> str | yarl.URL:
        """``url`` (a URL of the source) as aiohttp is to take it."""
        return yarl.URL(url, encoded=True) if self._parse else url


def _environment_proxy(url: str, proxies: Mapping[str, str]) -> str | None:
    """The proxy of ``proxies`` (the environment's, by scheme) for ``url``; None: none, or its host is in
    NO_PROXY."""
    import urllib.request

    parsed = yarl.URL(url)
    proxy = proxies.get(parsed.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parsed.host or ""):
        return None
    return proxy


@asynccontextmanager
async def tile_session(options: Any, headers: Mapping[str, str], *, read_timeout: bool = True) -> AsyncIterator[Any]:
    """An open session for a job's tile requests with ``options`` (a ``DownloadOptions``: ``parallel``
    connections at most over HTTP/1.1, timeouts in seconds, proxies, CA bundle, ``http2``) and default
    request ``headers`` (the source's, with its User-Agent); closed on exit.

    ``read_timeout=False``: over HTTP/1.1 no read timeout is set, because the caller bounds every request
    itself (the engine's :class:`~fmtc_nb.engine.deadline.RequestDeadlines`: aiohttp's ``sock_read`` re-arms
    a timer on every chunk read)."""
    if options.http2:
        check_http2_available()
        http2 = Http2Session(options, headers, new_client_ssl_context(options.ca_bundle))  # httpx sets its ALPN
        try:
            yield http2
        finally:
            await http2.close()
        return
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=options.connect_timeout_s,
                                    sock_read=options.read_timeout_s if read_timeout else None)
    connector = aiohttp.TCPConnector(limit=options.parallel, ttl_dns_cache=300,
                                     ssl=client_ssl_context(options.ca_bundle))
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=dict(headers)) as session:
        yield session


class _Http2Response:
    """The parts of an aiohttp response that ``fetch_tile`` reads, over an httpx response."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self.status: int = response.status_code
        self.headers = response.headers  # case-insensitive, like aiohttp's
        self.url = yarl.URL(str(response.url))

    @property
    def received_bytes(self) -> int:
        """Body bytes received so far (the engine's request deadlines watch it grow)."""
        return int(self._response.num_bytes_downloaded)

    async def read(self) -> bytes:
        """The whole body."""
        return bytes(await self._response.aread())


class Http2Session:
    """Tile requests over HTTP/2 through one ``httpx.AsyncClient``: many streams on few connections."""

    def __init__(self, options: Any, headers: Mapping[str, str], ssl_context: Any) -> None:
        import httpx

        self._httpx = httpx
        # every phase bounded, so a stream that never gets going fails (and is retried) instead of stalling
        timeout = httpx.Timeout(connect=options.connect_timeout_s, read=options.read_timeout_s,
                                write=options.read_timeout_s, pool=options.read_timeout_s)
        self._client = httpx.AsyncClient(http2=True, verify=ssl_context, timeout=timeout, headers=dict(headers),
                                         proxy=options.proxy, trust_env=options.env_proxy,
                                         limits=httpx.Limits(max_connections=None, max_keepalive_connections=None))

    @asynccontextmanager
    async def get(self, url: str, *, proxy: str | None = None, allow_redirects: bool = False,
                  headers: Mapping[str, str] | None = None) -> AsyncIterator[_Http2Response]:
        """GET ``url`` (no redirects followed; ``proxy`` is the session's own, given when it was made). httpx's
        timeouts become ``TimeoutError`` and its other failures ``ConnectionError``, as aiohttp's are caught."""
        httpx = self._httpx
        try:
            async with self._client.stream("GET", url, headers=headers, follow_redirects=allow_redirects) as resp:
                yield _Http2Response(resp)
        except httpx.TimeoutException:
            raise TimeoutError from None
        except (httpx.HTTPError, httpx.StreamError) as exc:
            raise ConnectionError(f"{type(exc).__name__}: {exc}") from None

    async def close(self) -> None:
        """Close every connection."""
        await self._client.aclose()
