"""The pyjnius layer on a real desktop JVM: stub ``android.*`` classes compiled with javac.

Each scenario runs in its own Python subprocess (pyjnius allows one JVM per process, and the stub device is
chosen with JVM system properties such as ``-Dstub.sdk=33``); the subprocess prints the journal of Android
calls the stubs recorded, as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
REPO = HERE.parent.parent
JAVA_SOURCES = [HERE / "stubs", REPO / "android_bridge" / "java"]


def java_home() -> str | None:
    """The JDK behind ``javac`` (pyjnius needs JAVA_HOME to find libjvm)."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    javac = shutil.which("javac")
    return str(Path(javac).resolve().parent.parent) if javac else None


@pytest.fixture(scope="session")
def stub_classpath(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Stub Android classes plus the app's own Java sources, compiled into a temporary directory."""
    if shutil.which("javac") is None:
        pytest.skip("javac is not installed")
    out = tmp_path_factory.mktemp("android-classes")
    sources = sorted(str(p) for root in JAVA_SOURCES for p in root.rglob("*.java"))
    subprocess.run(["javac", "-Xlint:none", "-d", str(out), *sources], check=True, timeout=120)
    return out


@pytest.fixture
def run_scenario(stub_classpath: Path):
    """``run_scenario(name, extra_env, **device)`` -> the scenario's JSON answer (``calls``: the recorded
    Android calls); ``device`` becomes ``-Dstub.KEY=VALUE`` options, ``extra_env`` the scenario's settings."""

    def run(name: str, extra_env: dict[str, str] | None = None, **device: object) -> dict:
        env = dict(os.environ, **(extra_env or {}))
        home = java_home()
        if home:
            env["JAVA_HOME"] = home
        env["FMTC_STUB_CLASSPATH"] = str(stub_classpath)
        env["FMTC_STUB_OPTIONS"] = " ".join(f"-Dstub.{key}={value}" for key, value in device.items())
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        proc = subprocess.run(
            [sys.executable, str(HERE / "scenarios.py"), name],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0, f"scenario {name} failed:\n{proc.stdout}\n{proc.stderr}"
        return json.loads(proc.stdout.strip().splitlines()[-1])

    return run
