"""``fmtc-nb sources list|inspect``: the provider catalogue, and what fmtc-nb understands of a source."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``sources`` command."""
    p = subparsers.add_parser("sources", help="list known tile providers; inspect a source (template, WMS, WMTS, TileJSON)")
    sub = p.add_subparsers(dest="sources_command", metavar="SUBCOMMAND")
    sub.required = True
    q = sub.add_parser("list", help="the provider catalogue: source, max zoom, terms, bulk policy, API key")
    q.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    q.set_defaults(func=_list)
    q = sub.add_parser("inspect", help="say what fmtc-nb understands of a source (reads its capabilities/TileJSON)")
    q.add_argument("source", help="catalogue id, URL template, wms:URL?layers=..., wmts:URL#layer or TileJSON URL")
    add_source_options(q)
    q.add_argument("--json", action="store_true", help="print the description as JSON")
    q.set_defaults(func=_inspect)


def add_source_options(p: argparse.ArgumentParser) -> None:
    """``--api-key``, ``--header`` and ``--contact``: how requests to a source are made."""
    p.add_argument("--api-key", default=None,
                   help="API key for {api_key} in the source (or the provider's environment variable); never stored")
    p.add_argument("--header", action="append", default=[], metavar="K:V", help="extra request header (repeatable)")
    p.add_argument("--contact", help="your e-mail or URL, added to the User-Agent")


def checked_contact(args: argparse.Namespace) -> str | None:
    """``--contact`` when given, once it is known not to be empty (one sentence naming the flag otherwise)."""
    from fmtc_nb.errors import OptionError
    from fmtc_nb.source import check_contact

    contact: str | None = getattr(args, "contact", None)
    try:
        check_contact(contact)
    except OptionError as exc:
        raise exc.given_as("--contact") from None
    return contact


def source_from_args(args: argparse.Namespace, zooms: list[int], network: Any = None) -> tuple[Any, list[int]]:
    """(TileSource, zooms it serves) from ``--source``/``--url``, ``--api-key`` and, where the command has them,
    ``--header``, ``--contact``, ``--tile-format``; a service description is fetched with the command's
    ``network`` options (``DownloadOptions``: proxy, CA bundle...); zooms outside the source's range are left out with a warning,
    and a provider whose terms should be read first is named (stderr)."""
    from fmtc_nb.cli._headers import parse_headers
    from fmtc_nb.sources import clip_zooms, resolve_source
    from fmtc_nb.sources.catalogue import provider_for_host

    source = resolve_source(args.url, args.api_key, headers=parse_headers(getattr(args, "header", [])),
                            contact=checked_contact(args), tile_format=getattr(args, "tile_format", None),
                            network=network)
    kept, dropped = clip_zooms(zooms, source)
    if dropped:
        print(f"fmtc-nb: warning: zoom(s) {', '.join(map(str, dropped))} are outside the source's range "
              f"{source.min_zoom or 0}-{source.max_zoom}; they are left out.", file=sys.stderr)
    entry = provider_for_host(source.host)
    if entry is not None and entry.bulk == "check-terms":
        print(f"fmtc-nb: note: {entry.name} allows offline use only as its terms say: {entry.terms}", file=sys.stderr)
    return source, kept


def _list(args: argparse.Namespace) -> int:
    from fmtc_nb.sources.catalogue import providers

    rows = [p.to_dict() for p in providers()]
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    print(f"{'id':<24} {'bulk':<12} {'zoom':<6} {'api key':<24} name")
    for p in providers():
        zoom = f"{p.min_zoom or 0}-{p.max_zoom}" if p.max_zoom is not None else "-"
        key = f"${p.api_key_env}" if p.api_key_env else "-"
        print(f"{p.id:<24} {p.bulk:<12} {zoom:<6} {key:<24} {p.name}")
        print(f"{'':<24} {p.source}")
        print(f"{'':<24} terms: {p.terms}; attribution: {p.attribution}")
    return 0


def _inspect(args: argparse.Namespace) -> int:
    from fmtc_nb.cli._headers import parse_headers
    from fmtc_nb.sources import describe_source

    facts = describe_source(args.source, args.api_key, headers=parse_headers(args.header), contact=args.contact)
    if args.json:
        print(json.dumps(facts, indent=2, ensure_ascii=False))
        return 0
    layers = facts.pop("layers", None)
    for key, value in facts.items():
        if value not in (None, "", [], {}):
            print(f"{key.replace('_', ' '):<16} {value}")
    if layers:
        print("layers")
        for name, info in layers.items():
            detail = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in info.items() if k != "title")
            print(f"  {name:<28} {info.get('title', '')} ({detail})")
    return 0
