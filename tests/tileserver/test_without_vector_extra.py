"""A base install (no demo-vector extra) of the demo tile server: its vector style and tiles answer 501 with the
extra to install (not a 500 with a traceback in the server's log for every tile), serve-tiles says so when it
starts, and ``fmtc-nb download --style`` ends with that one sentence and exit 2 instead of a pack of failed tiles."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_vector_style_without_its_encoder_names_the_extra(tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "mapbox_vector_tile.py").write_text('raise ImportError("hidden: the demo-vector extra is absent")\n')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shim), str(REPO)])}
    server = subprocess.Popen([sys.executable, "-m", "fmtc_nb", "serve-tiles", "--port", "0"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert server.stdout is not None and server.stderr is not None
        lines = [server.stdout.readline() for _ in range(3)]
        base = lines[0].split(" at ")[1].strip().split("/{z}")[0]
        assert lines[2].startswith("Vector style: not served (") and "fmtc-nb[demo-vector]" in lines[2], lines
        for path in ("/vector/0/0/0.pbf", "/styles/demo.json"):
            try:
                urllib.request.urlopen(base + path, timeout=30)
                raise AssertionError(f"{path} answered 200 without its encoder")
            except urllib.error.HTTPError as exc:
                assert exc.code == 501 and "fmtc-nb[demo-vector]" in exc.read().decode()
        done = subprocess.run([sys.executable, "-m", "fmtc_nb", "--root", str(tmp_path / "root"), "download",
                               "rect:6,46,6.2,46.2", "--zoom", "0-3", "--style", base + "/styles/demo.json",
                               "--store", "geneva"], capture_output=True, text=True, timeout=120, cwd=REPO)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("fmtc-nb: error: "), done.stderr
        assert "HTTP 501" in done.stderr and "pip install 'fmtc-nb[demo-vector]'" in done.stderr
        assert not (tmp_path / "root" / "packs" / "geneva").exists()
        assert not list((tmp_path / "root").glob("stores/geneva*"))
    finally:
        server.kill()
        server.wait()
    assert "Traceback" not in server.stderr.read()
    server.stderr.close()
    server.stdout.close()
