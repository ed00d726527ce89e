"""``fmtc-nb serve-tiles``: run the embedded demo tile server in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``serve-tiles`` command."""
    p = subparsers.add_parser("serve-tiles", help="serve demo PNG tiles of the Natural Earth countries")
    p.add_argument("--port", type=int, default=8766, help="port (default 8766; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, loopback only)")
    p.add_argument("--latency", type=float, default=0.0, help="delay per tile answer, in seconds")
    p.add_argument("--failure-rate", type=float, default=0.0,
                   help="fraction 0-1 of tile requests that fail (500, 503, truncated PNG or HTML page)")
    p.add_argument("--burst-429", default=None, metavar="EVERY:LENGTH[:RETRY_AFTER_S]",
                   help="after every EVERY requests answer LENGTH with 429 and Retry-After (e.g. 500:20:1)")
    p.add_argument("--seed", type=int, default=0, help="varies which requests fail (default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; prints the URL template first (scripts parse that line)."""
    from fmtc_nb.cli.serve import serve_until_interrupted
    from fmtc_nb.tileserver import ATTRIBUTION, start_server
    from fmtc_nb.tileserver.mvt import encoder_missing

    missing = encoder_missing()  # before the first line: a script reading it may signal at once
    server = start_server(args.port, args.latency, args.failure_rate, args.burst_429, args.seed, args.host)
    print(f"Serving demo tiles at {server.url_template}", flush=True)
    print(f"TileJSON: {server.tilejson_url}  Attribution: {ATTRIBUTION}", flush=True)
    print(f"Vector style (--style): {server.style_url}" if missing is None
          else f"Vector style: not served ({missing}).", flush=True)
    return serve_until_interrupted(server.stop)
