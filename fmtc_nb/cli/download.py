"""``fmtc-nb download``: bulk-download a region into a store with a progress bar."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from fmtc_nb.cli._headers import parse_headers as _headers
from fmtc_nb.cli.sources import add_source_options
from fmtc_nb.errors import OptionError, PackError

if TYPE_CHECKING:
    from fmtc_nb.engine.job import DownloadOptions

#: Exit code of a run that ended paused because the store could not be written (sysexits' EX_TEMPFAIL).
PAUSED_EXIT = 75


def register(subparsers: Any) -> None:
    """Add the ``download`` command."""
    p = subparsers.add_parser("download", help="download a region's tiles into a store")
    p.add_argument("region", help="GeoJSON file or spec (rect:W,S,E,N, circle:LON,LAT,KM, line:...)")
    p.add_argument("--zoom", required=True, help="zoom or range, e.g. 0-12")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--source", "--url", dest="url", metavar="SOURCE",
                      help="URL template ({z} {x} {y}, {-y}, {q}, {bbox-epsg-3857}), wms:URL?layers=..., "
                           "wmts:URL#layer, a TileJSON URL or a catalogue id ('fmtc-nb sources list')")
    what.add_argument("--style", help="a MapLibre/Mapbox GL style (http(s) URL or file): download it as an offline "
                                      "pack named by --store (every tile source, sprites, glyphs)")
    add_source_options(p)
    p.add_argument("--store", required=True, help="store name")
    add_engine_options(p)
    add_network_options(p)
    p.add_argument("--tile-format", choices=["png", "jpg", "webp", "pbf", "mvt"], default=None,
                   help="what the server sends (default: any PNG, JPEG or WebP image; pbf/mvt for vector tiles)")
    p.add_argument("--json", action="store_true", help="print the final snapshot as JSON")
    p.add_argument("--no-recovery", action="store_true", help="do not record the job for recovery")
    p.add_argument("--cluster", metavar="local:N|tcp://HOST:PORT",
                   help="download as shards on a Dask cluster (needs fmtc-nb[dask]; see docs/scale.md)")
    p.add_argument("--shard-tiles", type=int, default=None, metavar="N",
                   help="with --cluster: tiles per shard at most (default 100,000)")
    p.add_argument("--glyphs", default="latin", metavar="SCRIPTS",
                   help="with --style: glyph ranges of these scripts (latin, greek, cyrillic, ...; default latin) "
                        "or all")
    p.set_defaults(func=run)


#: The engine options the commands take: DownloadOptions field -> (flag, help). Defaults and checks are
#: DownloadOptions' own (``%(default)s`` in the help is the field's default).
ENGINE_FLAGS: dict[str, tuple[str, str]] = {
    "parallel": ("--parallel", "concurrent requests (default %(default)s)"),
    "rate_limit": ("--rate-limit", "tiles per second at most (default: no limit)"),
    "retries": ("--retries", "retries per tile (default %(default)s)"),
    "skip_existing": ("--skip-existing", "do not fetch tiles already stored (default on)"),
    "fresher_than_days": ("--fresher-than", "with --skip-existing: only skip tiles fetched within DAYS days"),
    "skip_sea": ("--skip-sea", "do not store tiles identical to the sea tile"),
}


#: The options of the connection to the tile server (DownloadOptions field -> flag, help, type, metavar),
#: shown as their own group.
NETWORK_FLAGS: dict[str, tuple[str, str, Any, str | None]] = {
    "max_wait_s": ("--max-wait", "seconds to keep waiting for a server that answers 'slow down' (429/503) "
                                 "before the job pauses itself, resumable (default %(default)s)", float, "SECONDS"),
    "proxy": ("--proxy", "HTTP(S) proxy URL for the tile requests (wins over HTTPS_PROXY/HTTP_PROXY)", str, "URL"),
    "env_proxy": ("--env-proxy", "use HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment (default on)", None,
                  None),
    "ca_bundle": ("--ca-bundle", "PEM file of extra CA certificates to trust (a TLS-inspecting proxy)", str, "FILE"),
    "http2": ("--http2", "request over HTTP/2 (many streams on few connections; needs fmtc-nb[http2])", None, None),
}


def _add_option(p: Any, name: str, flag: str, help_text: str, kind: Any, field_default: Any,
                metavar: str | None, only_if_given: bool) -> None:
    """One flag for DownloadOptions field ``name``, defaulting to ``field_default``; ``only_if_given``: a flag
    left out sets nothing (a switch gets both --x and --no-x), and the help names no default."""
    if only_if_given:
        help_text = help_text.split(" (default")[0]
    default = argparse.SUPPRESS if only_if_given else field_default
    if isinstance(field_default, bool):
        action = argparse.BooleanOptionalAction if field_default or only_if_given else "store_true"
        p.add_argument(flag, dest=name, action=action, default=default, help=help_text)
    else:
        p.add_argument(flag, dest=name, type=kind, default=default, help=help_text, metavar=metavar)


def add_network_options(p: argparse.ArgumentParser, *, only_if_given: bool = False) -> None:
    """Add the :data:`NETWORK_FLAGS` as a "network" group, defaulting to DownloadOptions' fields
    (``only_if_given``: see :func:`_add_option`)."""
    from fmtc_nb.engine.job import DownloadOptions

    defaults = DownloadOptions()
    group = p.add_argument_group("network")
    for name, (flag, help_text, kind, metavar) in NETWORK_FLAGS.items():
        _add_option(group, name, flag, help_text, kind, getattr(defaults, name), metavar, only_if_given)


#: The type of each engine flag's value (the switches take none).
_ENGINE_KINDS = {"parallel": int, "rate_limit": float, "retries": int, "fresher_than_days": float}


def add_engine_options(p: Any, names: Sequence[str] = tuple(ENGINE_FLAGS), *, only_if_given: bool = False) -> None:
    """Add the engine options ``names`` (DownloadOptions fields of :data:`ENGINE_FLAGS`), defaulting to the
    fields' defaults (``only_if_given``: see :func:`_add_option`)."""
    from fmtc_nb.engine.job import DownloadOptions

    defaults = DownloadOptions()
    for name in names:
        flag, help_text = ENGINE_FLAGS[name]
        _add_option(p, name, flag, help_text, _ENGINE_KINDS.get(name), getattr(defaults, name),
                    "DAYS" if name == "fresher_than_days" else None, only_if_given)


