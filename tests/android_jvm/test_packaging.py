"""buildozer.spec and the staged build folder say what the issue asks and stay true to the code."""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
from pathlib import Path

import pytest

from android_bridge.stage_apk import stage

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "android_bridge" / "buildozer.spec"
#: Requirements python-for-android builds from its own recipes (compiled parts included).
RECIPES = {"python3", "sqlite3", "openssl", "pyjnius", "numpy", "aiohttp"}
#: Packages with C speed-ups that fall back to pure Python when those are missing.
PURE_FALLBACK = {"multidict", "yarl", "frozenlist", "propcache"}
#: Import name -> distribution name where they differ.
DIST_OF_MODULE = {"attr": "attrs", "jnius": "pyjnius"}


@pytest.fixture(scope="module")
def spec() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(SPEC)
    return parser["app"]


def listed(value: str) -> list[str]:
    return [item.strip() for item in value.replace("\n", ",").split(",") if item.strip()]


def test_android_api_35_and_the_permissions(spec):
    assert spec["android.api"] == "35"
    assert set(listed(spec["android.permissions"])) == {
        "INTERNET",
        "FOREGROUND_SERVICE",
        "FOREGROUND_SERVICE_DATA_SYNC",
        "POST_NOTIFICATIONS",
        "WAKE_LOCK",
        "REQUEST_IGNORE_BATTERY_OPTIMIZATIONS",
    }


def test_service_is_foreground_data_sync_and_uses_our_java_class(spec):
    (service,) = listed(spec["services"])
    name, entry, *options = service.split(":")
    assert name == "Bridge" and entry == "service.py"
    assert "foreground" in options and "foregroundServiceType=dataSync" in options
    java_class = spec["android.service_class_name"]
    assert java_class == "org.fmtcnb.bridge.DataSyncService"
    source = REPO / "android_bridge" / "java" / (java_class.replace(".", "/") + ".java")
    assert "public void onTimeout(int startId, int foregroundServiceType)" in source.read_text()
    # python-for-android names the generated class <package.domain>.<package.name>.Service<Name>.
    from android_bridge.android_main import SERVICE_CLASS

    assert f"{spec['package.domain']}.{spec['package.name']}.Service{name}" == SERVICE_CLASS


def test_requirements_cover_every_module_the_service_imports(spec):
    """Import the service's code in a fresh interpreter and check each third-party module is packaged."""
    probe = (
        "import sys, json\n"
        "import android_bridge.android_service, android_bridge.android_main, android_bridge.bridge, "
        "android_bridge.api\n"
        "import fmtc_nb.engine, fmtc_nb.store, fmtc_nb.recovery, fmtc_nb.cover, fmtc_nb.paths\n"
        "names = {m.split('.')[0] for m in sys.modules}\n"
        "print(json.dumps(sorted(n for n in names if n not in sys.stdlib_module_names and not n.startswith('_'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    modules = set(json.loads(out.stdout)) - {"fmtc_nb", "android_bridge", "cython_runtime"}
    requirements = set(listed(spec["requirements"]))
    missing = {DIST_OF_MODULE.get(m, m) for m in modules} - requirements
    assert not missing, f"imported by the service but not in buildozer.spec requirements: {missing}"
    assert not requirements & {"pandas", "ipywidgets", "ipyleaflet", "jupyterlab", "matplotlib", "shapely"}


def test_every_requirement_is_a_recipe_or_pure_python(spec):
    from importlib import metadata

    for requirement in set(listed(spec["requirements"])) - RECIPES - PURE_FALLBACK:
        files = metadata.distribution(requirement).files or []
        compiled = [f for f in files if str(f).endswith((".so", ".pyd"))]
        assert not compiled, f"{requirement} ships compiled code but has no python-for-android recipe"


def test_staged_folder_builds_the_app_layout(tmp_path):
    counts = stage(tmp_path / "apk")
    out = tmp_path / "apk"
    assert counts["java"] == 2 and counts["fmtc_nb"] > 10 and counts["android_bridge"] > 10
    assert (out / "buildozer.spec").read_text() == SPEC.read_text()
    assert (out / "java" / "org" / "fmtcnb" / "bridge" / "DataSyncService.java").exists()
    assert (out / "app" / "fmtc_nb" / "data" / "android_vendors.csv").exists()
    assert not list((out / "app").rglob("*.java")) and not list((out / "app").rglob("__pycache__"))
    # The staged app is importable on its own: main.py and service.py find their entry points.
    check = "import runpy, android_bridge.android_main as m, android_bridge.android_service as s; print(m.main, s.main)"
    subprocess.run([sys.executable, "-c", check], cwd=out / "app", check=True, capture_output=True)
    assert "android_main import main" in (out / "app" / "main.py").read_text()
    assert "android_service import main" in (out / "app" / "service.py").read_text()
