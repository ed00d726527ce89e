"""``fmtc-nb store list|create|stats|export|import|rename|reset|delete|prune|verify|meta|limit``: manage tile stores.

Every subcommand takes ``--json`` for machine-readable output; bad input is one sentence and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fmtc_nb.errors import StoreError
from fmtc_nb.units import human_bytes


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``store`` command and its subcommands."""
    from fmtc_nb.store.export import FORMATS
    from fmtc_nb.store.importer import CONFLICTS

    p = subparsers.add_parser("store", help="list, inspect, export, import and maintain tile stores")
    sub = p.add_subparsers(dest="store_command", metavar="SUBCOMMAND")
    sub.required = True

    def add(name: str, func: Callable[[argparse.Namespace], Any], help: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help)
        q.add_argument("--json", action="store_true", help="print the result as JSON")
        q.set_defaults(func=lambda args: _emit(args, func(args)))
        return q

    add("list", _list, "list the stores with their tile counts and sizes")
    q = add("create", _create, "create an empty store for a tile source")
    q.add_argument("name")
    q.add_argument("--source", default=None, help="tile URL template the store will hold tiles of")
    q.add_argument("--attribution", default=None, help="attribution text for the MBTiles metadata")
    add("stats", _stats, "statistics of a store (O(1)), failures with --failures").add_argument("name")
    sub.choices["stats"].add_argument("--failures", action="store_true", help="include recorded failed tiles")
    q = add("export", _export, "export a store as MBTiles, PMTiles, a z/x/y directory, GeoPackage or sqlitedb")
    q.add_argument("name")
    q.add_argument("out", help="output file (or directory for --format dir)")
    q.add_argument("--format", choices=FORMATS, default=None,
                   help="default: from OUT's extension (.mbtiles, .pmtiles, .gpkg, .sqlitedb), else dir")
    q.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    q = add("import", _import, "import an MBTiles, PMTiles, GeoPackage or sqlitedb file made by any tool")
    q.add_argument("file")
    q.add_argument("--as", dest="as_name", default=None, help="store name (default: the file name)")
    q.add_argument("--on-conflict", choices=CONFLICTS, default=None,
                   help="what to do if the store exists (default: refuse)")
    q = add("rename", _rename, "rename a store")
    q.add_argument("name")
    q.add_argument("new_name")
    add("reset", _reset, "remove every tile of a store, keeping its source and metadata").add_argument("name")
    add("delete", _delete, "delete a store file").add_argument("name")
    q = add("prune", _prune, "delete tiles fetched before a date")
    q.add_argument("name")
    q.add_argument("--older-than", required=True, help="ISO date/time (UTC if no zone) or an age such as 30d or 12h")
    add("verify", _verify, "SQLite integrity check, MBTiles schema and counters").add_argument("name")
    q = add("meta", _meta, "show metadata, or set KEY=VALUE entries (KEY= deletes)")
    q.add_argument("name")
    q.add_argument("entries", nargs="*", metavar="KEY=VALUE")
    q = add("limit", _limit, "set the maximum tile count (least recently used tiles are evicted); 'none' removes it")
    q.add_argument("name")
    q.add_argument("max_tiles", help="a tile count or 'none'")


def _root(args: argparse.Namespace) -> Any:
    from fmtc_nb.store import Root

    return Root(args.root)


def _emit(args: argparse.Namespace, result: tuple[Any, str]) -> int:
    """Print (json_value, text) and return the exit code (1 if verify found problems)."""
    value, text = result
    print(json.dumps(value, indent=2) if args.json else text)
    return 1 if isinstance(value, dict) and value.get("ok") is False else 0


def _list(args: argparse.Namespace) -> tuple[Any, str]:
    root = _root(args)
    rows = []
    for name in root.list():
        try:
            with root.open(name, readonly=True) as store:
                rows.append(store.stats().to_dict())
        except StoreError as exc:
            rows.append({"name": name, "error": str(exc)})
    lines = [f"{'name':<24} {'tiles':>12} {'size':>11}  source"]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['name']:<24} {'?':>12} {'?':>11}  {r['error']}")
        else:
            lines.append(f"{r['name']:<24} {r['tiles']:>12,} {human_bytes(r['tile_bytes']):>11}  {r['source_url'] or '-'}")
    if not rows:
        lines.append(f"(no stores in {root.stores_dir})")
    return rows, "\n".join(lines)


def _create(args: argparse.Namespace) -> tuple[Any, str]:
    meta = {"attribution": args.attribution} if args.attribution else {}
    if args.source:
        from fmtc_nb.source import TileSource

        TileSource(args.source)  # a bad template is refused before anything is created
    with _root(args).create(args.name, args.source, **meta) as store:
        path = str(store.path)
    return {"name": args.name, "path": path, "source_url": args.source}, f"Created store {args.name!r} at {path}."


