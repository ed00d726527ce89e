"""Issue 22: the event loop waits on the store thread only where it must. Row lookups for ``skip_existing`` only
where the store held tiles when the run started; full batches handed over without waiting for their commit,
and at most ``MAX_QUEUED_BATCHES`` queued when the store thread falls behind. Real loopback server, real
SQLite stores; a slow disk is a real sleep before each real commit."""

from __future__ import annotations

import time

from fmtc_nb.cover import TileCover
from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.engine.downloader import MAX_QUEUED_BATCHES
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.zooms import parse_zooms

WORLD = "rect:-180,-85,180,85"


class WatchedRoot(Root):
    """A real root whose stores count their row lookups and take at least ``commit_s`` per commit."""

    def __init__(self, path, commit_s: float = 0.0) -> None:
        super().__init__(path)
        self.commit_s = commit_s
        self.lookups: list[tuple[int, int, int, int]] = []
        self.commits = 0

    def open_or_create(self, name, url_template):
        store = super().open_or_create(name, url_template)
        put_tiles, existing_in_row = store.put_tiles, store.existing_in_row

        def slow_put_tiles(records, **kwargs):
            time.sleep(self.commit_s)
            put_tiles(records, **kwargs)
            self.commits += 1

        def counted_existing_in_row(z, y, x0, x1, fresher_than=None):
            self.lookups.append((z, y, x0, x1))
            return existing_in_row(z, y, x0, x1, fresher_than=fresher_than)

        store.put_tiles, store.existing_in_row = slow_put_tiles, counted_existing_in_row
        return store


def make_job(url: str, region: str, zooms: str, **options: object) -> DownloadJob:
    opts = {"parallel": 4, "batch_size": 25} | options
    return DownloadJob(parse_region(region), parse_zooms(zooms), TileSource(url), "s", DownloadOptions(**opts))


def test_a_new_store_costs_no_row_lookup(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    root = WatchedRoot(tmp_path)
    snap = Download(make_job(server.url_template, WORLD, "0-4"), root).run()
    assert snap.cached == snap.max_tiles == 341 and root.lookups == []
    with Root(tmp_path).open("s", readonly=True) as store:
        assert store.stats().tiles == 341 and store.verify() == []


def test_only_rows_inside_the_stored_extent_are_looked_up_and_nothing_is_fetched_twice(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    first = Download(make_job(server.url_template, "rect:0,0,40,40", "5"), Root(tmp_path)).run()
    with Root(tmp_path).open("s", readonly=True) as store:
        x0, x1, y0, y1 = store.zoom_extents()[5]
    assert first.cached == (x1 - x0 + 1) * (y1 - y0 + 1) > 1

    root = WatchedRoot(tmp_path)
    again = Download(make_job(server.url_template, WORLD, "4-5"), root).run()
    assert again.skipped_existing == first.cached and again.cached == 256 + 1024 - first.cached
    assert root.lookups and {z for z, *_ in root.lookups} == {5}
    assert all(y0 <= y <= y1 and a <= x1 and b >= x0 for _, y, a, b in root.lookups)
    assert len({y for _, y, *_ in root.lookups}) == y1 - y0 + 1  # each stored row once (rows are 32 wide)
    assert max(server.hits.values()) == 1  # no tile was requested twice
    with Root(tmp_path).open("s", readonly=True) as store:
        assert store.stats().tiles == 256 + 1024 and store.verify() == []


def test_workers_run_ahead_of_a_slow_store_by_at_most_the_queued_batches(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    batch, parallel = 10, 4
    root = WatchedRoot(tmp_path, commit_s=0.15)
    buffered: list[int] = []
    job = make_job(server.url_template, WORLD, "0-3", parallel=parallel, batch_size=batch, flush_interval_s=60)
    snap = Download(job, root, on_progress=lambda s: buffered.append(s.buffered)).run()
    assert snap.cached == snap.flushed == 85 and snap.failed == 0 and root.commits >= 85 // batch
    # the buffer being filled (a batch and what the other workers bring meanwhile) and the queued batches
    assert 0 < max(buffered) <= (MAX_QUEUED_BATCHES + 1) * batch + parallel
    with Root(tmp_path).open("s", readonly=True) as store:
        assert {(z, x, y) for z in range(4) for x, y in store.tile_keys(z)} == \
            set(TileCover(parse_region(WORLD), parse_zooms("0-3")).tiles())
        assert store.verify() == []
