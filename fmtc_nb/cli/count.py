"""``fmtc-nb count REGION --zoom A-B [--json]``: exact number of tiles per zoom."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``count`` command."""
    p = subparsers.add_parser("count", help="count the tiles of a region per zoom (exact, no enumeration)")
    p.add_argument(
        "region", help="GeoJSON file, rect:W,S,E,N, circle:LON,LAT,RADIUS_KM or line:RADIUS_M:LON,LAT,..."
    )
    p.add_argument("--zoom", default="0-12", help="zoom level or range, e.g. 0-18 (default 0-12)")
    p.add_argument("--json", action="store_true", help='print {"counts": {"0": n0, ...}, "total": N}')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the per-zoom counts of args.region; returns the exit code."""
    from fmtc_nb.cover import TileCover
    from fmtc_nb.regions import parse_region

    cover = TileCover(parse_region(args.region), args.zoom)  # TileCover parses the zooms
    if args.json:
        print(json.dumps({"counts": {str(z): n for z, n in cover.counts.items()}, "total": cover.total}))
        return 0
    width = max(len(f"{cover.total:,}"), 5)
    print(f"{'zoom':>4}  {'tiles':>{width}}")
    for z, n in cover.counts.items():
        print(f"{z:>4}  {n:>{width},}")
    print(f"{'all':>4}  {cover.total:>{width},}")
    return 0
