"""GDAL (Debian's gdal-bin) opens a live store while it is being written, and an exported MBTiles."""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest

from fmtc_nb.store.export import export_store

from .conftest import records

pytestmark = pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="gdal-bin is not installed")


def _gdalinfo(path) -> str:
    done = subprocess.run(["gdalinfo", str(path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gdal_opens_a_live_store_during_writes_and_an_export(store, tmp_path):
    store.put_tiles(records(0, range(1), range(1)) + records(1, range(2), range(2)) + records(2, range(4), range(4)))
    stop = threading.Event()

    def keep_writing() -> None:  # another thread writes more zoom-2 tiles while GDAL reads
        while not stop.is_set():
            store.put_tiles(records(2, range(4), range(4)))

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        info = _gdalinfo(store.path)
        png = tmp_path / "live.png"
        done = subprocess.run(["gdal_translate", "-q", "-of", "PNG", str(store.path), str(png)], capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        stop.set()
        writer.join()
    assert "Driver: MBTiles/MBTiles" in info and "Size is 32, 32" in info
    assert png.stat().st_size > 0
    out = tmp_path / "export.mbtiles"
    export_store(store, "mbtiles", out)
    exported = _gdalinfo(out)
    assert "Driver: MBTiles/MBTiles" in exported and "Size is 32, 32" in exported
