"""python-for-android itself, from the package registry, at the version buildozer.spec pins: fetched once into
a cache, then used to render the bridge's service class and manifest with p4a's own ``build.py``.

Nothing here needs the Android SDK or NDK: ``build.py`` runs in a dist folder laid out as p4a lays it out
(its ``common`` then ``webview`` bootstrap trees), with an empty stand-in SDK folder, and stops short of
Gradle. The arguments are the ones Buildozer derives from our spec for the keys we use (our mapping; Buildozer
itself is not run).
"""

from __future__ import annotations

import configparser
import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "android_bridge" / "buildozer.spec"
#: p4a's own dependencies that its build script imports (pure Python; installed beside it).
P4A_SUPPORT = ("sh>=2,<3", "colorama", "appdirs", "toml", "packaging", "jinja2", "markupsafe")
BOOTSTRAP = "webview"


def cache_dir() -> Path:
    """Where downloaded build tools are kept between runs (``$FMTC_NB_TEST_CACHE`` or ~/.cache)."""
    path = Path(os.environ.get("FMTC_NB_TEST_CACHE") or Path.home() / ".cache" / "fmtc-nb-tests")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (parallel test workers build a cached folder once)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_spec(path: Path = SPEC) -> configparser.SectionProxy:
    """The ``[app]`` section of buildozer.spec."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(path)
    return parser["app"]


def listed(value: str) -> list[str]:
    """A Buildozer list value as items."""
    return [item.strip() for item in value.replace("\n", ",").split(",") if item.strip()]


def pinned_version(spec: configparser.SectionProxy) -> str:
    """The p4a release the spec pins, as PyPI spells it: ``p4a.branch = v2026.05.09`` -> ``2026.5.9``."""
    found = re.fullmatch(r"v(\d{4})\.(\d{2})\.(\d{2})", spec["p4a.branch"].strip())
    if not found:
        raise ValueError(f"p4a.branch {spec['p4a.branch']!r} is not a release tag such as v2026.05.09")
    return ".".join(str(int(part)) for part in found.groups())


def fetch_p4a(version: str) -> Path:
    """A folder holding ``pythonforandroid`` (from PyPI's wheel) and the few packages its build script uses."""
    target = cache_dir() / f"p4a-{version}"
    with locked(cache_dir() / f"p4a-{version}.lock"):
        if not (target / "pythonforandroid" / "recipes").is_dir():
            shutil.rmtree(target, ignore_errors=True)
            proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                                   "--no-deps", "--target", str(target), f"python-for-android=={version}",
                                   *P4A_SUPPORT], capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                raise RuntimeError(f"pip could not fetch python-for-android {version}:\n{proc.stderr[-2000:]}")
    return target


def p4a_tree(p4a: Path) -> Path:
    """The ``pythonforandroid`` package folder."""
    return p4a / "pythonforandroid"


def build_args(spec: configparser.SectionProxy, app_dir: Path, java_dir: Path) -> list[str]:
    """``build.py`` arguments for our spec (what Buildozer passes for these keys)."""
    package = f"{spec['package.domain']}.{spec['package.name']}"
    args = ["--name", spec["title"], "--version", spec["version"], "--package", package,
            "--private", str(app_dir), "--minsdk", spec["android.minapi"], "--orientation", spec["orientation"],
            "--service-class-name", spec["android.service_class_name"], "--add-source", str(java_dir),
            "--port", spec["p4a.port"]]
    for permission in listed(spec["android.permissions"]):
        args += ["--permission", permission if "." in permission else f"android.permission.{permission}"]
    for service in listed(spec["services"]):
        args += ["--service", service]
    if spec.get("android.allow_backup", "True").strip() == "False":
        args += ["--allow-backup", "false"]
    return args