def flag_of(option: str) -> str:
    """The command-line flag of DownloadOptions field ``option`` (an engine or network flag)."""
    return ENGINE_FLAGS[option][0] if option in ENGINE_FLAGS else NETWORK_FLAGS[option][0]


def options_from_args(args: argparse.Namespace, names: Sequence[str] = tuple(ENGINE_FLAGS)) -> DownloadOptions:
    """DownloadOptions from the parsed engine options ``names``; a value DownloadOptions refuses is one
    sentence naming the flag it came from."""
    from fmtc_nb.engine.job import DownloadOptions

    names = [*names, *(name for name in NETWORK_FLAGS if hasattr(args, name))]
    try:
        return DownloadOptions(**{name: getattr(args, name) for name in names})
    except OptionError as exc:
        raise exc.given_as(flag_of(exc.option)) from None


def checked_transport(options: DownloadOptions) -> DownloadOptions:
    """``options`` once their transport is known to work: a CA bundle that cannot be read, or ``--http2`` without
    h2, is one sentence naming the flag."""
    from fmtc_nb.engine.transport import check_transport

    try:
        check_transport(options)
    except OptionError as exc:
        raise exc.given_as(flag_of(exc.option)) from None
    return options


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


def wait_words(snap: Any) -> str | None:
    """"12 s: <why>" while the server has asked the job to wait (None otherwise)."""
    left = snap.wait_left_s
    return None if left is None else f"{left:.0f} s: {snap.wait_reason}"


def stored_words(snap: Any) -> str:
    """"N stored": the tiles written to the store; tiles fetched but not written (a paused job whose store
    could not be written) are named apart, as they are fetched again on resume."""
    unwritten = snap.unwritten
    extra = f" ({unwritten} more fetched but not written; a resume fetches them again)" if unwritten else ""
    return f"{snap.flushed} stored{extra}"


