#!/usr/bin/env python3
"""Build the files that offline style packs need from npm packages (nothing is fetched from anywhere else):

- ``fmtc_nb/packs/static/``: MapLibre GL JS (``maplibre-gl.js``, ``maplibre-gl.css``) and the PMTiles protocol
  (``pmtiles.js``) with their licences, copied into every exported pack and served by the pack viewer;
- ``fmtc_nb/data/demo_glyphs.zip``: SDF glyph ranges (``FONT/START-END.pbf``, all 256 ranges of 256 code
  points) of Noto Sans Regular and Bold, made with Mapbox's ``fontnik`` (its prebuilt native module) from the
  TrueType files of the ``notosans-fontface`` package; the demo tile server serves them as its ``glyphs``.

    python scripts/build_pack_assets.py [--sources DIR]

Needs ``node`` and ``npm``. Packages are pinned by version and SHA-256 of their tarball (:data:`PACKAGES`) and
fetched with ``npm pack`` into ``--sources`` (default ``build/pack-sources``) when missing.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "fmtc_nb" / "packs" / "static"
GLYPHS = ROOT / "fmtc_nb" / "data" / "demo_glyphs.zip"

#: npm package -> (version, SHA-256 of the tarball ``npm pack`` writes)
PACKAGES = {
    "maplibre-gl": ("5.24.1", "b84d7fdf7fba5922fd3fff9a92733936c7a03b99165afc6c84f41c311bdbfa9d"),
    "pmtiles": ("4.5.0", "23ae7c575578ad24cd579377d69c46550631da219e6f179997ec2cf3b8c937e5"),
    "fontnik": ("0.7.7", "d93ebf03e611b2dee5ffce3c09457a24c9e163dfd355482716d6b90cc9173d81"),
    "notosans-fontface": ("1.3.0", "8c4a4852d4f3bb455d5c9acf2be2a0113fd307fedba96a2cbf2ed3ef96771a0f"),
}
#: file in a package -> file under fmtc_nb/packs/static/
VENDORED = {
    ("maplibre-gl", "dist/maplibre-gl.js"): "maplibre-gl.js",
    ("maplibre-gl", "dist/maplibre-gl.css"): "maplibre-gl.css",
    ("maplibre-gl", "LICENSE.txt"): "LICENSE-maplibre-gl.txt",
    ("pmtiles", "dist/pmtiles.js"): "pmtiles.js",
    ("pmtiles", "package.json"): "pmtiles-package.json",
}
#: the pmtiles package ships no licence text; its package.json declares BSD-3-Clause (author Brandon Liu)
PMTILES_LICENSE = """pmtiles.js is dist/pmtiles.js of the npm package pmtiles {version}. The package declares the licence
BSD-3-Clause and the author Brandon Liu in its package.json (copied here as pmtiles-package.json) but ships
no licence text; the BSD-3-Clause licence reads:

Redistribution and use in source and binary forms, with or without modification, are permitted provided that
the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this list of conditions and the
   following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice, this list of conditions and the
   following disclaimer in the documentation and/or other materials provided with the distribution.
3. Neither the name of the copyright holder nor the names of its contributors may be used to endorse or
   promote products derived from this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS" AND ANY EXPRESS OR IMPLIED
WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A
PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE FOR ANY
DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO,
PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE
OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH
DAMAGE.
"""
#: licences of what the glyphs are made from and with, copied beside demo_glyphs.zip
GLYPH_LICENSES = {("notosans-fontface", "LICENSE.txt"): "LICENSE-notosans-fontface.txt",
                  ("fontnik", "LICENSE.txt"): "LICENSE-fontnik.txt"}
#: font stack name -> TrueType file in notosans-fontface
FONTS = {"Noto Sans Regular": "fonts/NotoSans-Regular.ttf", "Noto Sans Bold": "fonts/NotoSans-Bold.ttf"}

GLYPH_SCRIPT = """
const fontnik = require(process.argv[2]);
const fs = require('fs');
const font = fs.readFileSync(process.argv[3]);
const out = process.argv[4];
let left = 256;
for (let start = 0; start < 65536; start += 256) {
  fontnik.range({font, start, end: start + 255}, (err, data) => {
    if (err) { console.error(String(err)); process.exit(1); }
    fs.writeFileSync(`${out}/${start}-${start + 255}.pbf`, data);
    if (--left === 0) process.exit(0);
  });
}
"""


def fetch(name: str, sources: Path) -> Path:
    """The tarball of package ``name`` at its pinned version (``npm pack`` when missing; SHA-256 checked)."""
    version, sha256 = PACKAGES[name]
    sources.mkdir(parents=True, exist_ok=True)
    tarball = sources / f"{name.replace('/', '-').lstrip('@')}-{version}.tgz"
    if not tarball.exists():
        subprocess.run(["npm", "pack", f"{name}@{version}", "--pack-destination", str(sources)], check=True,
                       stdout=subprocess.DEVNULL)
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if sha256 and digest != sha256:
        sys.exit(f"build_pack_assets: {tarball.name} has SHA-256 {digest}, expected {sha256}")
    return tarball


def unpack(tarball: Path, into: Path) -> Path:
    """Extract an npm tarball (its files sit under ``package/``) and return that folder."""
    with tarfile.open(tarball) as archive:
        archive.extractall(into, filter="data")
    return into / "package"


def vendor(packages: dict[str, Path]) -> None:
    STATIC.mkdir(parents=True, exist_ok=True)
    for (name, inner), target in VENDORED.items():
        shutil.copyfile(packages[name] / inner, STATIC / target)
        print(f"{STATIC / target}: {(STATIC / target).stat().st_size:,} bytes")
    (STATIC / "LICENSE-pmtiles.txt").write_text(PMTILES_LICENSE.format(version=PACKAGES["pmtiles"][0]))
    for (name, inner), target in GLYPH_LICENSES.items():
        shutil.copyfile(packages[name] / inner, GLYPHS.parent / target)


def build_glyphs(packages: dict[str, Path], work: Path) -> None:
    fontnik = packages["fontnik"]
    script = work / "glyphs.js"
    script.write_text(GLYPH_SCRIPT)
    with zipfile.ZipFile(GLYPHS.with_suffix(".tmp"), "w", zipfile.ZIP_DEFLATED) as archive:
        for stack, ttf in FONTS.items():
            out = work / stack
            out.mkdir()
            subprocess.run(["node", str(script), str(fontnik / "index.js"), str(packages["notosans-fontface"] / ttf),
                            str(out)], check=True)
            for start in range(0, 65536, 256):
                name = f"{start}-{start + 255}.pbf"
                info = zipfile.ZipInfo(f"{stack}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, (out / name).read_bytes())
    GLYPHS.with_suffix(".tmp").replace(GLYPHS)
    print(f"{GLYPHS}: {GLYPHS.stat().st_size:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=Path, default=ROOT / "build" / "pack-sources")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        packages = {name: unpack(fetch(name, args.sources), work / name.replace("/", "-")) for name in PACKAGES}
        vendor(packages)
        build_glyphs(packages, work)


if __name__ == "__main__":
    main()