def render_dist(p4a: Path, spec: configparser.SectionProxy, out: Path, services: list[str] | None = None,
                byte_compile: bool = True) -> Path:
    """Lay out a p4a dist for the webview bootstrap in ``out`` and run p4a's ``build.py`` there (no SDK, no
    Gradle): it byte-compiles the staged app with ``-OO`` (this interpreter stands in for p4a's hostpython),
    packs it into ``src/main/assets/private.tar`` and renders the templates. ``services`` replaces the spec's
    ``services`` (for the non-sticky control); ``byte_compile=False`` skips the compile. Returns ``out``; the rendered files are
    ``src/main/AndroidManifest.xml`` and ``src/main/java/<package>/Service<Name>.java``."""
    from android_bridge.stage_apk import stage

    bootstraps = p4a_tree(p4a) / "bootstraps"
    for name in ("common", BOOTSTRAP):  # what p4a's Bootstrap.prepare_build_dir copies, in this order
        shutil.copytree(bootstraps / name / "build", out, dirs_exist_ok=True)
    sdk = out / "stand-in-sdk"
    (sdk / "build-tools" / f"{spec['android.api']}.0.0").mkdir(parents=True)
    (out / "project.properties").write_text(f"target=android-{spec['android.api']}")
    (out / "local.properties").write_text(f"sdk.dir={sdk}")
    (out / "dist_info.json").write_text(json.dumps({
        "dist_name": "fmtc_nb_bridge", "bootstrap": BOOTSTRAP, "archs": [], "ndk_api": int(spec["android.minapi"]),
        "use_setup_py": False, "recipes": [], "hostpython": sys.executable, "python_version": "3.14"}))
    stage(out / "staged")
    app = out / "staged" / "app"
    if services is not None:
        spec = _with(spec, services=",".join(services))
    args = build_args(spec, app, REPO / "android_bridge" / "java")
    if not byte_compile:
        args.append("--no-byte-compile-python")
    env = dict(os.environ, PYTHONPATH=str(p4a))
    proc = subprocess.run([sys.executable, "build.py", *args], cwd=out, env=env, capture_output=True, text=True,
                          timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"p4a build.py failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return out


def _with(spec: configparser.SectionProxy, **changes: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_dict({"app": {**dict(spec), **{k.replace("_", "."): v for k, v in changes.items()}}})
    return parser["app"]


def service_java(dist: Path, spec: configparser.SectionProxy) -> Path:
    """The generated service class of the spec's (one) service."""
    (service,) = listed(spec["services"])
    name = service.split(":")[0]
    package = f"{spec['package.domain']}.{spec['package.name']}".replace(".", "/")
    return dist / "src" / "main" / "java" / package / f"Service{name.capitalize()}.java"


def python_service_java(p4a: Path) -> Path:
    """p4a's ``PythonService.java`` (common bootstrap)."""
    return (p4a_tree(p4a) / "bootstraps" / "common" / "build" / "src" / "main" / "java" / "org" / "kivy" / "android"
            / "PythonService.java")


def webview_activity_java(p4a: Path) -> Path:
    """p4a's ``PythonActivity.java`` of the webview bootstrap."""
    return (p4a_tree(p4a) / "bootstraps" / BOOTSTRAP / "build" / "src" / "main" / "java" / "org" / "kivy"
            / "android" / "PythonActivity.java")


def compile_java(out: Path, sources: list[Path]) -> Path:
    """``javac`` ``sources`` into ``out`` (Java 8 target semantics are not needed: the desktop JDK's default)."""
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["javac", "-Xlint:none", "-nowarn", "-encoding", "utf-8", "-d", str(out),
                           *map(str, sources)], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"javac failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return out


def app_java_sources(p4a: Path, dist: Path, spec: configparser.SectionProxy) -> list[Path]:
    """What the APK's Java is made of, as far as the bridge's service goes: the service class p4a generated,
    p4a's ``PythonService`` and our ``android_bridge/java``."""
    ours = sorted((REPO / "android_bridge" / "java").rglob("*.java"))
    return [service_java(dist, spec), python_service_java(p4a), *ours]
