"""Style packs in a notebook: :class:`PackPanel` estimates and downloads the pack of a style for a region (a Region
or a :class:`RegionPicker`'s current one), and :class:`PackView` shows a stored pack offline: the pack viewer's
page (MapLibre GL JS shipped in the package, tiles through cache-only caching proxies) in an iframe on
127.0.0.1, so the browser must run on the same machine as the kernel.

>>> panel = PackPanel(picker, server.style_url, "geneva")   # doctest: +SKIP
>>> panel.download(); panel.view                            # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import html
from typing import Any

import ipywidgets as w

from fmtc_nb.errors import FmtcError
from fmtc_nb.packs.estimate import PackEstimate, estimate_pack
from fmtc_nb.packs.job import PackJob
from fmtc_nb.packs.runner import PackDownload, recorded_pack
from fmtc_nb.packs.viewer import PackViewer, serve_pack
from fmtc_nb.store import Root
from fmtc_nb.units import human_bytes
from fmtc_nb.widgets.estimate_panel import PickedRegion
from fmtc_nb.zooms import parse_zooms


class PackView:
    """Stored pack ``name`` of ``root`` on a map: ``widget`` (an iframe of ``height`` pixels), ``url``; ``close()``
    stops the servers."""

    def __init__(self, name: str, root: Any = None, *, height: int = 450) -> None:
        self.viewer: PackViewer = serve_pack(name, root)
        self.url = self.viewer.url
        self.widget = w.HTML(f"<iframe src='{html.escape(self.url)}' style='width:100%;height:{int(height)}px;"
                             "border:0' title='offline pack'></iframe>")
        self.widget.add_class("fmtc-pack-view")

    def close(self) -> None:
        """Stop the page server and the proxies."""
        self.viewer.stop()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def estimate_html(result: PackEstimate) -> str:
    """Per source: zooms, tiles, transfer; and the pack's totals."""
    rows = "".join(f"<tr><td>{html.escape(s.id)}</td><td>{s.type}</td><td>{s.zooms[0]}–{s.zooms[-1]}</td>"
                   f"<td>{s.tiles:,}</td><td>{human_bytes(result.sources[s.id].bytes.estimate)}</td></tr>"
                   for s in result.plan.sources)
    return (f"<table class='fmtc-pack-estimate'><tr><th>source</th><th>type</th><th>zooms</th><th>tiles</th>"
            f"<th>transfer</th></tr>{rows}</table><div>pack: {result.tiles:,} tiles, about "
            f"{human_bytes(result.bytes.estimate)}, and {len(result.plan.resources)} sprite and glyph files</div>")


class PackPanel(PickedRegion):
    """Estimate and download the pack ``name`` of ``style`` (URL or file) for ``region`` (a Region, or a
    RegionPicker whose current region is used) at the zooms of the slider; ``glyphs`` as the CLI's."""

    def __init__(self, region: Any, style: str, name: str, *, root: Any = None, zooms: Any = None,
                 glyphs: str = "latin", parallel: int = 16) -> None:
        self.source = region
        self.root = Root(root) if not isinstance(root, Root) else root
        self.glyphs, self.parallel = glyphs, parallel
        levels = parse_zooms(zooms) if zooms is not None else getattr(region, "zooms", list(range(0, 11)))
        self.style = w.Text(value=style, description="style", layout=w.Layout(width="60%"))
        self.name = w.Text(value=name, description="pack")
        self.zoom_range = w.IntRangeSlider(value=(levels[0], levels[-1]), min=0, max=22, description="zooms",
                                           continuous_update=False)
        self.estimate_button = w.Button(description="Estimate", icon="calculator")
        self.download_button = w.Button(description="Download", icon="download", button_style="primary")
        self.estimate_button.on_click(lambda _b: self.estimate())
        self.download_button.on_click(lambda _b: self.download(wait=False))
        self.result = w.HTML("<i>Estimate counts every source's tiles; Download stores the pack offline.</i>")
        self.result.add_class("fmtc-pack-result")
        self.progress = w.IntProgress(min=0, max=1, description="items")
        self.output = w.VBox([])
        self.widget = w.VBox([w.HBox([self.style, self.name]), w.HBox([self.zoom_range, self.estimate_button,
                                                                         self.download_button]),
                              self.result, self.progress, self.output])
        self.run: PackDownload | None = None
        self._registry: Any = None  # the recovery registry of the current run, open while it runs
        self.view: PackView | None = None
        self.error: str | None = None

    def _fail(self, sentence: str) -> None:
        self.error = sentence
        self.result.value = f"<div class='fmtc-error' style='color:#c92a2a'>{html.escape(sentence)}</div>"

    def estimate(self) -> PackEstimate | None:
        """Estimate the pack now (blocking) and show it."""
        if self.region is None:
            self._fail("There is no region yet: draw one on the map first.")
            return None
        try:
            result = estimate_pack(self.region, self.zooms, self.style.value, glyphs=self.glyphs, seed=0,
                                   parallel=self.parallel)
        except FmtcError as exc:
            self._fail(str(exc))
            return None
        self.error = None
        self.result.value = estimate_html(result)
        return result

    def download(self, wait: bool = True) -> PackDownload | None:
        """Download the pack (in a background thread; ``wait``: block until done) and then show it."""
        from fmtc_nb.engine.job import DownloadOptions
        from fmtc_nb.recovery import RecoveryRegistry

        if self.region is None:
            self._fail("There is no region yet: draw one on the map first.")
            return None
        if self.run is not None and self.run.running:
            self._fail("A pack is downloading already: wait for it or cancel it first.")
            return None
        job = PackJob(self.region, self.zooms, self.style.value, self.name.value,
                      DownloadOptions(parallel=self.parallel), self.glyphs)
        self._close_registry()
        self._registry = RecoveryRegistry(self.root)

        def show(snap: Any) -> None:
            self.progress.max, self.progress.value = max(snap.max_tiles, 1), snap.attempted
            if snap.status in ("completed", "cancelled", "failed"):
                self.result.value = (f"{snap.status}: {snap.cached} stored, {snap.skipped} already there, "
                                     f"{snap.failed} failed of {snap.max_tiles} items")
                if snap.status == "completed" and self.view is None:
                    self.view = PackView(job.store, self.root)
                    self.output.children = (self.view.widget,)

        try:
            self.run = recorded_pack(job, self.root, self._registry, on_progress=show)
        except FmtcError as exc:
            self._fail(str(exc))
            return None
        self.result.value = f"<i>Downloading the pack (recovery job {job.job_id})…</i>"
        self.run.start()
        if wait:
            self.run.wait()
        return self.run

    def close(self) -> None:
        """Cancel a running download (it ends recorded, resumable) and stop the view."""
        if self.run is not None and self.run.running:
            self.run.cancel()
            with contextlib.suppress(FmtcError):  # its failure was shown already
                self.run.wait(30)
        self._close_registry()
        if self.view is not None:
            self.view.close()

    def _close_registry(self) -> None:
        if self._registry is not None:
            self._registry.close()
            self._registry = None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
