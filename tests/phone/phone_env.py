"""The phone's Python packages on this machine: a virtualenv (``.venv-phone``, cached) holding exactly what the
APK carries, by buildozer.spec's pins, with the C extensions of aiohttp, multidict, yarl, frozenlist and
propcache left out (built from their sdists with the ``*_NO_EXTENSIONS`` switches), plus the environment a
phone has: ``python -OO`` (p4a byte-compiles with it) and no system CA store.

Differences that remain: this interpreter is CPython 3.11 (the APK carries p4a's CPython 3.14), numpy is a
manylinux wheel at the version of p4a's numpy recipe, and OpenSSL is the system's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from android_bridge.android_service import PURE_PYTHON_SWITCHES
from tests.android_build.p4a import REPO, fetch_p4a, listed, locked, p4a_tree, pinned_version, read_spec

VENV = REPO / ".venv-phone"
#: Packages with C speed-ups: installed from their sdists with the switches set, so no extension exists.
PURE = ("aiohttp", "multidict", "yarl", "frozenlist", "propcache")
#: p4a recipes whose Python package the bridge imports (the others are the interpreter, stdlib or pyjnius).
RECIPE_PACKAGES = ("numpy", "cffi", "cryptography")


def phone_requirements() -> dict[str, str]:
    """``{distribution: version}`` the APK carries: the spec's ``name==version`` pins and, for recipe-built
    packages the bridge imports, the version of p4a's recipe."""
    spec = read_spec()
    pins = dict(item.split("==", 1) for item in listed(spec["requirements"]) if "==" in item)
    recipes = p4a_tree(fetch_p4a(pinned_version(spec))) / "recipes"
    for name in RECIPE_PACKAGES:
        source = (recipes / name / "__init__.py").read_text()
        version = next(line.split("=", 1)[1].strip().strip("'\"") for line in source.splitlines()
                       if line.strip().startswith("version ="))
        pins[name] = version.lstrip("v")
    return pins


def switches() -> dict[str, str]:
    """The environment variables that keep the C extensions out (at build time here, at run time on a phone)."""
    return dict.fromkeys(PURE_PYTHON_SWITCHES, "1")


def phone_python() -> Path:
    """The interpreter of ``.venv-phone``, (re)built when the pins changed."""
    pins = phone_requirements()
    marker = VENV / "fmtc-phone-pins.json"
    python = VENV / "bin" / "python"
    with locked(REPO / ".venv-phone.lock"):
        if python.exists() and marker.exists() and json.loads(marker.read_text()) == pins:
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, timeout=300)
        env = dict(os.environ, **switches())
        proc = subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                               "--no-binary", ",".join(PURE), *(f"{n}=={v}" for n, v in pins.items())],
                              env=env, capture_output=True, text=True, timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"could not build {VENV}:\n{proc.stderr[-3000:]}")
        marker.write_text(json.dumps(pins))
    return python


def phone_environ(nowhere: Path, pythonpath: str = str(REPO)) -> dict[str, str]:
    """A phone's environment for a process: no system CA store (``SSL_CERT_FILE``/``SSL_CERT_DIR`` point
    at ``nowhere``), the C extensions switched off, fmtc-nb on the path."""
    return {"SSL_CERT_FILE": str(nowhere / "no-such-file.pem"), "SSL_CERT_DIR": str(nowhere / "no-such-dir"),
            "PYTHONPATH": pythonpath, **switches()}
