"""The provider catalogue: every entry is a usable source, the OSM refusal is its rule, keys come from the
command line or the provider's environment variable, zoom ranges are honoured and attribution travels."""

from __future__ import annotations

import argparse
import json

import pytest

from fmtc_nb import source as source_module
from fmtc_nb.cli import main
from fmtc_nb.errors import PolicyError, SourceError
from fmtc_nb.sources import clip_zooms, resolve_source
from fmtc_nb.sources.catalogue import bulk_forbidden_hosts, provider, provider_for_host, providers
from fmtc_nb.tileserver.render import ATTRIBUTION

from .conftest import document


def test_every_template_entry_is_a_tile_source_with_its_facts():
    for entry in providers():
        assert entry.terms.startswith("https://") and entry.attribution
        if entry.source.startswith("wmts:"):
            continue  # needs its capabilities from the internet
        source = resolve_source(entry.id, api_key="k" if entry.api_key_env else None)
        assert source.attribution == entry.attribution and source.max_zoom == entry.max_zoom
        assert ("{api_key}" in source.url_template) == (entry.api_key_env is not None)


def test_the_osm_refusal_is_the_catalogue_rule(monkeypatch, capsys, tmp_path):
    assert provider("osm").bulk == "forbidden"
    assert source_module.BULK_FORBIDDEN == bulk_forbidden_hosts() == {
        "tile.openstreetmap.org": "https://operations.osmfoundation.org/policies/tiles/"}
    for spec in ("osm", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"):
        with pytest.raises(PolicyError, match="forbids bulk"):
            resolve_source(spec).check_bulk_allowed()
        code = main(["--root", str(tmp_path), "download", "rect:0,0,1,1", "--zoom", "0-2", "--source", spec,
                     "--store", "osm", "--no-recovery"])
        err = capsys.readouterr().err
        assert code == 2 and "operations.osmfoundation.org/policies/tiles" in err
    assert provider_for_host("tile.openstreetmap.org").id == "osm" and provider_for_host("example.org") is None


def test_a_keyed_provider_takes_the_key_from_the_command_line_or_its_variable(monkeypatch):
    monkeypatch.delenv("MAPTILER_API_KEY", raising=False)
    monkeypatch.delenv("FMTC_NB_API_KEY", raising=False)
    with pytest.raises(SourceError, match="needs an API key: give --api-key or set MAPTILER_API_KEY"):
        resolve_source("maptiler-streets")
    monkeypatch.setenv("MAPTILER_API_KEY", "from-variable")
    source = resolve_source("maptiler-streets")
    assert source.url(1, 0, 0).endswith("?key=from-variable") and "from-variable" not in source.url_template
    assert resolve_source("maptiler-streets", api_key="given").url(1, 0, 0).endswith("?key=given")


def test_sources_list_shows_policy_and_key_variables(capsys):
    assert main(["sources", "list", "--json"]) == 0
    listed = {p["id"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed["osm"]["bulk"] == "forbidden" and listed["osm"]["max_zoom"] == 19
    assert listed["thunderforest-cycle"]["api_key"] == {"where": "query parameter apikey", "env": "THUNDERFOREST_API_KEY"}
    assert main(["sources", "list"]) == 0
    text = capsys.readouterr().out
    assert "osm" in text and "forbidden" in text and "$STADIA_API_KEY" in text


def test_a_provider_whose_terms_must_be_read_is_named(capsys):
    from fmtc_nb.cli.sources import source_from_args

    args = argparse.Namespace(url="usgs-topo", api_key=None, header=[], contact=None, tile_format=None)
    source, zooms = source_from_args(args, list(range(0, 19)))
    err = capsys.readouterr().err
    assert zooms == list(range(0, 17)) and "zoom(s) 17, 18 are outside the source's range 0-16" in err
    assert "USGS" in err and "copyrights-and-credits" in err


def test_zooms_outside_a_tilejson_range_are_left_out_and_attribution_travels(demo, loopback, capsys, root):
    tilejson = json.dumps({"tilejson": "3.0.0", "tiles": [demo.url_template], "minzoom": 1, "maxzoom": 3,
                           "attribution": ATTRIBUTION})
    server = loopback({"/tiles.json": document(tilejson, "application/json")})
    code = main(["--root", str(root.path), "download", "rect:-10,35,30,60", "--zoom", "0-5", "--source",
                 f"{server.url}/tiles.json", "--store", "tj", "--no-recovery", "--json"])
    err = capsys.readouterr().err
    assert code == 0 and "zoom(s) 0, 4, 5 are outside the source's range 1-3" in err
    with root.open("tj", readonly=True) as store:
        assert set(store.stats().zooms) == {1, 2, 3} and store.metadata()["attribution"] == ATTRIBUTION
    code = main(["--root", str(root.path), "download", "rect:-10,35,30,60", "--zoom", "6-8", "--source",
                 f"{server.url}/tiles.json", "--store", "tj", "--no-recovery"])
    assert code == 2 and "none of the requested zooms 6-8" in capsys.readouterr().err
    source = resolve_source(f"{server.url}/tiles.json")
    assert clip_zooms([2, 3], source) == ([2, 3], [])
