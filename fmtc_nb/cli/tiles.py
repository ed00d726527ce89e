"""``fmtc-nb tiles REGION --zoom A-B [--start K] [--end K]``: list tiles as z/x/y, one a line."""

from __future__ import annotations

import argparse
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``tiles`` command."""
    p = subparsers.add_parser(
        "tiles", help="list the tiles of a region as z/x/y (zoom, then y, then x order)"
    )
    p.add_argument(
        "region", help="GeoJSON file, rect:W,S,E,N, circle:LON,LAT,RADIUS_KM or line:RADIUS_M:LON,LAT,..."
    )
    p.add_argument("--zoom", default="0-12", help="zoom level or range, e.g. 0-18 (default 0-12)")
    p.add_argument("--start", type=int, default=0, help="first index (0-based, inclusive)")
    p.add_argument("--end", type=int, default=None, help="end index (exclusive; default: all)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the tiles of args.region in cover order; returns the exit code."""
    from fmtc_nb.cover import TileCover
    from fmtc_nb.errors import RegionError
    from fmtc_nb.regions import parse_region

    if args.start < 0 or (args.end is not None and args.end < 0):
        raise RegionError("--start and --end must be 0 or more.")
    if args.end is not None and args.end < args.start:
        raise RegionError(f"--end {args.end} is before --start {args.start}; the slice would be empty.")
    cover = TileCover(parse_region(args.region), args.zoom)  # TileCover parses the zooms
    out = sys.stdout  # a reader that stops early (head) is handled by fmtc_nb.cli.main
    for z, x, y in cover.tiles(args.start, args.end):
        out.write(f"{z}/{x}/{y}\n")
    return 0
