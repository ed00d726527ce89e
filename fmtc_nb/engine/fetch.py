"""One polite tile request: status, validated body and caching headers, classified into an outcome."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import aiohttp

from fmtc_nb.engine.validate import image_problem

NEGATIVE_STATUSES = frozenset({404, 410})
RETRY_AFTER_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class FetchResult:
    """``kind`` is ok, negative or failed; ``retry_after_s`` is the server's wish in seconds, if any."""

    kind: str
    body: bytes = b""
    reason: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    expires_at: float | None = None
    retry_after_s: float | None = None


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        try:
            return max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError):
            return None


def _expires(headers: Mapping[str, str]) -> float | None:
    cache = headers.get("Cache-Control", "")
    for part in cache.split(","):
        key, _, val = part.strip().partition("=")
        if key == "max-age" and val.isdigit():
            return time.time() + int(val)
    return None


async def fetch_tile(session: aiohttp.ClientSession, url: str, tile_format: str | None,
                     proxy: str | None = None) -> FetchResult:
    """GET ``url`` once; never raises for network trouble (it becomes a failed result)."""
    try:
        async with session.get(url, proxy=proxy, allow_redirects=True) as resp:
            body = await resp.read()
            status = resp.status
            if status == 200:
                problem = image_problem(body, tile_format)
                if problem:
                    return FetchResult("failed", reason=problem)
                return FetchResult("ok", body, etag=resp.headers.get("ETag"),
                                   last_modified=resp.headers.get("Last-Modified"), expires_at=_expires(resp.headers))
            if status in NEGATIVE_STATUSES:
                return FetchResult("negative", reason=f"HTTP {status}")
            wait = _retry_after(resp.headers.get("Retry-After")) if status in RETRY_AFTER_STATUSES else None
            return FetchResult("failed", reason=f"HTTP {status}", retry_after_s=wait)
    except TimeoutError:
        return FetchResult("failed", reason="timeout")
    except (aiohttp.ClientError, OSError) as exc:
        return FetchResult("failed", reason=f"{type(exc).__name__}: {exc}"[:200])
