"""``fmtc-nb device``: pair with a phone (or the virtual device), hand it downloads and style packs, follow them,
pull stores and packs."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from fmtc_nb.android.joboptions import PHONE_MAX_WAIT_S
from fmtc_nb.cli.download import _headers, add_engine_options, options_from_args

if TYPE_CHECKING:
    from fmtc_nb.device import DeviceClient
    from fmtc_nb.wire import JobEvent


def _command(sub: Any, name: str, help_text: str, func: Any, *positionals: str,
             json_flag: bool = True) -> argparse.ArgumentParser:
    """One subcommand with its positional arguments and (usually) ``--json``."""
    parser = sub.add_parser(name, help=help_text)
    for positional in positionals:
        parser.add_argument(positional)
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(func=func)
    return parser


def register(subparsers: Any) -> None:
    """Add the ``device`` command and its subcommands."""
    p = subparsers.add_parser("device", help="background downloads on a paired Android phone or virtual device")
    sub = p.add_subparsers(dest="device_command", metavar="SUBCOMMAND")
    sub.required = True

    s = _command(sub, "pair", "pair with the device at URL using the code it shows", _pair, json_flag=False)
    s.add_argument("url", help="the device's API URL, e.g. http://127.0.0.1:8765 after `adb forward`")
    s.add_argument("code", help="the six-digit code the device shows")
    s.add_argument("--name", required=True, help="a name for the device on this computer")
    s.add_argument("--fingerprint", default=None,
                   help="the certificate fingerprint the phone's status page shows (checked; its QR code has it)")
    _command(sub, "list", "list paired devices", _list)
    _command(sub, "info", "the device's Android version, vendor, battery optimisation and limits", _info, "name")

    s = _command(sub, "dispatch", "start a download on the device", _dispatch, "name")
    s.add_argument("region", help="GeoJSON file or spec (rect:W,S,E,N, circle:LON,LAT,KM, line:...)")
    s.add_argument("--zoom", required=True, help="zoom or range, e.g. 0-12")
    what = s.add_mutually_exclusive_group(required=True)
    what.add_argument("--url", help="tile URL template with {z} {x} {y}")
    what.add_argument("--style", help="the http(s) URL of a MapLibre/Mapbox GL style: the device downloads it as an "
                                      "offline pack named by --store (every tile source, sprites, glyphs)")
    s.add_argument("--store", required=True, help="store name on the device (with --style: the pack's name)")
    s.add_argument("--glyphs", default="latin", metavar="SCRIPTS",
                   help="with --style: glyph ranges of these scripts (default latin) or all")
    s.add_argument("--wait", action="store_true", help="follow the job to its end with a progress bar")
    s.add_argument("--contact", help="your e-mail or URL, added to the User-Agent the device sends")
    s.add_argument("--header", action="append", default=[], metavar="K:V",
                   help="extra request header the device sends (repeatable)")
    s.add_argument("--tile-format", choices=["png", "jpg", "webp", "pbf", "mvt"], default=None,
                   help="what the server sends (default: any PNG, JPEG or WebP image; pbf/mvt for vector tiles)")
    add_engine_options(s)
    s.add_argument("--no-wait-for-network", dest="wait_for_network", action="store_false",
                   help="fail a tile after its retries when nothing answers (default: the job waits for the "
                        "phone's network, which Doze and vendors cut, and goes on when it is back)")
    s.add_argument("--ca-bundle", metavar="FILE", default=None,
                   help="refused with the reason: the phone verifies servers with its own trust store")
    s.add_argument("--max-wait", dest="max_wait_s", type=float, default=PHONE_MAX_WAIT_S, metavar="SECONDS",
                   help="seconds the job keeps waiting with no answer, or for a server answering 'slow down', "
                        "before it pauses itself, resumable (default %(default)g)")

    _command(sub, "jobs", "the device's jobs", _jobs, "name")
    _command(sub, "watch", "follow a job on the device to its end", _watch, "name", "job")
    for action in ("pause", "resume", "cancel"):
        _command(sub, action, f"{action} a job on the device", _control, "name", "job").set_defaults(action=action)

    s = _command(sub, "pull", "copy a store or a style pack from the device into the local root", _pull, "name",
                 "store", json_flag=False)
    s.add_argument("--as", dest="as_name", default=None, help="local store name (default: the same; not for packs)")
    s.add_argument("--replace", action="store_true", help="replace a local store of that name")
    _command(sub, "forget", "forget a paired device (its token is revoked when it can be reached)", _forget, "name",
             json_flag=False)


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2))


def _pair(args: argparse.Namespace) -> int:
    from fmtc_nb.device import pair

    client = pair(args.url, args.code, args.name, fingerprint=args.fingerprint)
    print(f"paired with {args.name} at {client.url}; the token is kept in your config directory")
    return 0


def _list(args: argparse.Namespace) -> int:
    from fmtc_nb.device import devices

    found = [d.public() for d in devices()]
    if args.json:
        _print(found)
    elif not found:
        print("no paired devices; run `fmtc-nb device pair URL CODE --name NAME`")
    for d in [] if args.json else found:
        print(f"{d['name']}\t{d['url']}\t{d['device_id']}")
    return 0


def _info(args: argparse.Namespace) -> int:
    from fmtc_nb.device import connect

    info = connect(args.name).info()
    if args.json:
        _print(info)
        return 0
    limits = info.get("limits", {})
    print(f"{args.name}: {info['platform']} Android {info['android_version']} (API {info['sdk_int']}), "
          f"{info['vendor']} {info['model']}")
    print(f"battery optimisation ignored: {'yes' if info['battery_optimisation_ignored'] else 'no'}; "
          f"notifications allowed: {'yes' if info['notifications_allowed'] else 'no'}")
    print(f"limits: {limits.get('max_tiles', '?'):,} tiles, zoom {limits.get('max_zoom', '?')}; "
          f"active jobs: {info.get('active_jobs', 0)}")
    return 0


def _dispatch(args: argparse.Namespace) -> int:
    from fmtc_nb.cli.sources import checked_contact
    from fmtc_nb.device import build_job, connect

    checked_contact(args)
    if args.ca_bundle is not None:  # before the device is asked anything
        from fmtc_nb.device.jobs import NO_PHONE_CA_BUNDLE
        from fmtc_nb.errors import DeviceError

        raise DeviceError(NO_PHONE_CA_BUNDLE)
    client = connect(args.name)
    options = replace(options_from_args(args), wait_for_network=args.wait_for_network)  # --max-wait: in the args
    job: Any
    if args.style is not None:
        from fmtc_nb.device.jobs import build_pack_job

        job = build_pack_job(args.region, args.zoom, args.style, args.store, glyphs=args.glyphs,
                             headers=_headers(args.header), contact=args.contact, options=options)
    else:
        from fmtc_nb.source import TileSource

        source = TileSource(args.url, headers=_headers(args.header), contact=args.contact,
                            tile_format=args.tile_format)
        job = build_job(args.region, args.zoom, store=args.store, source=source, options=options)
    row = client.dispatch_job(job)
    if not args.wait:
        if args.json:
            _print(row.to_dict())
        else:
            print(row.id)
        return 0
    return _follow(client, row.id, args.json)


def _follow(client: DeviceClient, job_id: str, json_out: bool) -> int:
    """Follow a job with a tqdm bar on stderr; exit 0 completed, 1 failed tiles or failed, 130 cancelled."""
    from tqdm import tqdm

    bar = tqdm(total=0, unit="tile", file=sys.stderr, disable=json_out or None, dynamic_ncols=True)

    def show(event: JobEvent) -> None:
        overall = event.overall
        bar.total = overall.max_tiles
        bar.n = overall.attempted
        bar.set_postfix(status=overall.status, failed=overall.failed, refresh=False)
        bar.refresh()

    try:
        row = client.watch(job_id, on_progress=show)
    finally:
        bar.close()
    if json_out:
        _print(row.to_dict())
    else:
        print(f"{row.status}: {row.tiles_done} of {row.tiles_total} tiles done, {row.tiles_failed} failed "
              f"(job {job_id})")
    if row.status in ("cancelled", "paused"):
        return 130
    return 0 if row.status == "completed" and not row.tiles_failed else 1


def _jobs(args: argparse.Namespace) -> int:
    from fmtc_nb.device import connect

    rows = connect(args.name).jobs()
    if args.json:
        _print([r.to_dict() for r in rows])
        return 0
    if not rows:
        print("no jobs on the device")
    for r in rows:
        print(f"{r.id}\t{r.store}\t{r.status}\t{r.tiles_done}/{r.tiles_total}" + (f"\t{r.reason}" if r.reason else ""))
    return 0


def _watch(args: argparse.Namespace) -> int:
    from fmtc_nb.device import connect

    return _follow(connect(args.name), args.job, args.json)


def _control(args: argparse.Namespace) -> int:
    from fmtc_nb.device import connect

    row = getattr(connect(args.name), args.action)(args.job)
    if args.json:
        _print(row.to_dict())
    else:
        print(f"{row.id}: {row.status}")
    return 0


def _pull(args: argparse.Namespace) -> int:
    from fmtc_nb.device import connect

    client = connect(args.name)
    if args.store in client.packs():
        if args.as_name is not None:
            print("fmtc-nb: --as cannot rename a style pack (its stores are named after it)", file=sys.stderr)
            return 2
        path = client.pull_pack(args.store, args.root, replace=args.replace)
        print(f"pulled pack {args.store} from {args.name} into {path} (fmtc-nb pack show {args.store})")
        return 0
    path = client.pull(args.store, args.root, as_name=args.as_name, replace=args.replace)
    print(f"pulled {args.store} from {args.name} into {path}")
    return 0


def _forget(args: argparse.Namespace) -> int:
    from fmtc_nb.device import forget

    forget(args.name)
    print(f"forgot {args.name}")
    return 0
