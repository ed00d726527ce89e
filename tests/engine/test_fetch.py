"""One request against a real loopback server: every fault becomes the right kind of result."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import aiohttp
import pytest

from fmtc_nb.engine.fetch import fetch_tile, retry_after_seconds
from fmtc_nb.engine.validate import image_problem
from tests.engine.conftest import tile_png


@pytest.mark.parametrize(("action", "kind", "reason"), [
    ("ok", "ok", None), ("404", "negative", "HTTP 404"), ("410", "negative", "HTTP 410"),
    ("500", "failed", "HTTP 500"), ("503", "failed", "HTTP 503"), ("429", "failed", "HTTP 429"),
    ("html", "failed", "HTML"), ("stall", "failed", "timeout"), ("reset", "failed", ""),
    ("truncate", "failed", ""), ("chunked-truncate", "failed", "truncated PNG"),
])
def test_each_fault_is_classified(fault_server, action, kind, reason):
    server = fault_server(lambda z, x, y, n: action)

    async def go():
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=1, sock_read=0.5)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            return await fetch_tile(session, server.url_template.format(z=3, x=1, y=2), None)

    result = asyncio.run(go())
    assert result.kind == kind
    if kind == "ok":
        assert result.body == tile_png(3, 1, 2) and result.etag == '"3-1-2"'
    else:
        assert result.body == b"" and reason in (result.reason or "")
    if action in ("429", "503"):
        assert result.retry_after_s == pytest.approx(0.3)



def fetch_with(server, **validators):
    async def go():
        async with aiohttp.ClientSession() as session:
            return await fetch_tile(session, server.url_template.format(z=3, x=1, y=2), None, **validators)

    return asyncio.run(go())


def test_conditional_requests_get_not_modified_with_fresh_caching_headers(fault_server):
    server = fault_server(lambda z, x, y, n: "revalidate")
    full = fetch_with(server)
    assert full.kind == "ok" and full.body == tile_png(3, 1, 2)
    assert full.last_modified == "Tue, 03 Nov 2026 10:00:00 GMT"
    assert full.expires_at == pytest.approx(1793786400.0)  # from Expires: Wed, 04 Nov 2026 10:00:00 GMT
    by_tag = fetch_with(server, etag=full.etag)
    assert by_tag.kind == "not-modified" and by_tag.body == b"" and by_tag.etag == '"3-1-2"'
    assert by_tag.expires_at == pytest.approx(time.time() + 60, abs=5)  # max-age wins over Expires
    assert fetch_with(server, last_modified=full.last_modified).kind == "not-modified"
    assert fetch_with(server, etag='"stale"').kind == "ok"


def test_a_304_to_an_unconditional_request_is_a_failure(fault_server):
    result = fetch_with(fault_server(lambda z, x, y, n: "304"))
    assert (result.kind, result.reason) == ("failed", "HTTP 304")

def test_validation_accepts_whole_images_only():
    png = tile_png(1, 0, 0)
    assert image_problem(png) is None
    assert image_problem(png[:-5]) == "truncated PNG (no IEND chunk)"
    assert image_problem(b"\xff\xd8\xff\xe0 jpeg body \xff\xd9") is None
    assert image_problem(b"\xff\xd8\xff\xe0 jpeg bo") is not None
    webp = b"RIFF" + (8).to_bytes(4, "little") + b"WEBPVP8 "
    assert image_problem(webp) is None and image_problem(webp[:-1]) is not None
    assert image_problem(b"<!DOCTYPE html><html>") is not None
    assert image_problem(b"") == "empty body"
    assert image_problem(b"\x1a\x02pbf", "pbf") is None and image_problem(b"<html>", "pbf") is not None
    assert image_problem(b"\x1f\x8b\x08\x00", "mvt") is None  # gzip-compressed vector tile
    assert image_problem(png, "pbf") == "an image instead of a vector tile"
    assert image_problem(b"\x00garbage", "pbf") is not None


def test_retry_after_seconds_reads_both_forms_of_the_header_and_is_never_negative():
    assert retry_after_seconds("3") == 3.0 and retry_after_seconds("0.5") == 0.5 and retry_after_seconds("-2") == 0.0
    assert 8.0 < retry_after_seconds(formatdate(time.time() + 10, usegmt=True)) <= 10.0
    assert retry_after_seconds(formatdate(time.time() - 100, usegmt=True)) == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("") is None and retry_after_seconds("soon") is None
