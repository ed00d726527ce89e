"""``fmtc-nb demo``: the main job — start the embedded tile server and download the example region."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from fmtc_nb.cli.download import add_engine_options, options_from_args
from fmtc_nb.units import human_bytes

DEMO_STORE = "demo"
#: URL templates of the embedded tile server (any port): its tiles are the same whatever the port.
_DEMO_URL = re.compile(r"^http://127\.0\.0\.1:\d+/\{z\}/\{x\}/\{y\}\.png$")


def register(subparsers: Any) -> None:
    """Add the ``demo`` command."""
    p = subparsers.add_parser("demo", help="download the example region from the embedded tile server")
    p.add_argument("--zoom", default="0-12", help="zoom range (default 0-12)")
    add_engine_options(p, ("rate_limit",))
    p.add_argument("--latency", type=float, default=0.0, help="server latency per tile in seconds (to watch it)")
    p.add_argument("--json", action="store_true", help="print the final snapshot as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run ``fmtc-nb demo``."""
    from fmtc_nb.cli.download import run_with_bar
    from fmtc_nb.engine import Download, DownloadJob
    from fmtc_nb.paths import resolve_root
    from fmtc_nb.regions import example_region
    from fmtc_nb.source import TileSource
    from fmtc_nb.store import Root
    from fmtc_nb.tileserver import running_server
    from fmtc_nb.zooms import parse_zooms

    options = options_from_args(args, ("rate_limit",))  # refused before the server starts
    root = Root(resolve_root(args.root))
    with running_server(latency_s=args.latency) as server:
        _adopt_port(root, server.url_template)
        job = DownloadJob(example_region(), parse_zooms(args.zoom), TileSource(server.url_template), DEMO_STORE,
                          options)
        print(f"fmtc-nb demo: the example region (Lake Geneva and the western Swiss Alps) z{args.zoom} from the "
              f"embedded tile server {server.url_template}", file=sys.stderr)
        code = run_with_bar(Download(job, root), args.json)
    _label(root)
    if not args.json:
        print(report(root, DEMO_STORE))
    return code


def _adopt_port(root: Any, url_template: str) -> None:
    """The server gets a new port each run; a demo store filled by the embedded server on another port is told
    this run's URL, so its tiles count as existing instead of the store refusing another source."""
    from fmtc_nb.store.metadata import SOURCE_KEY

    if not root.exists(DEMO_STORE):
        return
    with root.open(DEMO_STORE) as store:
        recorded = store.source_url
        if recorded != url_template and recorded and _DEMO_URL.match(recorded):
            store.set_metadata(**{SOURCE_KEY: url_template})


def _label(root: Any) -> None:
    """Give the demo store the tile server's attribution and a readable description (QGIS shows them)."""
    from fmtc_nb.tileserver import ATTRIBUTION

    if root.exists(DEMO_STORE):
        with root.open(DEMO_STORE) as store:
            store.set_metadata(attribution=ATTRIBUTION, description="fmtc-nb demo: Lake Geneva and the western "
                               "Swiss Alps from the embedded Natural Earth tile server")


def report(root: Any, name: str) -> str:
    """A few lines about store ``name``: tiles per zoom, size on disk and where it is."""
    with root.open(name, readonly=True) as store:
        stats = store.stats()
    zooms = ", ".join(f"z{z}: {n}" for z, n in sorted(stats.zooms.items()))
    return (f"Store {name!r} now holds {stats.tiles} tiles ({human_bytes(stats.tile_bytes)}; {zooms}).\n"
            f"Store: {root.store_path(name)}\n"
            "It is an MBTiles file: open it in QGIS (Layer > Add Raster Layer) or with any MBTiles reader.")
