"""Fetch a service's description (WMS/WMTS capabilities, a TileJSON) politely and within bounds.

Standard library only (``urllib``), so resolving a source needs no event loop and works in a notebook cell, the
CLI and on the phone alike. The job's network options hold here as for its tiles: HTTPS trusts the system's CAs,
certifi's and the job's ``ca_bundle`` (``fmtc_nb.tls.client_ssl_context``); ``proxy`` wins over the environment's
proxies, which ``env_proxy`` false ignores (:class:`DocumentFetch` carries them with the request headers). The request names fmtc-nb in its User-Agent, a 429/503 is retried once after the
server's Retry-After (at most :data:`MAX_RETRY_AFTER_S`), and the body is capped at :data:`MAX_DOCUMENT_BYTES`.
Every failure is a :class:`~fmtc_nb.errors.SourceError` sentence that shows the URL without its API key.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fmtc_nb.errors import SourceError
from fmtc_nb.tls import client_ssl_context

MAX_DOCUMENT_BYTES = 32 * 1024 * 1024
"""Largest description read, in bytes (national WMS capabilities run to a few MB)."""
TIMEOUT_S = 30.0
MAX_RETRY_AFTER_S = 60.0


@dataclass(frozen=True)
class DocumentFetch:
    """How a job's documents (capabilities, TileJSON, styles) are fetched: the request ``headers`` (User-Agent
    included) and the job's ``network`` options (a ``DownloadOptions``, or None for the defaults)."""

    headers: Mapping[str, str] = field(default_factory=dict)
    network: Any = None

    def get(self, url: str, *, what: str, shown_url: str) -> bytes:
        """The body of ``url`` (see :func:`fetch_document`)."""
        return fetch_document(url, what=what, shown_url=shown_url, headers=self.headers, network=self.network)


def _opener(network: Any) -> urllib.request.OpenerDirector:
    """urllib with the network options' CA bundle and proxy choice (None: the defaults)."""
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.HTTPSHandler(context=client_ssl_context(getattr(network, "ca_bundle", None)))]
    proxy = getattr(network, "proxy", None)
    if proxy:
        handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
    elif not getattr(network, "env_proxy", True):
        handlers.append(urllib.request.ProxyHandler({}))  # no proxy, whatever the environment says
    return urllib.request.build_opener(*handlers)


def fetch_document(url: str, *, what: str, shown_url: str, headers: Mapping[str, str], network: Any = None) -> bytes:
    """GET ``url`` and return its body. ``what`` names the document in sentences ("WMS capabilities"),
    ``shown_url`` is the URL as it may be shown (API key redacted), ``headers`` include the User-Agent;
    ``network``: the job's ``DownloadOptions`` (proxy, environment proxies, CA bundle), None for the defaults."""
    opener = _opener(network)
    for attempt in (1, 2):
        request = urllib.request.Request(url, headers=dict(headers))
        try:
            with opener.open(request, timeout=TIMEOUT_S) as response:
                body: bytes = response.read(MAX_DOCUMENT_BYTES + 1)
        except urllib.error.HTTPError as exc:
            wait = _wait_asked(exc) if exc.code in (429, 503) else None
            if attempt == 1 and wait is not None and wait <= MAX_RETRY_AFTER_S:
                time.sleep(wait)
                continue
            raise SourceError(f"The {what} at {shown_url} answered HTTP {exc.code} ({exc.reason}).") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise SourceError(f"The {what} at {shown_url} could not be fetched ({reason}).") from None
        if len(body) > MAX_DOCUMENT_BYTES:
            raise SourceError(f"The {what} at {shown_url} is larger than {MAX_DOCUMENT_BYTES // 2**20} MiB, "
                              "more than any service description needs.")
        return body
    raise AssertionError("unreachable")  # pragma: no cover


def _wait_asked(exc: urllib.error.HTTPError) -> float:
    """Seconds a 429/503 answer asks to wait (see ``retry_after_seconds``); 1 s when it says nothing usable."""
    from fmtc_nb.engine.fetch import retry_after_seconds  # aiohttp's import only when a server asks to wait

    told = retry_after_seconds(exc.headers.get("Retry-After"))
    return 1.0 if told is None else told


def check_parses(url: str) -> None:
    """Refuse a URL that Python cannot take apart (e.g. an unclosed ``[`` of an IPv6 host), in one sentence
    (without the query, which may hold a key)."""
    from urllib.parse import urlsplit

    try:
        urlsplit(url)
    except ValueError as exc:
        raise SourceError(f"The address {url.split('?')[0]!r} is not a valid URL ({exc}).") from None


def check_http_url(url: str, what: str) -> None:
    """Refuse anything but an absolute http(s) URL (urllib would also open ``file:`` and ``ftp:``)."""
    from urllib.parse import urlsplit

    check_parses(url)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceError(f"The {what} address {url!r} is not an http(s) URL.")