def run_with_bar(download: Any, json_out: bool, failures_hint: str | None = None) -> int:
    """Run ``download`` with a tqdm bar (stderr); Ctrl-C cancels cleanly. Return the exit code: 0 (completed,
    no tile failed), 1 (some tiles failed, or the run ended in any other status than completed, cancelled or
    paused, e.g. ``failed`` with no tile failed: the reason is printed), 130 (cancelled) or 75 (paused: the store
    could not be written, or the server kept the job waiting past --max-wait; the reason is printed).
    ``failures_hint`` says where the failures are listed (default: the store's stats)."""
    from tqdm import tqdm

    bar = tqdm(total=0, unit="tile", file=sys.stderr, disable=json_out or None, dynamic_ncols=True)

    def show(snap: Any) -> None:
        bar.total = snap.max_tiles
        bar.n = snap.attempted
        figures: dict[str, object] = {"stored": snap.cached, "skipped": snap.skipped, "failed": snap.failed,
                                      "limited": "yes" if snap.rate_limited else "no",
                                      "requests": snap.concurrency_now}
        waiting = wait_words(snap)
        if waiting:
            figures["waiting"] = waiting
        bar.set_postfix(figures, refresh=False)
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
        print(f"{snap.status}: {stored_words(snap)}, {snap.skipped} skipped, {snap.failed} failed "
              f"of {snap.max_tiles} tiles in {snap.elapsed_s:.1f} s ({snap.tiles_per_s:.0f} tiles/s)")
        if snap.failed:
            print(failures_hint or f"the failed tiles and why: fmtc-nb store stats {download.job.store} --failures "
                  "--json", file=sys.stderr)
    if snap.status == "cancelled":
        return 130
    if snap.status == "paused":  # a store write kept failing; every committed tile is kept
        again = (f"fmtc-nb recovery resume {download.checkpointer.job_id}" if hasattr(download.checkpointer, "bind")
                 else "the same download (stored tiles are skipped)")
        print(f"fmtc-nb: paused: {download.reason} Then run: {again}", file=sys.stderr)
        return PAUSED_EXIT
    if snap.status != "completed":  # failed (or any other end): never 0, whatever the count of failed tiles
        print(f"fmtc-nb: {snap.status}: {getattr(download, 'reason', None) or 'no reason was given'}",
              file=sys.stderr)
        return 1
    return 1 if snap.failed else 0


def run(args: argparse.Namespace) -> int:
    """Run ``fmtc-nb download``."""
    from fmtc_nb.cli.sources import checked_contact, source_from_args
    from fmtc_nb.cover import TileCover  # noqa: F401  (fail early if the cover module is missing)
    from fmtc_nb.engine import Download, DownloadJob
    from fmtc_nb.paths import resolve_root
    from fmtc_nb.regions import parse_region
    from fmtc_nb.regions.validate import check_has_tiles
    from fmtc_nb.store import Root
    from fmtc_nb.zooms import parse_zooms

    options = checked_transport(options_from_args(args))  # before anything is recorded
    checked_contact(args)
    region = parse_region(args.region)
    check_has_tiles(region)  # a polar region: one sentence, not "completed: 0 of 0" and an empty store
    if args.style is not None:
        if args.cluster:
            raise PackError("A style pack downloads on this machine: --cluster takes a tile source (--source), "
                            "not --style.")
        from fmtc_nb.cli._pack import download_pack_command

        pack, hint = download_pack_command(args, options, _headers(args.header))
        return run_with_bar(pack, args.json, hint)
    source, zooms = source_from_args(args, parse_zooms(args.zoom), options)
    source.check_bulk_allowed()
    job = DownloadJob(region, zooms, source, args.store, options)
    root = Root(resolve_root(args.root))
    # a bad store name, or a store of another source, is refused before recovery records a job for it
    with root.open_or_create(job.store, source.url_template) as store:
        if source.attribution and not store.metadata().get("attribution"):
            store.set_metadata(attribution=source.attribution)
    if args.cluster:  # checked (and Dask's absence told in one sentence) before anything is recorded
        from fmtc_nb.scale import sharded_command

        make = sharded_command(args.cluster, args.shard_tiles)
    checkpointer = _checkpointer(root, job, args.no_recovery)
    download = make(job, root, checkpointer) if args.cluster else Download(job, root, checkpointer=checkpointer)
    if hasattr(checkpointer, "bind"):  # lets `fmtc-nb recovery cancel` stop this run
        checkpointer.bind(download)
    return run_with_bar(download, args.json)
