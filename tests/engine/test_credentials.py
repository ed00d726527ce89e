"""Issue 21 item 9 and issue 16: an API key in the tile URL never reaches what is written (store metadata,
MBTiles/PMTiles/dir exports, the recovery registry, listings): the template keeps ``{api_key}`` and only the
requests carry the key. A credential header is kept by the recovery registry (to resume) and shown redacted."""

from __future__ import annotations

import json
import mmap
import subprocess
import sys
from pathlib import Path

import pytest
from pmtiles.reader import Reader

from fmtc_nb.engine import Download, DownloadJob, DownloadOptions
from fmtc_nb.errors import StoreError
from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.regions import parse_region
from fmtc_nb.source import TileSource, has_redacted_credentials, redact_headers, redact_text, redact_url
from fmtc_nb.store import Root
from fmtc_nb.store.export import export_store
from fmtc_nb.store.proxy import serve_store
from fmtc_nb.zooms import parse_zooms

SECRET = "s3cr3tK3y"
REPO = Path(__file__).resolve().parents[2]


def fmtc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fmtc_nb", "--root", str(root), *args], cwd=REPO,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("url", "shown"), [
    ("https://t.example/{z}/{x}/{y}.png?key=abc", "https://t.example/{z}/{x}/{y}.png?key=REDACTED"),
    ("https://t.example/{z}/{x}/{y}.png?style=1&apikey=abc&x=2",
     "https://t.example/{z}/{x}/{y}.png?style=1&apikey=REDACTED&x=2"),
    ("https://t.example/{z}/{x}/{-y}?Access_Token=a&api_key=b&token=c",
     "https://t.example/{z}/{x}/{-y}?Access_Token=REDACTED&api_key=REDACTED&token=REDACTED"),
    ("https://me:pw@t.example/{z}/{x}/{y}", "https://me:REDACTED@t.example/{z}/{x}/{y}"),
    ("https://t.example/{z}/{x}/{y}.png?keyboard=1", "https://t.example/{z}/{x}/{y}.png?keyboard=1"),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown
    assert has_redacted_credentials(shown) == (shown != url)
    assert redact_text(f"InvalidURL: {url} failed") == f"InvalidURL: {shown} failed"


def test_redact_headers():
    assert redact_headers({"Authorization": "Bearer x", "X-Api-Key": "k", "Accept": "image/png"}) == \
        {"Authorization": "REDACTED", "X-Api-Key": "REDACTED", "Accept": "image/png"}


def no_secret(*blobs: bytes | str) -> bool:
    return all(SECRET not in (b.decode("latin-1") if isinstance(b, bytes) else b) for b in blobs)


def test_a_key_in_the_url_is_used_for_fetching_but_never_written_for_others(fault_server, tmp_path):
    server = fault_server(lambda z, x, y, n: "ok")
    url = server.url_template + f"?key={SECRET}&style=dark"
    job = DownloadJob(parse_region("rect:-180,-85,180,85"), parse_zooms("0-2"),
                      TileSource(url, headers={"Authorization": f"Bearer {SECRET}"}), "s", DownloadOptions())
    with RecoveryRegistry(tmp_path) as registry:
        tracker = registry.start(job)
        assert Download(job, tmp_path, checkpointer=tracker).run().status == "completed"
        # the registry keeps the template, not the key: a resume takes it from FMTC_NB_API_KEY
        assert registry.get(tracker.job_id).spec["source"]["url_template"] == \
            server.url_template + "?key={api_key}&style=dark"
    assert server.queries == {f"key={SECRET}&style=dark"}  # the fetch used the real URL
    assert no_secret((tmp_path / "recovery.sqlite").read_bytes().replace(f"Bearer {SECRET}".encode(), b""))
    root = Root(tmp_path)
    with root.open("s", readonly=True) as store:
        assert store.source_url == server.url_template + "?key={api_key}&style=dark"
        export_store(store, "mbtiles", tmp_path / "out.mbtiles")
        export_store(store, "pmtiles", tmp_path / "out.pmtiles")
        export_store(store, "dir", tmp_path / "out")
    assert no_secret(root.store_path("s").read_bytes(), (tmp_path / "out.mbtiles").read_bytes(),
                     (tmp_path / "out" / "metadata.json").read_text())
    with (tmp_path / "out.pmtiles").open("rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
        assert no_secret(json.dumps(Reader(lambda o, n: m[o:o + n]).metadata()), bytes(m))
    listed, shown = fmtc(tmp_path, "recovery", "list", "--json"), fmtc(tmp_path, "recovery", "show", job.job_id, "--json")
    assert listed.returncode == shown.returncode == 0
    assert no_secret(listed.stdout, shown.stdout, fmtc(tmp_path, "recovery", "list").stdout,
                     fmtc(tmp_path, "store", "list").stdout, fmtc(tmp_path, "store", "stats", "s", "--json").stdout)
    spec = json.loads(shown.stdout)["spec"]["source"]
    assert spec["url_template"].endswith("?key={api_key}&style=dark") and spec["headers"]["Authorization"] == "REDACTED"


def test_another_key_is_the_same_source_and_serve_asks_for_the_full_url(fault_server, tmp_path, monkeypatch):
    monkeypatch.delenv("FMTC_NB_API_KEY", raising=False)
    server = fault_server(lambda z, x, y, n: "ok")
    for key in ("first", "second"):  # a rotated key: the same source
        job = DownloadJob(parse_region("rect:-180,-85,180,85"), parse_zooms("0-1"),
                          TileSource(server.url_template + f"?key={key}"), "s", DownloadOptions())
        assert Download(job, tmp_path).run().status == "completed"
    with pytest.raises(StoreError, match="API key fmtc-nb keeps nowhere; set FMTC_NB_API_KEY"):
        serve_store("s", tmp_path, mode="cache-first")
    with serve_store("s", tmp_path, mode="cache-only") as proxy:
        assert proxy.url_template
    with serve_store("s", tmp_path, source=server.url_template + "?key=third", mode="online-first") as proxy:
        assert proxy.url_template
