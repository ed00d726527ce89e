"""The caching tile proxy against a real loopback origin, over real HTTP."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest

from fmtc_nb.errors import SourceError, StoreError
from fmtc_nb.store import TileRecord
from fmtc_nb.store.proxy import serve_store

from .conftest import Origin


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_cache_first_fetches_once_then_serves_from_the_store(root, origin: Origin):
    with serve_store("browse", root, source=origin.url_template) as proxy:
        first = get(proxy.url_template.format(z=3, x=2, y=1))
        second = get(proxy.url + "/3/2/1.png")
        assert first[0] == second[0] == 200 and first[1] == second[1] == origin.body(3, 2, 1)
        assert (first[2]["X-Cache"], second[2]["X-Cache"]) == ("MISS", "HIT")
        assert first[2]["Content-Type"] == "image/png" and first[2]["ETag"] == origin.etag(3, 2, 1)
        assert len(origin.requests) == 1 and (proxy.hits, proxy.misses) == (1, 1)
        assert get(proxy.url + "/3/9/1")[0] == 404 and len(origin.requests) == 1, "x out of range: no request"
    with root.open("browse") as store:
        stats = store.stats()
        assert (stats.tiles, stats.hits, stats.misses) == (1, 1, 1)
        assert store.get_tile_record(3, 2, 1).etag == origin.etag(3, 2, 1)
        assert store.source_url == origin.url_template


def test_stale_tiles_are_revalidated_with_conditional_requests(root, origin: Origin):
    with root.create("browse", origin.url_template) as store:
        old = time.time() - 40 * 86400
        store.put_tiles([TileRecord(4, 1, 1, origin.body(4, 1, 1), old, origin.etag(4, 1, 1), Origin.LAST_MODIFIED)])
    with serve_store("browse", root, valid_for_days=30) as proxy:
        status, body, headers = get(proxy.url + "/4/1/1")
        assert (status, headers["X-Cache"], body) == (200, "REVALIDATED", origin.body(4, 1, 1))
        assert origin.requests[-1] == ("/4/1/1.png", origin.etag(4, 1, 1), Origin.LAST_MODIFIED)
        assert get(proxy.url + "/4/1/1")[2]["X-Cache"] == "HIT"
        assert len(origin.requests) == 1, "revalidation renewed the fetched time"
    origin.version = 1  # the origin's tile changes; a zero validity forces asking again
    with serve_store("browse", root, valid_for_days=0) as proxy:
        status, body, headers = get(proxy.url + "/4/1/1")
        assert (headers["X-Cache"], body) == ("MISS", origin.body(4, 1, 1))
    with root.open("browse") as store:
        assert store.get_tile(4, 1, 1) == origin.body(4, 1, 1) and store.stats().tiles == 1


def test_online_first_asks_every_time_and_falls_back_to_the_store(root, origin: Origin):
    with serve_store("browse", root, source=origin.url_template, mode="online-first") as proxy:
        assert get(proxy.url + "/2/1/1")[2]["X-Cache"] == "MISS"
        assert get(proxy.url + "/2/1/1")[2]["X-Cache"] == "REVALIDATED"
        origin.down = True
        status, body, headers = get(proxy.url + "/2/1/1")
        assert (status, headers["X-Cache"], body) == (200, "STALE", origin.body(2, 1, 1))
        assert get(proxy.url + "/2/0/0")[0] == 502
        assert len(origin.requests) == 4
        assert (proxy.hits, proxy.misses) == (2, 2)


def test_cache_only_never_touches_the_network(root, origin: Origin):
    with root.create("offline", origin.url_template) as store:
        store.put_tiles([TileRecord(1, 0, 0, origin.body(1, 0, 0), time.time() - 400 * 86400)])
    with serve_store("offline", root, mode="cache-only") as proxy:
        assert get(proxy.url + "/1/0/0")[1] == origin.body(1, 0, 0)
        assert get(proxy.url + "/1/1/0")[0] == 404
    assert origin.requests == []


def test_negative_answer_is_404_and_client_conditional_requests_get_304(root, origin: Origin):
    with serve_store("browse", root, source=origin.url_template) as proxy:
        assert get(proxy.url + "/9/1/1")[0] == 404
        _, _, headers = get(proxy.url + "/5/3/3")
        assert get(proxy.url + "/5/3/3", {"If-None-Match": headers["ETag"]})[0] == 304
        assert get(proxy.url + "/5/3/3", {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
        assert get(proxy.url + "/5/3/3", {"If-None-Match": '"other"'})[0] == 200
        stats = get(proxy.url + "/stats")
        assert stats[0] == 200 and b'"session"' in stats[1]


def test_bad_proxy_setups_are_refused(root, origin: Origin):
    root.create("bare").close()
    with pytest.raises(StoreError, match="records no tile source"):
        serve_store("bare", root)
    with pytest.raises(SourceError):
        serve_store("new", root, source="ftp://tiles.example/{z}/{x}/{y}.png")
    assert "new" not in root.list()
    with pytest.raises(StoreError, match="Unknown proxy mode"):
        serve_store("bare", root, mode="sometimes")
    with pytest.raises(StoreError, match="validity period"):
        serve_store("bare", root, mode="cache-only", valid_for_days=float("nan"))
    with root.create("other", "http://other.example/{z}/{x}/{y}.png"):
        pass
    with pytest.raises(StoreError, match="another source"):
        serve_store("other", root, source=origin.url_template)
    with serve_store("bare", root, mode="cache-only") as proxy, pytest.raises(StoreError, match="could not start"):
        serve_store("bare", root, mode="cache-only", port=proxy.port)


def test_html_answers_are_not_stored_and_concurrent_requests_share_one_fetch(root, origin: Origin):
    from concurrent.futures import ThreadPoolExecutor

    with serve_store("browse", root, source=origin.url_template) as proxy:
        assert get(proxy.url + "/11/5/5")[0] == 502
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: get(proxy.url + "/10/7/7"), range(6)))
        assert {a[1] for a in answers} == {origin.body(10, 7, 7)}
        assert sum(1 for path, _, _ in origin.requests if path == "/10/7/7.png") == 1
    with root.open("browse") as store:
        assert not store.has_tile(11, 5, 5) and store.stats().tiles == 1
