"""The wheel a user installs: built from the project's files with the build backend pyproject.toml names (the
test environment's setuptools, no network: tests never touch the internet), it holds every module and data file of the packages, the licence, the third-party notices
and the ``fmtc-nb`` command; unpacked away from the checkout, it runs what README.md tells a user to run
(``--help``, the demo, count, export) and reads every data file the package and the notebooks need."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("fmtc_nb", "android_bridge")
TOP_FILES = ("pyproject.toml", "README.md", "LICENSE")


def project_files() -> list[str]:
    """The files a build reads: the top files and every file of the packages (no caches)."""
    files = list(TOP_FILES)
    for package in PACKAGES:
        files += [p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    return files


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the project files (so the checkout gets no build/ or egg-info)."""
    source = tmp_path_factory.mktemp("source")
    for name in project_files():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "-q", "--disable-pip-version-check", "-w", str(out), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    assert "deprecated" not in built.stderr.lower(), built.stderr[-3000:]  # e.g. the old licence table
    (found,) = out.glob("fmtc_nb-*.whl")
    return found


@pytest.fixture(scope="module")
def unpacked(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def test_the_wheel_holds_every_package_file_the_licence_and_the_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(f"{info}/METADATA").decode()
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        licence = archive.read(f"{info}/licenses/LICENSE").decode()
    missing = [f for f in project_files() if f.split("/")[0] in PACKAGES and f not in names]
    assert missing == [], missing
    assert "License-Expression: MIT" in metadata and "License-File: LICENSE" in metadata
    assert licence == (ROOT / "LICENSE").read_text(encoding="utf-8") and "MIT License" in licence
    assert "fmtc_nb/data/NOTICE.md" in names  # third-party credits: Natural Earth, glyphs, vendor data (CC-BY)
    assert {"fmtc_nb/packs/static/LICENSE-maplibre-gl.txt", "fmtc_nb/packs/static/LICENSE-pmtiles.txt"} <= names
    assert "fmtc-nb = fmtc_nb.cli:main" in entry_points


def run(unpacked: Path, cwd: Path, *code_or_args: str, module: bool = True) -> subprocess.CompletedProcess[str]:
    """Python with the unpacked wheel first on the path (dependencies from this environment), in ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(unpacked), "FMTC_NB_ROOT": str(cwd / "root"), "PYTHONSAFEPATH": "1"}
    argv = [sys.executable, "-m", "fmtc_nb", *code_or_args] if module else [sys.executable, "-c", *code_or_args]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_the_unpacked_wheel_runs_the_readme_commands_away_from_the_checkout(unpacked: Path, tmp_path: Path) -> None:
    where = run(unpacked, tmp_path, "import fmtc_nb, android_bridge; print(fmtc_nb.__file__, android_bridge.__file__)",
                module=False)
    assert where.returncode == 0, where.stderr
    assert all(Path(p).is_relative_to(unpacked) for p in where.stdout.split()), where.stdout
    helped = run(unpacked, tmp_path, "--help")
    assert helped.returncode == 0 and "download" in helped.stdout and "demo" in helped.stdout
    demo = run(unpacked, tmp_path, "demo", "--zoom", "0-9")
    assert demo.returncode == 0, demo.stderr
    assert "completed: 93 stored, 0 skipped, 0 failed of 93 tiles" in demo.stdout, demo.stdout
    assert (tmp_path / "root" / "stores" / "demo.mbtiles").is_file()
    exported = run(unpacked, tmp_path, "store", "export", "demo", "--format", "pmtiles", "demo.pmtiles")
    assert exported.returncode == 0 and (tmp_path / "demo.pmtiles").stat().st_size > 0, exported.stderr
    region = run(unpacked, tmp_path, "import json, fmtc_nb.regions as r; "
                 "print(json.dumps(r.example_region().to_geojson()))", module=False)
    assert region.returncode == 0, region.stderr
    (tmp_path / "region.geojson").write_text(region.stdout)
    counted = run(unpacked, tmp_path, "count", "region.geojson", "--zoom", "0-12", "--json")
    assert counted.returncode == 0, counted.stderr
    assert json.loads(counted.stdout)["total"] == 3500  # README: 3,500 tiles at z0-12


def test_the_unpacked_wheel_reads_the_data_the_notebooks_need(unpacked: Path, tmp_path: Path) -> None:
    code = ("from fmtc_nb.android.vendors import ATTRIBUTION, vendor_table\n"
            "from fmtc_nb.packs.page import STATIC_FILES, static_file\n"
            "from fmtc_nb.sources.catalogue import providers\n"
            "from fmtc_nb.tileserver.vector import FONTS, glyph_range\n"
            "assert len(vendor_table()) > 10 and 'dontkillmyapp' in ATTRIBUTION\n"
            "assert all(static_file(name) for name in STATIC_FILES)\n"
            "assert len(providers()) > 5 and all(glyph_range(font, 0) for font in FONTS)\n"
            "print('ok')\n")
    answered = run(unpacked, tmp_path, code, module=False)
    assert answered.returncode == 0 and answered.stdout.strip() == "ok", answered.stderr
