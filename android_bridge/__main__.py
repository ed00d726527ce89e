"""``python -m android_bridge --virtual [--port P] [--root DIR] [--lan] [--tls]``: run the bridge on a desktop.

The first line printed is JSON for programs (``{"url": ..., "code": ..., "device_id": ..., "pid": ...,
"resumed": [...]}``); the lines after it are for people. The process serves until SIGTERM or SIGINT, which
leave running jobs paused and resumable; SIGKILL is the phone's power manager and recovery's business.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from android_bridge.config import DEFAULT_PORT, BridgeConfig


def build_parser() -> argparse.ArgumentParser:
    """Arguments of the virtual device."""
    p = argparse.ArgumentParser(prog="python -m android_bridge", description="Run the fmtc-nb device bridge.")
    p.add_argument("--virtual", action="store_true", required=True,
                   help="run the virtual device (simulated platform); on a phone the service starts the bridge")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free)")
    p.add_argument("--root", default=None, help="device root (default: $FMTC_NB_ROOT or the user data dir)")
    p.add_argument("--lan", action="store_true",
                   help="listen on every interface, not only 127.0.0.1 (always HTTPS with the device's certificate)")
    p.add_argument("--tls", action="store_true",
                   help="serve HTTPS with the device's own certificate on 127.0.0.1 too")
    p.add_argument("--max-tiles", type=int, default=BridgeConfig.max_tiles, help="most tiles one job may cover")
    p.add_argument("--max-zoom", type=int, default=BridgeConfig.max_zoom, help="highest zoom a job may ask for")
    p.add_argument("--code-ttl", type=float, default=BridgeConfig.code_ttl_s, help="seconds a pairing code lives")
    p.add_argument("--code-tries", type=int, default=BridgeConfig.code_tries, help="wrong codes before lockout")
    p.add_argument("--lockout", type=float, default=BridgeConfig.lockout_s, help="seconds of lockout")
    p.add_argument("--head-timeout", type=float, default=BridgeConfig.head_timeout_s,
                   help="seconds a new connection has to send its request head")
    p.add_argument("--body-timeout", type=float, default=BridgeConfig.body_timeout_s,
                   help="seconds a request body has to arrive")
    p.add_argument("--max-connections", type=int, default=BridgeConfig.max_connections,
                   help="open connections held at most")
    p.add_argument("--max-connections-per-peer", type=int, default=BridgeConfig.max_connections_per_peer,
                   help="open connections held at most from one address")
    return p


async def serve(config: BridgeConfig) -> None:
    """Run the virtual device until SIGTERM/SIGINT."""
    from android_bridge.bridge import Bridge
    from android_bridge.platform.virtual import VirtualPlatform

    bridge = Bridge(config, VirtualPlatform(config.state_dir))
    await bridge.start()
    code = bridge.pairing.current()
    print(json.dumps({"url": bridge.url, "code": code.code if code else None, "device_id": bridge.device_id,
                      "pid": os.getpid(), "root": str(config.root), "resumed": bridge.resumed,
                      "fingerprint": bridge.fingerprint}), flush=True)
    where = ("every interface" if config.lan else "127.0.0.1 only") + \
        (f", certificate {bridge.fingerprint}" if bridge.fingerprint else "")
    print(f"fmtc-nb virtual device {bridge.device_id} at {bridge.url} ({where})", flush=True)
    print(f"pairing code: {code.code if code else '(locked)'}  (new codes appear in "
          f"{config.state_dir / 'screen.json'})", flush=True)
    stop = asyncio.Event()
    stop_on_signals(asyncio.get_running_loop(), stop)
    await stop.wait()
    await bridge.stop()


def stop_on_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM or SIGINT. Windows' event loop takes no signal handlers: there Python's own
    handler (Ctrl-C) passes the signal to the loop."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except NotImplementedError:
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    args = build_parser().parse_args(argv)
    from fmtc_nb.paths import resolve_root

    if not 0 <= args.port < 65536:
        print("python -m android_bridge: error: --port must be 0-65535.", file=sys.stderr)
        return 2
    config = BridgeConfig(root=Path(resolve_root(args.root)), port=args.port, lan=args.lan, tls=args.tls,
                          max_tiles=args.max_tiles, max_zoom=args.max_zoom, code_ttl_s=args.code_ttl,
                          code_tries=args.code_tries, lockout_s=args.lockout, head_timeout_s=args.head_timeout,
                          body_timeout_s=args.body_timeout, max_connections=args.max_connections,
                          max_connections_per_peer=args.max_connections_per_peer)
    try:
        asyncio.run(serve(config))
    except OSError as exc:
        print(f"python -m android_bridge: error: cannot listen on port {args.port}: {exc.strerror}.", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
