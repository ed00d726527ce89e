"""buildozer.spec and the staged build folder say what the bridge needs and stay true to the code."""

from __future__ import annotations

import json
import subprocess
import sys

from android_bridge.stage_apk import stage
from tests.android_build.p4a import REPO, SPEC, listed, pinned_version

#: Requirements python-for-android builds from its own recipes (compiled parts included).
RECIPES = {"python3", "sqlite3", "openssl", "pyjnius", "numpy", "cffi", "cryptography"}
#: Our own recipe (p4a.local_recipes): aiohttp, pure Python.
LOCAL_RECIPES = {"aiohttp"}
#: Packages with C speed-ups that fall back to pure Python when those are missing.
PURE_FALLBACK = {"aiohttp", "multidict", "yarl", "frozenlist", "propcache"}
#: Import name -> distribution name where they differ.
DIST_OF_MODULE = {"attr": "attrs", "jnius": "pyjnius"}


def names(requirements: list[str]) -> set[str]:
    """Requirement names without their ``==version`` pins."""
    return {item.split("==")[0] for item in requirements}


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


def test_service_is_sticky_data_sync_not_foreground_at_start_and_uses_our_java_class(spec):
    (service,) = listed(spec["services"])
    name, entry, *options = service.split(":")
    assert name == "Bridge" and entry == "service.py"
    assert "sticky" in options, "p4a's onTaskRemoved stops a non-sticky service when the app is swiped away"
    assert "foregroundServiceType=dataSync" in options, "Android 14+ needs the type in the manifest"
    assert "foreground" not in options, "an idle bridge must not hold a dataSync foreground (Android 15's 6 h)"
    java_class = spec["android.service_class_name"]
    assert java_class == "org.fmtcnb.bridge.DataSyncService"
    source = (REPO / "android_bridge" / "java" / (java_class.replace(".", "/") + ".java")).read_text()
    assert "public void onTimeout(int startId, int foregroundServiceType)" in source
    assert "public void onDestroy()" in source and "public int onStartCommand(" in source
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
    requirements = names(listed(spec["requirements"]))
    missing = {DIST_OF_MODULE.get(m, m) for m in modules} - requirements
    assert not missing, f"imported by the service but not in buildozer.spec requirements: {missing}"
    assert not requirements & {"pandas", "ipywidgets", "ipyleaflet", "jupyterlab", "matplotlib", "shapely"}


def test_every_requirement_is_a_recipe_or_pinned_pure_python(spec):
    from importlib import metadata

    for requirement in listed(spec["requirements"]):
        name, _, version = requirement.partition("==")
        if name in RECIPES:
            continue
        assert version, f"{name}: p4a installs it with pip --no-deps, so its version must be pinned (==)"
        if name in PURE_FALLBACK:
            continue
        files = metadata.distribution(name).files or []
        compiled = [f for f in files if str(f).endswith((".so", ".pyd"))]
        assert not compiled, f"{name} ships compiled code but has no python-for-android recipe"


def test_python_for_android_is_pinned_to_a_release_with_service_types(spec):
    assert pinned_version(spec) == "2026.5.9", "the first release reading foregroundServiceType in services"
    assert spec["p4a.commit"] == "58d21141f17c889bf8585f5665921d72028f8831", "tag v2026.05.09's commit"
    recipes = REPO / "android_bridge" / spec["p4a.local_recipes"]
    assert {p.parent.name for p in recipes.glob("*/__init__.py")} == LOCAL_RECIPES


def test_staged_folder_builds_the_app_layout(tmp_path):
    counts = stage(tmp_path / "apk")
    out = tmp_path / "apk"
    assert counts["java"] == 2 and counts["fmtc_nb"] > 10 and counts["android_bridge"] > 10
    assert counts["p4a_recipes"] == 1 and (out / "p4a_recipes" / "aiohttp" / "__init__.py").exists()
    assert not (out / "app" / "android_bridge" / "p4a_recipes").exists()
    assert (out / "buildozer.spec").read_text() == SPEC.read_text()
    assert (out / "java" / "org" / "fmtcnb" / "bridge" / "DataSyncService.java").exists()
    assert (out / "app" / "fmtc_nb" / "data" / "android_vendors.csv").exists()
    assert not list((out / "app").rglob("*.java")) and not list((out / "app").rglob("__pycache__"))
    # The staged app is importable on its own: main.py and service.py find their entry points.
    check = "import runpy, android_bridge.android_main as m, android_bridge.android_service as s; print(m.main, s.main)"
    subprocess.run([sys.executable, "-c", check], cwd=out / "app", check=True, capture_output=True)
    assert "android_main import main" in (out / "app" / "main.py").read_text()
    assert "android_service import main" in (out / "app" / "service.py").read_text()


def test_the_docs_table_is_the_rules_table():
    """docs/android.md shows every rule of android_bridge.lifecycle_rules with its API level and source."""
    from android_bridge.lifecycle_rules import RULES

    docs = (REPO / "docs" / "android.md").read_text()
    for item in RULES:
        row = next((line for line in docs.splitlines() if line.startswith(f"| `{item.id}` |")), None)
        assert row is not None, f"{item.id} is not in docs/android.md's table"
        assert f"| {item.min_api if item.min_api > 1 else 'all'} |" in row
        assert item.source in docs


def test_the_apk_workflow_builds_the_staged_folder_with_the_extensions_off():
    import yaml

    from android_bridge.android_service import PURE_PYTHON_SWITCHES

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "apk.yml").read_text())
    steps = workflow["jobs"]["debug-apk"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert "python -m android_bridge.stage_apk build/apk" in script
    assert "kivy/buildozer" in script and "android debug" in script
    assert all(f"-e {name}=1" in script for name in PURE_PYTHON_SWITCHES)
