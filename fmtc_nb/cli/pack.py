"""``fmtc-nb pack``: list, show, export, serve and delete the style packs of a root (made by
``fmtc-nb download REGION --zoom A-B --style STYLE --store NAME``)."""

from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``pack`` command and its subcommands."""
    p = subparsers.add_parser("pack", help="list, show, export, serve or delete offline style packs")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    ls = sub.add_parser("list", help="the packs of the root")
    ls.add_argument("--json", action="store_true", help="print a JSON list")
    ls.set_defaults(func=run_list)
    show = sub.add_parser("show", help="a pack's sources, stores, zooms and resources")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(func=run_show)
    export = sub.add_parser("export", help="write a folder that shows the pack offline (PMTiles, index.html)")
    export.add_argument("name")
    export.add_argument("out", help="the folder to write")
    export.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    export.set_defaults(func=run_export)
    serve = sub.add_parser("serve", help="show a stored pack (or an exported folder) on http://127.0.0.1")
    serve.add_argument("name", nargs="?", help="the pack (omit with --folder)")
    serve.add_argument("--folder", help="serve this exported folder instead")
    serve.add_argument("--port", type=int, default=0, help="port (default: any free one)")
    serve.set_defaults(func=run_serve)
    delete = sub.add_parser("delete", help="delete a pack: its folder and its stores")
    delete.add_argument("name")
    delete.set_defaults(func=run_delete)


def _root(args: argparse.Namespace) -> Any:
    from fmtc_nb.paths import resolve_root
    from fmtc_nb.store import Root

    return Root(resolve_root(args.root))


def describe(name: str, root: Any) -> dict[str, Any]:
    """What ``pack show`` prints: the manifest's facts and, per source, its store's tile count."""
    from fmtc_nb.packs.storage import PackFolder

    folder = PackFolder(root, name)
    manifest = folder.manifest()
    plan = manifest["plan"]
    sources = []
    for s in plan["sources"]:
        stored = None
        if root.exists(s["store"]):
            with root.open(s["store"], readonly=True) as store:
                stored = store.stats().tiles
        sources.append({"id": s["id"], "type": s["type"], "store": s["store"], "zooms": s["zooms"],
                        "source_zooms": [s["min_zoom"], s["max_zoom"]], "tiles": s["tiles"], "stored": stored})
    resources = plan["resources"]
    held = sum(folder.has(r["path"]) for r in resources)
    return {"name": name, "style": manifest.get("style"), "title": manifest.get("name"), "job_id": manifest["job_id"],
            "zooms": manifest.get("zooms"), "folder": str(folder.path), "sources": sources,
            "resources": {"planned": len(resources), "held": held,
                          "missing": [r["path"] for r in resources if not folder.has(r["path"])]},
            "font_stacks": plan["font_stacks"], "glyphs": plan["glyphs"], "left_out": plan.get("left_out", {})}


def run_list(args: argparse.Namespace) -> int:
    """``pack list``."""
    from fmtc_nb.packs.storage import list_packs

    names = list_packs(_root(args))
    print(json.dumps(names) if args.json else "\n".join(names) or "no packs")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """``pack show NAME``."""
    info = describe(args.name, _root(args))
    if args.json:
        print(json.dumps(info, indent=2, ensure_ascii=False))
        return 0
    print(f"pack {info['name']}: {info['title']} ({info['style']})")
    for s in info["sources"]:
        print(f"  {s['id']} ({s['type']}): zooms {s['zooms'][0]}-{s['zooms'][-1]}, {s['stored']}/{s['tiles']} tiles "
              f"in store {s['store']}")
    r = info["resources"]
    print(f"  resources: {r['held']}/{r['planned']} files (fonts: {', '.join(info['font_stacks']) or 'none'})")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """``pack export NAME OUT``."""
    from fmtc_nb.packs.export import export_pack

    done = export_pack(args.name, args.out, _root(args), overwrite=args.overwrite)
    tiles = ", ".join(f"{sid} {n:,} tiles" for sid, n in done["tiles"].items())
    print(f"exported {args.name} to {done['out']}: {tiles}, {done['resources']} resource files")
    if done["missing"]:
        print(f"missing resources (never fetched): {', '.join(done['missing'])}")
    print(f"show it: fmtc-nb pack serve --folder {done['out']}")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    """``pack serve NAME`` or ``pack serve --folder DIR``: until Ctrl-C."""
    from fmtc_nb.cli.serve import serve_until_interrupted
    from fmtc_nb.errors import PackError
    from fmtc_nb.packs.viewer import serve_folder, serve_pack

    if (args.name is None) == (args.folder is None):
        raise PackError("Give either a pack name or --folder DIR, not both or neither.")
    site = serve_folder(args.folder, args.port) if args.folder else serve_pack(args.name, _root(args), args.port)
    print(f"Serving the pack at {site.url} (Ctrl-C stops)", flush=True)
    return serve_until_interrupted(site.stop)


def run_delete(args: argparse.Namespace) -> int:
    """``pack delete NAME``."""
    from fmtc_nb.packs.storage import PackFolder

    PackFolder(_root(args), args.name).delete()
    print(f"deleted pack {args.name}")
    return 0
