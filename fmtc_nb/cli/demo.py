"""``fmtc-nb demo``: the main job — start the embedded tile server and download the example region."""

from __future__ import annotations

import argparse
from typing import Any

DEMO_STORE = "demo"


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    p = subparsers.add_parser("demo", help="download the example region from the embedded tile server")
    p.add_argument("--zoom", default="0-12", help="zoom range (default 0-12)")
    p.add_argument("--rate-limit", type=float, default=None, help="tiles per second at most")
    p.add_argument("--latency", type=float, default=0.0, help="server latency per tile in seconds (to watch it)")
    p.add_argument("--json", action="store_true", help="print the final snapshot as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``fmtc-nb demo``."""
    from fmtc_nb.cli.download import run_with_bar
    from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
    from fmtc_nb.paths import resolve_root
    from fmtc_nb.regions import example_region
    from fmtc_nb.source import TileSource
    from fmtc_nb.store import Root
    from fmtc_nb.tileserver import running_server
    from fmtc_nb.zooms import parse_zooms

    root = Root(resolve_root(args.root))
    with running_server(latency_s=args.latency) as server:
        job = DownloadJob(example_region(), parse_zooms(args.zoom), TileSource(server.url_template), DEMO_STORE,
                          DownloadOptions(parallel=16, rate_limit=args.rate_limit))
        print(f"Downloading the example region z{args.zoom} from {server.url_template}")
        code = run_with_bar(Download(job, root), args.json)
    if not args.json:
        print(f"Store: {root.store_path(DEMO_STORE)} (MBTiles; open it in QGIS or export it)")
    return code
