"""One polite tile request: status, validated body and caching headers, classified into an outcome.

Used by the download engine, the estimator's prober and the store's caching proxy (which makes the request
conditional with a stored tile's validators and gets ``not-modified`` back for a 304).
"""

from __future__ import annotations

import contextlib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import aiohttp
import yarl

from fmtc_nb.engine.validate import image_problem
from fmtc_nb.source import redact_text

NEGATIVE_STATUSES = frozenset({404, 410})
RETRY_AFTER_STATUSES = frozenset({429, 503})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Redirect hops followed per request (as aiohttp's own default).
MAX_REDIRECTS = 10


@dataclass(slots=True)
class FetchResult:
    """``kind`` is ok, not-modified (a 304 to a conditional request: no body), negative (404/410) or failed;
    ``expires_at`` is epoch seconds (None: not said); ``retry_after_s`` is the server's wish in seconds, if any;
    ``status`` is the final HTTP status (None: no answer); ``certificate_error`` is True when there was no answer
    because the server's TLS certificate did not verify (the network works: not a reason to wait for it). A plain
    slotted record (made once per tile: a frozen dataclass costs three times as much to build)."""

    kind: str
    body: bytes = b""
    reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    expires_at: float | None = None
    retry_after_s: float | None = None
    status: int | None = None
    certificate_error: bool = False


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header's ``value``: delay-seconds, or an HTTP date (seconds from
    now); never negative. None when the header is missing, empty or neither form."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        try:
            return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            return None


def expiry(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Epoch seconds when a response expires, from ``Cache-Control: max-age`` or ``Expires`` (None: not said);
    ``now`` defaults to the current time."""
    control, expires = headers.get("Cache-Control"), headers.get("Expires")
    if control is None and expires is None:  # most tile servers say neither: no clock read, no parsing
        return None
    now = time.time() if now is None else now
    for part in (control or "").split(","):
        key, _, value = part.strip().partition("=")
        if key.lower() == "max-age" and value.strip().isdigit():
            return now + int(value)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        return parsedate_to_datetime(expires).timestamp() if expires is not None else None
    return None


async def fetch_tile(session: aiohttp.ClientSession, url: str | yarl.URL, tile_format: str | None,
                     proxy: str | None = None, *, etag: str | None = None, last_modified: str | None = None,
                     allowed: Callable[[str], None] | None = None,
                     watch: Callable[[aiohttp.ClientResponse], None] | None = None) -> FetchResult:
    """GET ``url`` (text, or a ``yarl.URL`` already encoded) once; never raises for network trouble (it becomes a
    failed result). ``etag`` / ``last_modified`` (a stored copy's validators) make the request conditional
    (If-None-Match / If-Modified-Since); then a 304 is a ``not-modified`` result, otherwise a 304 is a failure.

    Redirects (at most :data:`MAX_REDIRECTS`) are followed here, one hop at a time: ``allowed(target_url)`` is
    called before each and may raise (the engine passes ``fmtc_nb.source.check_bulk_url``, so a server that
    redirects to a host forbidding bulk downloads stops the job with ``PolicyError``). ``watch(response)`` is
    called once the final answer's headers arrived, before its body is read (the engine's request deadlines)."""
    headers = None  # the engine's per-tile requests stay unconditional without building anything
    if etag or last_modified:
        conditional = {"If-None-Match": etag, "If-Modified-Since": last_modified}
        headers = {name: value for name, value in conditional.items() if value}
    try:
        for _ in range(MAX_REDIRECTS + 1):
            async with session.get(url, proxy=proxy, allow_redirects=False, headers=headers) as resp:
                target = _redirect_target(resp) if resp.status in REDIRECT_STATUSES else None
                if target is None:
                    if watch is not None:
                        watch(resp)
                    body = await resp.read()  # read here, not in _outcome: one coroutine less per resumption
                    return _outcome(resp, body, tile_format, conditional=headers is not None)
            if allowed is not None:
                allowed(target)
            url = target
        return FetchResult("failed", reason=f"more than {MAX_REDIRECTS} redirects")
    except TimeoutError:
        return FetchResult("failed", reason="timeout")
    except (aiohttp.ClientError, OSError) as exc:  # the reason is stored and shown: no credentials in it
        unverified = unverified_certificate(exc)
        if unverified is not None:
            return FetchResult("failed", reason=certificate_reason(url, unverified), certificate_error=True)
        return FetchResult("failed", reason=redact_text(f"{type(exc).__name__}: {exc}")[:200])


def unverified_certificate(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind ``exc`` (None: another failure). aiohttp raises
    ``ClientConnectorCertificateError`` caused by it; httpx 0.28 (``--http2``) an ``httpx.ConnectError`` caused
    by ``httpcore.ConnectError`` caused by it, which :class:`~fmtc_nb.engine.transport.Http2Session` turns into a
    ``ConnectionError`` (the chain stays in ``__context__``)."""
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        inner = getattr(link, "certificate_error", None)  # aiohttp's error (itself an SSLCertVerificationError)
        if isinstance(inner, ssl.SSLCertVerificationError):
            return inner
        if isinstance(link, ssl.SSLCertVerificationError):
            return link
        seen.add(id(link))
        link = link.__cause__ or link.__context__
    return None


def certificate_reason(url: str | yarl.URL, error: ssl.SSLCertVerificationError) -> str:
    """One sentence saying whose certificate did not verify, why, and the fix (``--ca-bundle``)."""
    host = yarl.URL(url).host or "the server"
    why = error.verify_message or error.reason or "certificate verify failed"
    return (f"The TLS certificate of {host} does not verify ({why}): pass the CA that signs it (a TLS-inspecting "
            "proxy's or a private one) with --ca-bundle FILE.")


def _redirect_target(resp: aiohttp.ClientResponse) -> str | None:
    """The absolute URL a redirect answer points to (None: not a redirect, or one without a Location)."""
    location = resp.headers.get("Location") if resp.status in REDIRECT_STATUSES else None
    if not location:
        return None
    try:
        return str(resp.url.join(yarl.URL(location)))
    except (ValueError, TypeError, UnicodeError):
        raise aiohttp.InvalidURL(location) from None


def _outcome(resp: aiohttp.ClientResponse, body: bytes, tile_format: str | None, *, conditional: bool) -> FetchResult:
    """Classify a final (non-redirect) answer whose body was read."""
    status = resp.status
    if status == 200:
        problem = image_problem(body, tile_format)
        if problem:
            return FetchResult("failed", reason=problem, status=status)
        headers = resp.headers
        return FetchResult("ok", body, None, headers.get("ETag"), headers.get("Last-Modified"), expiry(headers),
                           None, status)
    if status == 304 and conditional:
        return FetchResult("not-modified", status=status, etag=resp.headers.get("ETag"),
                           last_modified=resp.headers.get("Last-Modified"), expires_at=expiry(resp.headers))
    if status in NEGATIVE_STATUSES:
        return FetchResult("negative", reason=f"HTTP {status}", status=status)
    wait = retry_after_seconds(resp.headers.get("Retry-After")) if status in RETRY_AFTER_STATUSES else None
    return FetchResult("failed", reason=f"HTTP {status}", retry_after_s=wait, status=status)
