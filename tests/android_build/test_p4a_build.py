"""The APK's build as far as a machine without the Android SDK/NDK goes: python-for-android from the package
registry, at the version buildozer.spec pins, renders the service class and manifest for our spec with its
own ``build.py``, byte-compiles the app as it does (``-OO``), and ``javac`` compiles the generated service
class with p4a's ``PythonService.java`` and our Java (against stub ``android.*`` classes checked against API
35 in test_api35.py). Not run here: Gradle, the NDK recipes, an emulator or a phone."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET

import pytest

from tests.android_build import p4a
from tests.android_jvm.conftest import STUBS

ANDROID = "{http://schemas.android.com/apk/res/android}"




@pytest.fixture(scope="module")
def dist(tool, spec, tmp_path_factory):
    return p4a.render_dist(tool, spec, tmp_path_factory.mktemp("p4a") / "dist")


def test_generated_service_is_sticky_extends_ours_and_does_not_enter_the_foreground_itself(dist, spec):
    source = p4a.service_java(dist, spec).read_text()
    assert "public class ServiceBridge extends DataSyncService" in source
    assert "import org.fmtcnb.bridge.DataSyncService;" in source
    assert "return START_STICKY;" in source, "swiping the app away must not stop the download"
    assert 'intent.putExtra("serviceStartAsForeground", "false");' in source, (
        "p4a's own start would hold a dataSync foreground (and its notification) while the bridge idles")
    assert 'intent.putExtra("serviceEntrypoint", "service.py");' in source


def test_manifest_declares_the_data_sync_service_and_its_permissions(dist, spec):
    root = ET.parse(dist / "src" / "main" / "AndroidManifest.xml").getroot()
    sdk = root.find("uses-sdk")
    assert sdk.get(f"{ANDROID}targetSdkVersion") == spec["android.api"] == "35"
    assert sdk.get(f"{ANDROID}minSdkVersion") == spec["android.minapi"]
    (service,) = root.find("application").findall("service")
    assert service.get(f"{ANDROID}name") == "org.fmtcnb.bridge.ServiceBridge"
    assert service.get(f"{ANDROID}foregroundServiceType") == "dataSync"
    assert service.get(f"{ANDROID}process") == ":service_Bridge"
    permissions = {p.get(f"{ANDROID}name") for p in root.findall("uses-permission")}
    assert {"android.permission.FOREGROUND_SERVICE", "android.permission.FOREGROUND_SERVICE_DATA_SYNC",
            "android.permission.POST_NOTIFICATIONS", "android.permission.WAKE_LOCK",
            "android.permission.REQUEST_IGNORE_BATTERY_OPTIMIZATIONS", "android.permission.INTERNET"} <= permissions


def test_generated_service_compiles_with_p4a_python_service_and_our_java(tool, dist, spec, tmp_path):
    sources = [*p4a.app_java_sources(tool, dist, spec), *sorted(STUBS.rglob("*.java"))]
    classes = p4a.compile_java(tmp_path / "classes", sources)
    shown = subprocess.run(["javap", "-cp", str(classes), "org.fmtcnb.bridge.ServiceBridge",
                            "org.fmtcnb.bridge.DataSyncService"], capture_output=True, text=True, check=True)
    assert "class org.fmtcnb.bridge.ServiceBridge extends org.fmtcnb.bridge.DataSyncService" in shown.stdout
    assert "class org.fmtcnb.bridge.DataSyncService extends org.kivy.android.PythonService" in shown.stdout


def test_p4a_byte_compiles_the_app_with_OO(dist):
    with tarfile.open(dist / "src" / "main" / "assets" / "private.tar") as tar:
        names = set(tar.getnames())
        compiled = tar.extractfile("android_bridge/android_service.pyc").read()
    assert {"main.pyc", "service.pyc", "fmtc_nb/engine/downloader.pyc", "android_bridge/api.pyc"} <= names
    assert not {n for n in names if n.endswith(".py")}, "p4a ships .pyc only"
    assert b"entry point of the bridge's service" not in compiled, "-OO dropped the docstrings"
    assert b"PURE_PYTHON_SWITCHES" in compiled


def test_an_older_p4a_drops_the_service_type_silently(spec, tmp_path):
    """The reason for the pin: p4a 2024.1.21 accepts ``foregroundServiceType=`` and ignores it, so the manifest
    lacks the type Android 14+ requires."""
    old = p4a.fetch_p4a("2024.1.21")
    dist = p4a.render_dist(old, spec, tmp_path / "dist", byte_compile=False)
    root = ET.parse(dist / "src" / "main" / "AndroidManifest.xml").getroot()
    (service,) = root.find("application").findall("service")
    assert service.get(f"{ANDROID}foregroundServiceType") is None


def test_our_aiohttp_recipe_replaces_p4a_s_and_builds_pure_python(tool, spec):
    """p4a's own Recipe.get_recipe, with our p4a.local_recipes, finds our recipe; the spec's pin sets its
    version (p4a turns ``aiohttp==X`` into VERSION_aiohttp)."""
    pin = next(r.split("==")[1] for r in p4a.listed(spec["requirements"]) if r.startswith("aiohttp=="))
    probe = (
        "import json, os, types\n"
        "from pythonforandroid.recipe import Recipe, PythonRecipe, CompiledComponentsPythonRecipe\n"
        "import pythonforandroid\n"
        f"os.environ['VERSION_aiohttp'] = {pin!r}\n"
        f"ctx = types.SimpleNamespace(local_recipes={str(p4a.REPO / 'android_bridge' / spec['p4a.local_recipes'])!r},"
        " storage_dir=None, root_dir=os.path.dirname(pythonforandroid.__file__))\n"
        "r = Recipe.get_recipe('aiohttp', ctx)\n"
        "print(json.dumps({'cls': type(r).__name__, 'version': r.version, 'url': r.versioned_url,"
        " 'pure': isinstance(r, PythonRecipe) and not isinstance(r, CompiledComponentsPythonRecipe),"
        " 'args': r.setup_extra_args}))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], env={"PYTHONPATH": str(tool), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["cls"] == "PurePythonAiohttpRecipe" and found["pure"] and found["args"] == ["--no-deps"]
    assert found["version"] == pin
    assert found["url"] == f"https://files.pythonhosted.org/packages/source/a/aiohttp/aiohttp-{pin}.tar.gz"
    p4a_recipe = (p4a.p4a_tree(tool) / "recipes" / "aiohttp" / "__init__.py").read_text()
    assert 'version = "3.8.3"' in p4a_recipe, "p4a's own recipe (what the spec replaces) builds 3.8.3 with C"
