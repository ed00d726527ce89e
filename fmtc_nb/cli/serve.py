"""``fmtc-nb serve STORE``: a caching tile proxy on 127.0.0.1 for browsing maps from a store."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``serve`` command."""
    from fmtc_nb.store.modes import DEFAULT_VALID_FOR_DAYS, MODES

    p = subparsers.add_parser("serve", help="run a caching tile proxy for a store on loopback (for ipyleaflet)")
    p.add_argument("store", help="store name (created if --source is given and it does not exist)")
    p.add_argument("--source", default=None, help="origin tile URL template (default: the store's recorded source)")
    p.add_argument("--mode", choices=MODES, default="cache-first", help="default: cache-first")
    p.add_argument("--valid-for", type=float, default=DEFAULT_VALID_FOR_DAYS, metavar="DAYS",
                   help=f"days a stored tile counts as fresh (default {DEFAULT_VALID_FOR_DAYS:g})")
    p.add_argument("--port", type=int, default=8767, help="port on 127.0.0.1 (0: any free port; default 8767)")
    p.add_argument("--json", action="store_true", help="print the URL template as a JSON line")
    p.set_defaults(func=run)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve_until_interrupted(stop: Callable[[], None]) -> int:
    """Block until Ctrl-C or SIGTERM (a process manager's stop), then ``stop()`` what was served; exit code 0."""
    previous = signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop()
    return 0


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; prints the URL template to use."""
    from fmtc_nb.store.proxy import serve_store

    handle = serve_store(args.store, args.root, source=args.source, mode=args.mode, valid_for_days=args.valid_for,
                         port=args.port)
    if args.json:
        print(json.dumps({"url_template": handle.url_template, "store": args.store, "mode": args.mode}), flush=True)
    else:
        print(f"Serving store {args.store!r} ({args.mode}) at {handle.url_template} - Ctrl-C stops", flush=True)

    def stop() -> None:  # a process manager's stop also writes the counts
        handle.stop()
        print(f"{handle.hits} hits, {handle.misses} misses", file=sys.stderr)

    return serve_until_interrupted(stop)
