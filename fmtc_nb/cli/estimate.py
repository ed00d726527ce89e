"""``fmtc-nb estimate REGION --zoom A-B --source SOURCE``: size, storage and time with a 95% interval, and
with ``--budget`` the deepest max zoom that fits."""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING

from fmtc_nb.cli._headers import parse_headers
from fmtc_nb.cli.download import add_engine_options, add_network_options, checked_transport, options_from_args
from fmtc_nb.cli.sources import add_source_options, checked_contact

if TYPE_CHECKING:
    from fmtc_nb.engine.job import DownloadOptions
    from fmtc_nb.estimate.sizes import Budget

#: The engine options an estimate takes (the download's speed depends on them).
ESTIMATE_OPTIONS = ("parallel", "rate_limit")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``estimate`` command."""
    p = subparsers.add_parser("estimate", help="estimate download size and time from a sample of tiles")
    p.add_argument("region", help="GeoJSON file, rect:W,S,E,N, circle:LON,LAT,RADIUS_KM or line:RADIUS_M:LON,LAT,...")
    p.add_argument("--zoom", default="0-12", help="zoom level or range, e.g. 0-14 (default 0-12)")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--source", "--url", dest="url", metavar="SOURCE",
                      help="URL template, wms:URL?layers=..., wmts:URL#layer, TileJSON URL or catalogue id")
    what.add_argument("--style", help="a MapLibre/Mapbox GL style (URL or file): estimate its offline pack")
    add_source_options(p)
    p.add_argument("--glyphs", default="latin", metavar="SCRIPTS", help="with --style: glyph scripts (default latin)")
    p.add_argument("--samples", type=int, default=None,
                   help="requests to spend (default about 1%% of the tiles, within 200-2000)")
    p.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable sample")
    p.add_argument("--budget", default=None, help="storage budget: 2GB, 500MiB, 123456 (bytes) or 10000tiles")
    add_engine_options(p, ESTIMATE_OPTIONS)
    add_network_options(p)
    p.add_argument("--json", action="store_true", help="print the estimate as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Estimate, print, return the exit code."""
    from fmtc_nb.cli.sources import source_from_args
    from fmtc_nb.estimate import estimate, parse_budget
    from fmtc_nb.regions import parse_region
    from fmtc_nb.zooms import parse_zooms

    budget = parse_budget(args.budget) if args.budget is not None else None
    checked_contact(args)
    options = checked_transport(options_from_args(args, ESTIMATE_OPTIONS))
    if args.style is not None:
        return _style_pack(args, options, budget)
    source, zooms = source_from_args(args, parse_zooms(args.zoom), options)
    result = estimate(parse_region(args.region), zooms, source, samples=args.samples, seed=args.seed,
                      parallel=options.parallel, rate_limit=options.rate_limit, network=options)
    plan = result.plan(budget) if budget is not None else None
    if args.json:
        print(json.dumps(result.to_dict(plan)))
        return 0
    print(_text(result, plan))
    return 0


def _style_pack(args: argparse.Namespace, options: DownloadOptions, budget: Budget | None) -> int:
    """``estimate --style``: every tile source of the style's pack, and the totals."""
    from fmtc_nb.packs.estimate import estimate_pack
    from fmtc_nb.regions import parse_region
    from fmtc_nb.units import human_bytes

    result = estimate_pack(parse_region(args.region), args.zoom, args.style, glyphs=args.glyphs, samples=args.samples,
                           seed=args.seed, parallel=options.parallel, rate_limit=options.rate_limit,
                           headers=parse_headers(args.header), contact=args.contact, network=options)
    plan = result.plan_zooms(budget) if budget is not None else None
    if args.json:
        print(json.dumps(result.to_dict(plan)))
        return 0
    for source in result.plan.sources:
        print(f"source {source.id} ({source.type}, zooms {source.zooms[0]}-{source.zooms[-1]}):")
        print("  " + _text(result.sources[source.id], None).replace("\n", "\n  "))
    print(f"pack: {result.tiles:,} tiles, transfer {human_bytes(result.bytes.estimate)} "
          f"({human_bytes(result.bytes.low)} - {human_bytes(result.bytes.high)}), "
          f"{len(result.plan.resources)} resource files")
    if plan is not None:
        print(_plan_line(plan, min(e.confidence for e in result.sources.values())))
    return 0


def _text(result, plan) -> str:  # noqa: ANN001 - Estimate, Plan | None
    from fmtc_nb.units import human_bytes

    def span(iv, fmt) -> str:  # noqa: ANN001
        high = fmt(iv.high) if math.isfinite(iv.high) else "no upper bound"
        return f"{fmt(iv.estimate)} ({fmt(iv.low)} - {high})"

    def secs(s: float) -> str:
        return f"{s:.1f} s" if s < 10 else f"{s:,.0f} s" if s < 3600 else f"{s / 3600:,.1f} h"

    lines = [f"{'zoom':>4}  {'tiles':>12}  {'sampled':>7}  transfer (95% interval)"]
    for z in result.zooms:
        mark = "exact" if z.exact else f"{z.sampled:>7}"
        lines.append(f"{z.zoom:>4}  {z.tiles:>12,}  {mark:>7}  {span(z.bytes, human_bytes)}")
    lines += [
        f"tiles: {result.tiles:,}   requests used: {result.requests:,}",
        f"transfer: {span(result.bytes, human_bytes)}",
        f"storage:  {span(result.storage_bytes, human_bytes)}  (identical tiles stored once)",
        f"duration: {span(result.duration_s, secs)}  at {result.parallel} parallel"
        + (f", {result.rate_limit:g} tiles/s" if result.rate_limit else ""),
    ]
    unknown = [z.zoom for z in result.zooms if z.failed and not z.ok and not z.negative]
    if unknown:
        lines.append(f"zoom {', '.join(map(str, unknown))}: every sampled tile failed, so nothing is known there "
                     "(no upper bound); run again or lower --parallel / set --rate-limit")
    if plan is not None:
        lines.append(_plan_line(plan, result.confidence))
    return "\n".join(lines)


def _plan_line(plan, confidence: float) -> str:  # noqa: ANN001 - Plan
    """The planner's answer in one line."""
    safe = f"; with {confidence:.0%} confidence up to zoom {plan.safe_max_zoom}" \
        if plan.safe_max_zoom is not None else ""
    return (f"plan: zooms {plan.min_zoom}-{plan.max_zoom} fit {plan.budget} "
            f"(probability {plan.probability:.0%}){safe}")
