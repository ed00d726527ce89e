"""GDAL (Debian's gdal-bin) reads each store of a pack: the vector store's layers (MBTiles 1.3 ``json`` /
``vector_layers``) with ``ogrinfo`` (GDAL's vector reader; ``gdalinfo`` reads rasters), the raster store with
``gdalinfo``."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from fmtc_nb.packs import download_pack

from .conftest import REGION

pytestmark = pytest.mark.skipif(shutil.which("ogrinfo") is None, reason="gdal-bin is not installed")


def _run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_gdal_lists_the_vector_layers_and_opens_the_raster_store(demo, root):
    download_pack(REGION, "0-6", demo.style_url, "gdal", root)
    listing = _run("ogrinfo", "-ro", "-q", str(root.store_path("gdal.naturalearth")))
    layers = [m.group(1) for m in re.finditer(r"^\d+: (\w+)", listing, re.M)]
    assert layers == ["ocean", "land", "lakes", "rivers", "boundaries", "places"]
    places = _run("ogrinfo", "-ro", "-so", str(root.store_path("gdal.naturalearth")), "places")
    assert "name: String" in places and "Feature Count:" in places
    raster = _run("gdalinfo", str(root.store_path("gdal.basemap")))
    assert "Driver: MBTiles/MBTiles" in raster