def _stats(args: argparse.Namespace) -> tuple[Any, str]:
    with _root(args).open(args.name, readonly=True) as store:
        stats = store.stats().to_dict()
        if args.failures:
            stats["failed_tiles"] = store.failures()
    when = {k: datetime.fromtimestamp(stats[k], UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            for k in ("created_at", "updated_at")}
    lines = [f"store        {stats['name']}", f"source       {stats['source_url'] or '-'}",
             f"tiles        {stats['tiles']:,} ({human_bytes(stats['tile_bytes'])})",
             f"unique blobs {stats['unique_blobs']:,} ({human_bytes(stats['blob_bytes'])})",
             f"on disk      {human_bytes(stats['disk_bytes'])}",
             f"browse       {stats['hits']:,} hits, {stats['misses']:,} misses",
             f"failures     {stats['failures']:,}", f"created      {when['created_at']}",
             f"updated      {when['updated_at']}"]
    lines += [f"  z{z:<3} {n:>12,} tiles" for z, n in stats["zooms"].items()]
    for f in stats.get("failed_tiles", []):
        lines.append(f"  failed {f['z']}/{f['x']}/{f['y']}: {f['reason']}")
    return stats, "\n".join(lines)


def _export(args: argparse.Namespace) -> tuple[Any, str]:
    from fmtc_nb.store.export import FORMATS, export_store

    fmt = args.format or next((f for f in FORMATS if f != "dir" and args.out.lower().endswith(f".{f}")), "dir")
    with _root(args).open(args.name, readonly=True) as store:
        count = export_store(store, fmt, args.out, overwrite=args.overwrite)
    return {"name": args.name, "format": fmt, "out": args.out, "tiles": count}, \
        f"Exported {count:,} tiles of {args.name!r} to {args.out} ({fmt})."


def _import(args: argparse.Namespace) -> tuple[Any, str]:
    from fmtc_nb.store.importer import import_file

    result = import_file(_root(args), args.file, name=args.as_name, on_conflict=args.on_conflict)
    value = {"name": result.name, "action": result.action, "tiles": result.tiles, "file": args.file}
    return value, f"{result.action.capitalize()} store {result.name!r} ({result.tiles:,} tiles from {args.file})."


def _rename(args: argparse.Namespace) -> tuple[Any, str]:
    path = _root(args).rename(args.name, args.new_name)
    return {"name": args.new_name, "old_name": args.name, "path": str(path)}, \
        f"Renamed {args.name!r} to {args.new_name!r}."


def _reset(args: argparse.Namespace) -> tuple[Any, str]:
    _root(args).reset(args.name)
    return {"name": args.name, "reset": True}, f"Store {args.name!r} is now empty."


def _delete(args: argparse.Namespace) -> tuple[Any, str]:
    _root(args).delete(args.name)
    return {"name": args.name, "deleted": True}, f"Deleted store {args.name!r}."


def parse_moment(text: str, now: float | None = None) -> float:
    """Epoch seconds of an ISO date/time (UTC if no zone) or of an age before ``now`` such as ``30d``, ``12h``, ``45m``."""
    now = time.time() if now is None else now
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    if text and text[-1] in units and text[:-1].replace(".", "", 1).isdigit():
        return now - float(text[:-1]) * units[text[-1]]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise StoreError(f"{text!r} is neither an ISO date (2026-01-31) nor an age such as 30d.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _prune(args: argparse.Namespace) -> tuple[Any, str]:
    before = parse_moment(args.older_than)
    with _root(args).open(args.name) as store:
        count = store.prune(before)
    return {"name": args.name, "deleted_tiles": count, "older_than": before}, \
        f"Deleted {count:,} tiles of {args.name!r} fetched before {datetime.fromtimestamp(before, UTC):%Y-%m-%d %H:%M} UTC."


def _verify(args: argparse.Namespace) -> tuple[Any, str]:
    with _root(args).open(args.name, readonly=True) as store:
        problems = store.verify()
    text = f"Store {args.name!r} is fine." if not problems else \
        "\n".join([f"Store {args.name!r} has problems:"] + [f"- {p}" for p in problems])
    return {"name": args.name, "ok": not problems, "problems": problems}, text


REQUIRED_KEYS = ("name", "format")
"""MBTiles 1.3 metadata keys a reader needs; ``store meta`` will not delete them."""


def _meta(args: argparse.Namespace) -> tuple[Any, str]:
    entries: dict[str, object] = {}
    for item in args.entries:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise StoreError(f"Metadata entries are KEY=VALUE (KEY= deletes), not {item!r}.")
        if key.startswith("fmtc_"):
            raise StoreError(f"The metadata key {key!r} is kept by fmtc-nb itself (the tile source is fixed; "
                             "'fmtc-nb store limit' sets the tile limit).")
        if not value and key in REQUIRED_KEYS:
            raise StoreError(f"The metadata key {key!r} is required by MBTiles 1.3 and cannot be deleted.")
        entries[key] = value or None
    with _root(args).open(args.name, readonly=not entries) as store:
        if entries:
            store.set_metadata(**entries)
        meta = store.metadata()
    return meta, "\n".join(f"{k:<20} {v}" for k, v in sorted(meta.items()))


def _limit(args: argparse.Namespace) -> tuple[Any, str]:
    text = args.max_tiles.strip().lower()
    if text != "none" and not text.isdigit():
        raise StoreError(f"The tile limit must be a whole number or 'none', not {args.max_tiles!r}.")
    limit = None if text == "none" else int(text)
    if limit == 0:  # many tools read 0 as "no limit"; here it would evict every tile
        raise StoreError("A tile limit of 0 would evict every tile; give a positive count, 'none' for no limit, "
                         "or use 'fmtc-nb store reset' to empty the store.")
    with _root(args).open(args.name) as store:
        evicted = store.set_max_tiles(limit)
    return {"name": args.name, "max_tiles": limit, "evicted": evicted}, \
        f"Store {args.name!r}: limit {'none' if limit is None else f'{limit:,} tiles'}, {evicted:,} tiles evicted."

