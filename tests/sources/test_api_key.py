"""An API key given on the command line (as --api-key, inside a template, inside a TileJSON address) is sent to
the server and found nowhere else: not in the store, its exports, the recovery registry, or what was printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aiohttp import web

from fmtc_nb.tileserver.server import cached_tile

REPO = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-Key-0042"


def keyed_tile_server(loopback):
    """Tiles only with ?key=SECRET (401 otherwise); tile 3/4/2 redirects to itself forever; a TileJSON that
    echoes the key into its tile URLs, as hosted providers do."""
    seen: list[str] = []

    async def tile(request: web.Request) -> web.Response:
        seen.append(request.query.get("key", ""))
        if request.query.get("key") != SECRET:
            return web.Response(status=401, text="key required")
        z, x, y = (int(request.match_info[k]) for k in ("z", "x", "y"))
        if (z, x, y) == (3, 4, 2):
            return web.Response(status=302, headers={"Location": str(request.url)})
        return web.Response(body=cached_tile(z, x, y)[0], content_type="image/png")

    async def tilejson(request: web.Request) -> web.Response:
        if request.query.get("key") != SECRET:
            return web.Response(status=401, text="key required")
        return web.json_response({"tilejson": "3.0.0", "maxzoom": 3,
                                  "tiles": [f"{request.url.origin()}/t/{{z}}/{{x}}/{{y}}.png?key={SECRET}"]})

    server = loopback({"/t/{z}/{x}/{y}.png": tile, "/tiles.json": tilejson})
    return server, seen


def cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fmtc_nb", *argv], capture_output=True, text=True, timeout=180,
                          cwd=REPO, env=env)


def test_a_key_given_on_the_command_line_is_never_written_down(loopback, tmp_path):
    server, seen = keyed_tile_server(loopback)
    env = {**os.environ, "FMTC_NB_ROOT": str(tmp_path / "root"), "PYTHONPATH": str(REPO)}
    env.pop("FMTC_NB_API_KEY", None)
    region = ["rect:-10,35,30,60", "--zoom", "0-3", "--retries", "0", "--json"]
    runs = [
        cli(env, "download", *region, "--source", f"{server.url}/t/{{z}}/{{x}}/{{y}}.png?key={SECRET}", "--store", "a"),
        cli(env, "download", *region, "--source", f"{server.url}/t/{{z}}/{{x}}/{{y}}.png?key={{api_key}}",
            "--api-key", SECRET, "--store", "a", "--no-skip-existing"),
        cli(env, "download", *region, "--source", f"{server.url}/tiles.json?key={SECRET}", "--store", "b"),
        cli(env, "sources", "inspect", f"{server.url}/tiles.json?key={SECRET}", "--json"),
    ]
    for done in runs[:3]:
        assert done.returncode == 1, done.stderr  # the redirect loop tile fails; every other tile is stored
        snapshot = json.loads(done.stdout)
        assert snapshot["failed_request"] == 1 and snapshot["cached"] + snapshot["failed"] == snapshot["max_tiles"]
    assert runs[3].returncode == 0 and json.loads(runs[3].stdout)["template"].endswith("?key={api_key}")
    assert seen and set(seen) == {SECRET}  # every tile request carried the key
    exports = tmp_path / "exports"
    for fmt in ("mbtiles", "pmtiles", "dir", "gpkg", "sqlitedb"):
        for store in ("a", "b"):
            done = cli(env, "store", "export", store, str(exports / f"{store}.{fmt}"), "--format", fmt)
            assert done.returncode == 0, done.stderr
            runs.append(done)
    runs += [cli(env, "store", "list"), cli(env, "store", "stats", "a", "--failures", "--json"),
             cli(env, "store", "meta", "a"), cli(env, "recovery", "list", "--json")]
    jobs = json.loads(runs[-1].stdout)
    assert len(jobs) == 3
    runs += [cli(env, "recovery", "show", job["id"], "--json") for job in jobs]
    assert all(done.returncode == 0 for done in runs[-3:])
    # resuming needs the key again: it is nowhere to be found but in the environment
    refused = cli(env, "recovery", "resume", jobs[0]["id"])
    assert refused.returncode == 2 and "FMTC_NB_API_KEY" in refused.stderr
    asked = len(seen)
    resumed = cli(env | {"FMTC_NB_API_KEY": SECRET}, "recovery", "resume", jobs[0]["id"], "--json")
    assert resumed.returncode == 1 and json.loads(resumed.stdout)["failed_request"] == 1  # the loop tile again
    assert len(seen) > asked and set(seen) == {SECRET}
    runs += [refused, resumed]

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"a.mbtiles", "b.mbtiles", "recovery.sqlite", "a.gpkg", "a.sqlitedb", "a.pmtiles"} <= names
    leaks = [str(p) for p in files if SECRET.encode() in p.read_bytes()]
    leaks += [" ".join(d.args[3:5]) for d in runs if SECRET in d.stdout or SECRET in d.stderr]
    assert leaks == []
    with_placeholder = [p for p in files if b"key={api_key}" in p.read_bytes()]
    assert any(p.name == "a.mbtiles" for p in with_placeholder)  # the store records the template, not the key
