"""Fetching a pack's resources (sprites, glyph ranges) politely: concurrent, on the engine's own session (its
proxies, CA bundle, timeouts and HTTP/2 choice), retried with the engine's backoff, ``Retry-After`` honoured,
each body checked before it is written whole into the pack folder."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from fmtc_nb.engine.fetch import RETRY_AFTER_STATUSES, retry_after_seconds
from fmtc_nb.engine.job import DownloadOptions
from fmtc_nb.engine.transport import ProxyChooser, tile_session
from fmtc_nb.engine.validate import image_problem
from fmtc_nb.packs.plan import Resource
from fmtc_nb.packs.storage import PackFolder

#: Most resource requests at once (glyph servers are often small).
MAX_PARALLEL = 8


@dataclass(frozen=True)
class ResourceResult:
    """What became of a resource: ``kind`` is ``stored``, ``present`` (kept from an earlier run) or ``failed``;
    ``size`` bytes stored; ``reason`` why it failed."""

    resource: Resource
    kind: str
    size: int = 0
    reason: str | None = None


def body_problem(resource: Resource, body: bytes) -> str | None:
    """None if ``body`` is what the resource should be: a sprite index (JSON object), a sprite sheet (PNG), a
    glyph range (protobuf ``stacks`` field); else one phrase."""
    if resource.path.endswith(".json"):
        try:
            return None if isinstance(json.loads(body), dict) else "a sprite index that is not a JSON object"
        except (ValueError, UnicodeDecodeError):
            return "a sprite index that is not JSON"
    if resource.path.endswith(".png"):
        problem = image_problem(body)
        return None if problem is None and body.startswith(b"\x89PNG") else f"a sprite sheet that is {problem or 'not a PNG'}"
    if body[:1] != b"\x0a":
        return "a glyph range that is not a glyph protobuf" if body.lstrip()[:1] != b"<" else "an HTML page"
    return None


def _plain(body: bytes) -> bytes:
    """Glyph ranges served gzip-compressed without Content-Encoding are stored plain (browsers read them so)."""
    if body[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(body)
        except (OSError, EOFError):
            return body
    return body


async def _fetch_one(session: Any, proxy: str | None, resource: Resource, folder: PackFolder,
                     options: DownloadOptions, cancelled: Callable[[], bool]) -> ResourceResult:
    reason = "not tried"
    for attempt in range(1, options.retries + 2):
        retry_after = None
        try:
            async with session.get(resource.url, proxy=proxy, allow_redirects=True) as resp:
                body = _plain(await resp.read())
                if resp.status == 200:
                    problem = body_problem(resource, body)
                    if problem is None:
                        await asyncio.to_thread(folder.write, resource.path, body)
                        return ResourceResult(resource, "stored", len(body))
                    reason = f"the server sent {problem}"
                elif resp.status in (404, 410):
                    return ResourceResult(resource, "failed", reason=f"HTTP {resp.status}")
                else:
                    reason = f"HTTP {resp.status}"
                    if resp.status in RETRY_AFTER_STATUSES:
                        retry_after = retry_after_seconds(resp.headers.get("Retry-After"))
        except TimeoutError:
            reason = "timeout"
        except (aiohttp.ClientError, OSError) as exc:  # ConnectionError too (the HTTP/2 session's)
            reason = f"{type(exc).__name__}: {exc}"[:200]
        if attempt > options.retries or cancelled():
            break
        await asyncio.sleep(options.backoff_delay(attempt, retry_after))
    return ResourceResult(resource, "failed", reason=reason)


async def fetch_resources(resources: Sequence[Resource], folder: PackFolder, options: DownloadOptions,
                          headers: dict[str, str], on_result: Callable[[ResourceResult], None],
                          cancelled: Callable[[], bool] = lambda: False) -> list[ResourceResult]:
    """Fetch every resource the pack folder lacks (those it has are reported ``present``), at most
    :data:`MAX_PARALLEL` at a time; ``on_result`` is called for each as it ends. Never raises for network
    trouble: a resource that failed says why."""
    results: list[ResourceResult] = []
    missing = []
    for resource in resources:
        if folder.has(resource.path):
            results.append(ResourceResult(resource, "present"))
            on_result(results[-1])
        else:
            missing.append(resource)
    if not missing:
        return results
    limit = asyncio.Semaphore(min(options.parallel, MAX_PARALLEL))
    proxy_for = ProxyChooser(options)

    async def one(resource: Resource) -> None:
        async with limit:
            if cancelled():
                return
            result = await _fetch_one(session, proxy_for(resource.url), resource, folder, options, cancelled)
        results.append(result)
        on_result(result)

    async with tile_session(options, headers) as session:
        await asyncio.gather(*(one(r) for r in missing))
    return results
