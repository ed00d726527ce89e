"""Tile URLs handed to aiohttp already parsed (fmtc_nb.engine.transport.ParsedUrls) only when that changes nothing."""

from __future__ import annotations

import yarl

from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.engine.transport import ParsedUrls
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource
from fmtc_nb.zooms import parse_zooms


def test_plain_templates_are_parsed_once_and_others_left_as_text():
    plain = [TileSource("http://127.0.0.1:8080/{z}/{x}/{y}.png"),
             TileSource("https://{s}.tiles.example.org/v1/{z}/{x}/{-y}@2x.png?key={api_key}", api_key="k-1~",
                        subdomains=("a", "b", "c")),
             TileSource("https://tiles.example.org/q/{q}.jpeg")]
    for source in plain:
        urls = ParsedUrls(source, http2=False)
        for z, x, y in ((0, 0, 0), (7, 100, 27), (12, 4000, 1)):
            url = source.url(z, x, y)
            parsed = urls(url)
            assert isinstance(parsed, yarl.URL) and str(parsed) == url == str(yarl.URL(url))
        assert isinstance(ParsedUrls(source, http2=True)(source.url(1, 1, 1)), str)  # httpx takes text
    others = [TileSource("http://Tiles.Example.org/{z}/{x}/{y}.png"),  # yarl lower-cases the host
              TileSource("http://127.0.0.1:8080/{z}/{x}/{y}.png?style=dark sky"),  # a space to quote
              TileSource("http://127.0.0.1:8080/ñ/{z}/{x}/{y}.png"),  # non-ASCII to quote
              TileSource("http://127.0.0.1:8080/wms?bbox={bbox-epsg-3857}")]  # numbers yarl might rewrite
    for source in others:
        url = source.url(3, 2, 1)
        assert ParsedUrls(source, http2=False)(url) == url


def test_a_template_needing_quoting_still_reaches_the_server(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    template = server.url_template + "?style=dark sky&lang=fr"
    job = DownloadJob(parse_region("rect:-180,-85,180,85"), parse_zooms("0-1"), TileSource(template), "t",
                      DownloadOptions(parallel=2, skip_existing=False))
    snap = Download(job, tmp_path).run()
    assert snap.cached == 5 and snap.failed == 0
    assert server.queries == {"style=dark sky&lang=fr"}
