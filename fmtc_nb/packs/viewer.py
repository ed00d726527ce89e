"""Showing packs on loopback (127.0.0.1 only):

- :func:`serve_pack`: a stored pack, live from its stores through the caching proxy (``cache-only``: nothing
  is fetched), with its sprites, glyphs and the page; what the notebook widget shows;
- :func:`serve_folder`: an exported folder as a static site (byte ranges answered, as PMTiles needs).
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from aiohttp import web

from fmtc_nb.errors import PackError
from fmtc_nb.packs.page import STATIC_FILES, index_html, rewrite_style, static_file, view_of
from fmtc_nb.packs.plan import PackPlan
from fmtc_nb.packs.storage import STYLE, PackFolder
from fmtc_nb.store import Root
from fmtc_nb.threaded_site import ThreadedSite

NO_CACHE = {"Cache-Control": "no-cache"}


class _Site(ThreadedSite):
    """An aiohttp application served from a background thread on 127.0.0.1; ``url`` is its page."""

    def __init__(self, app: web.Application, port: int = 0) -> None:
        super().__init__(lambda: app, port=port, name="fmtc-nb-pack-viewer")
        try:
            self.start()
        except OSError as exc:
            raise PackError(f"The pack viewer could not listen on 127.0.0.1:{port} ({exc.strerror or exc}).") from None

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://127.0.0.1:{self.port}/index.html"

    def __enter__(self) -> _Site:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _to_index(request: web.Request) -> web.Response:
    raise web.HTTPFound("/index.html")


def serve_folder(path: str | Path, port: int = 0) -> _Site:
    """Serve an exported pack folder; ``handle.url`` is its ``index.html``, ``handle.stop()`` ends it."""
    folder = Path(path)
    if not (folder / "index.html").is_file():
        raise PackError(f"{folder} is not an exported pack folder (it has no index.html).")
    app = web.Application()
    app.router.add_get("/", _to_index)
    app.router.add_static("/", folder, show_index=False, follow_symlinks=False)
    return _Site(app, port)


class PackViewer(_Site):
    """A stored pack served live: ``/style.json`` (tiles from one cache-only caching proxy per source),
    ``/sprites/...``, ``/glyphs/...``, ``/lib/...`` and ``/index.html``. ``proxies`` are the sources' proxy
    handles (their ``hits`` count the tiles the map read)."""

    def __init__(self, name: str, root: Any = None, port: int = 0) -> None:
        from fmtc_nb.store.proxy import serve_store

        self.root = root if isinstance(root, Root) else Root(root)
        self.folder = PackFolder(self.root, name)
        manifest = self.folder.manifest()
        plan = PackPlan.from_dict(manifest["plan"])
        self.proxies = {}
        try:
            for source in plan.sources:
                self.proxies[source.id] = serve_store(source.store, self.root, mode="cache-only")
        except BaseException:
            self._stop_proxies()
            raise
        urls = {sid: {"tiles": [proxy.url_template]} for sid, proxy in self.proxies.items()}
        center, zoom = view_of(manifest.get("region"), manifest.get("zooms") or [0])
        self.style = rewrite_style(json.loads(self.folder.read(STYLE)), plan.sources, urls, center, zoom)
        self.title = manifest.get("name") or name
        app = web.Application()
        app.router.add_get("/", _to_index)
        app.router.add_get("/index.html", self._page)
        app.router.add_get("/style.json", self._style)
        app.router.add_get("/lib/{file}", self._lib)
        app.router.add_get(r"/{kind:(sprites|glyphs)}/{path:.+}", self._file)
        try:
            super().__init__(app, port)
        except BaseException:
            self._stop_proxies()
            raise

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=index_html(self.title), content_type="text/html", headers=NO_CACHE)

    async def _style(self, request: web.Request) -> web.Response:
        return web.json_response(self.style, headers=NO_CACHE)

    async def _lib(self, request: web.Request) -> web.Response:
        name = request.match_info["file"]
        if name not in STATIC_FILES:
            raise web.HTTPNotFound()
        return web.Response(body=static_file(name), content_type=mimetypes.guess_type(name)[0] or "text/plain")

    async def _file(self, request: web.Request) -> web.Response:
        relative = f"{request.match_info['kind']}/{request.match_info['path']}"
        try:
            if not self.folder.has(relative):
                raise web.HTTPNotFound()
            body = self.folder.read(relative)
        except PackError:
            raise web.HTTPNotFound() from None
        kind = "application/json" if relative.endswith(".json") else "image/png" if relative.endswith(".png") \
            else "application/x-protobuf"
        return web.Response(body=body, content_type=kind)

    def _stop_proxies(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop the page server and the proxies (idempotent)."""
        super().stop(timeout_s)
        self._stop_proxies()


def serve_pack(name: str, root: Any = None, port: int = 0) -> PackViewer:
    """Serve stored pack ``name`` of ``root`` on loopback, nothing fetched from the network; ``handle.url`` is
    the page, ``handle.stop()`` ends it."""
    return PackViewer(name, root, port)
