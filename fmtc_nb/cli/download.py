"""``fmtc-nb download``: bulk-download a region into a store with a progress bar."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from fmtc_nb.errors import SourceError


def register(subparsers: Any) -> None:
    """Add the ``download`` command."""
    p = subparsers.add_parser("download", help="download a region's tiles into a store")
    p.add_argument("region", help="GeoJSON file or spec (rect:W,S,E,N, circle:LON,LAT,KM, line:...)")
    p.add_argument("--zoom", required=True, help="zoom or range, e.g. 0-12")
    p.add_argument("--url", required=True, help="tile URL template with {z} {x} {y}")
    p.add_argument("--store", required=True, help="store name")
    add_engine_options(p)
    p.add_argument("--header", action="append", default=[], metavar="K:V", help="extra request header (repeatable)")
    p.add_argument("--contact", help="your e-mail or URL, added to the User-Agent")
    p.add_argument("--tile-format", choices=["png", "jpg", "webp", "pbf", "mvt"], default=None,
                   help="what the server sends (default: any PNG, JPEG or WebP image; pbf/mvt for vector tiles)")
    p.add_argument("--json", action="store_true", help="print the final snapshot as JSON")
    p.add_argument("--no-recovery", action="store_true", help="do not record the job for recovery")
    p.set_defaults(func=run)


def add_engine_options(p: argparse.ArgumentParser) -> None:
    """Options shared by commands that run the engine."""
    p.add_argument("--parallel", type=int, default=16, help="concurrent requests (default 16)")
    p.add_argument("--rate-limit", type=float, default=None, help="tiles per second at most")
    p.add_argument("--retries", type=int, default=3, help="retries per tile (default 3)")
    p.add_argument("--skip-existing", action=argparse.BooleanOptionalAction, default=True,
                   help="do not fetch tiles already stored (default on)")
    p.add_argument("--fresher-than", type=float, default=None, metavar="DAYS",
                   help="with --skip-existing: only skip tiles fetched within DAYS days")
    p.add_argument("--skip-sea", action="store_true", help="do not store tiles identical to the sea tile")


def options_from_args(args: argparse.Namespace) -> Any:
    """DownloadOptions from parsed arguments (bad values: one sentence)."""
    from fmtc_nb.engine import DownloadOptions

    if args.parallel < 1:
        raise SourceError("--parallel must be at least 1.")
    if args.rate_limit is not None and not 0 < args.rate_limit < float("inf"):
        raise SourceError("--rate-limit must be a positive number of tiles per second.")
    if args.retries < 0:
        raise SourceError("--retries cannot be negative.")
    if args.fresher_than is not None and not 0 <= args.fresher_than < float("inf"):
        raise SourceError("--fresher-than must be a number of days of 0 or more.")
    return DownloadOptions(parallel=args.parallel, rate_limit=args.rate_limit, retries=args.retries,
                           skip_existing=args.skip_existing, fresher_than_days=args.fresher_than,
                           skip_sea=args.skip_sea)


def _headers(pairs: list[str]) -> dict[str, str]:
    headers = {}
    for pair in pairs:
        key, sep, value = pair.partition(":")
        if not sep or not key.strip():
            raise SourceError(f"The header {pair!r} is not of the form Key:Value.")
        headers[key.strip()] = value.strip()
    return headers


def _checkpointer(root: Any, job: Any, disabled: bool) -> Any:
    if disabled:
        return None
    try:
        from fmtc_nb.recovery import RecoveryRegistry
    except ImportError:
        return None
    tracker = RecoveryRegistry(root).start(job)
    print(f"recovery job {tracker.job_id} (resume: fmtc-nb recovery resume {tracker.job_id})", file=sys.stderr)
    return tracker


def run_with_bar(download: Any, json_out: bool) -> int:
    """Run ``download`` with a tqdm bar (stderr); Ctrl-C cancels cleanly. Return the exit code (0 or 1)."""
    from tqdm import tqdm

    bar = tqdm(total=0, unit="tile", file=sys.stderr, disable=json_out or None, dynamic_ncols=True)

    def show(snap: Any) -> None:
        bar.total = snap.max_tiles
        bar.n = snap.attempted
        bar.set_postfix(stored=snap.cached, skipped=snap.skipped, failed=snap.failed,
                        limited="yes" if snap.rate_limited else "no", refresh=False)
        bar.refresh()

    download.on_progress = show
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: download.cancel())
    try:
        snap = download.run()
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        bar.close()
    if json_out:
        print(json.dumps(snap.to_dict(), indent=2))
    else:
        print(f"{snap.status}: {snap.cached} stored, {snap.skipped} skipped, {snap.failed} failed "
              f"of {snap.max_tiles} tiles in {snap.elapsed_s:.1f} s ({snap.tiles_per_s:.0f} tiles/s)")
        if snap.failed:
            print(f"the failed tiles and why: fmtc-nb store stats {download.job.store} --failures --json",
                  file=sys.stderr)
    if snap.status == "cancelled":
        return 130
    return 1 if snap.failed else 0


def run(args: argparse.Namespace) -> int:
    """Run ``fmtc-nb download``."""
    from fmtc_nb.cover import TileCover  # noqa: F401  (fail early if the cover module is missing)
    from fmtc_nb.engine import Download, DownloadJob
    from fmtc_nb.paths import resolve_root
    from fmtc_nb.regions import parse_region
    from fmtc_nb.source import TileSource
    from fmtc_nb.store import Root
    from fmtc_nb.zooms import parse_zooms

    source = TileSource(args.url, headers=_headers(args.header), contact=args.contact, tile_format=args.tile_format)
    source.check_bulk_allowed()
    job = DownloadJob(parse_region(args.region), parse_zooms(args.zoom), source, args.store, options_from_args(args))
    root = Root(resolve_root(args.root))
    # a bad store name, or a store of another source, is refused before recovery records a job for it
    root.open_or_create(job.store, source.url_template).close()
    checkpointer = _checkpointer(root, job, args.no_recovery)
    download = Download(job, root, checkpointer=checkpointer)
    if hasattr(checkpointer, "bind"):  # lets `fmtc-nb recovery cancel` stop this run
        checkpointer.bind(download)
    return run_with_bar(download, args.json)
