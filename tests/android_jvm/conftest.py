"""The pyjnius layer and the bridge's service on a real desktop JVM, under a simulated Android.

The classpath holds python-for-android's own ``PythonService`` and the service class its ``build.py``
generates for our buildozer.spec (p4a from the package registry, at the pinned version), our
``android_bridge/java``, and stub ``android.*`` classes whose members all exist in API 35 (checked in
``tests/android_build``); ``fmtcstub.AndroidSystem`` applies ``android_bridge.lifecycle_rules``. Each scenario
runs in its own Python subprocess (pyjnius allows one JVM per process, and the stub device is chosen with JVM
system properties such as ``-Dstub.sdk=33``); the Android calls it makes are journalled to a file, which
survives a simulated process death (exit code 9).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from android_bridge.lifecycle_rules import RULES, TIMEOUT_GRACE_S, rule
from tests.android_build import p4a
from tests.phone.conftest import tile_server  # noqa: F401 - the lifecycle scenarios' tile server

HERE = Path(__file__).parent
REPO = HERE.parent.parent
STUBS = HERE / "stubs"
#: How much faster than on a phone the simulated Android's clocks run, per rule.
IDLE_SCALE, DATA_SYNC_SCALE = 40, 7200
PROCESS_DEATH = 9  # fmtcstub.AndroidSystem.PROCESS_DEATH


def java_home() -> str | None:
    """The JDK behind ``javac`` (pyjnius needs JAVA_HOME to find libjvm)."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    javac = shutil.which("javac")
    return str(Path(javac).resolve().parent.parent) if javac else None


def rule_options() -> dict[str, object]:
    """JVM properties of the simulated Android: every rule's first API level, and its durations scaled."""
    options: dict[str, object] = {f"rule.{item.id}": item.min_api for item in RULES}
    options["idleStopMs"] = int(rule("idle_background_service_stopped").limit_s * 1000 / IDLE_SCALE)
    options["dataSyncBudgetMs"] = int(rule("data_sync_timeout").limit_s * 1000 / DATA_SYNC_SCALE)
    options["timeoutGraceMs"] = int(TIMEOUT_GRACE_S * 1000)
    return options


def compiled(tmp: Path, services: list[str] | None = None) -> Path:
    """p4a's dist rendered for our spec (``services`` overriding it), its Java compiled with our stubs."""
    if shutil.which("javac") is None:
        pytest.skip("javac is not installed")
    spec = p4a.read_spec()
    tool = p4a.fetch_p4a(p4a.pinned_version(spec))
    dist = p4a.render_dist(tool, spec, tmp / "dist", services=services, byte_compile=False)
    rendered_spec = spec if services is None else p4a._with(spec, services=",".join(services))
    sources = [*p4a.app_java_sources(tool, dist, rendered_spec), *sorted(STUBS.rglob("*.java"))]
    return p4a.compile_java(tmp / "classes", sources)


@pytest.fixture(scope="session")
def stub_classpath(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The app's service (sticky, as buildozer.spec says) on stub Android, compiled."""
    return compiled(tmp_path_factory.mktemp("android-sticky"))


@pytest.fixture(scope="session")
def non_sticky_classpath(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The control: the same service declared without ``sticky`` (what the spec said before)."""
    return compiled(tmp_path_factory.mktemp("android-non-sticky"), ["Bridge:service.py:foregroundServiceType=dataSync"])


#: Seconds a scenario whose process Android is expected to end waits for that after its answer: the simulated
#: system ends it on its own main thread (stopSelf, then onDestroy, then p4a's killProcess), which a loaded
#: machine may run after the notebook has already seen the job's final row.
DEATH_WAIT_S = 60


def scenario_runner(classpath: Path, tmp_path: Path):
    """``run(name, extra_env=None, expect_death=False, **device)`` -> ``{"calls", "result", "exit"}``:
    ``calls`` is the journal of Android calls, ``result`` the scenario's JSON answer (None when the simulated
    process died); ``device`` becomes ``-Dstub.KEY=VALUE`` options over :func:`rule_options` (notifications
    are allowed unless ``granted=""``)."""

    def run(name: str, extra_env: dict[str, str] | None = None, expect_death: bool = False,
            **device: object) -> dict:
        journal = tmp_path / f"journal-{name}-{len(list(tmp_path.glob('journal-*')))}.txt"
        options = {**rule_options(), "journal": journal, "filesDir": tmp_path,
                   "granted": "android.permission.POST_NOTIFICATIONS", **device}
        env = dict(os.environ, **(extra_env or {}))
        home = java_home()
        if home:
            env["JAVA_HOME"] = home
        env["FMTC_STUB_CLASSPATH"] = str(classpath)
        env["FMTC_STUB_OPTIONS"] = " ".join(f"-Dstub.{key}={value}" for key, value in options.items())
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        if expect_death:
            env["FMTC_SCENARIO_DEATH_WAIT_S"] = str(DEATH_WAIT_S)
        proc = subprocess.run([sys.executable, str(HERE / "scenarios.py"), name], env=env, capture_output=True,
                              text=True, timeout=120)
        calls = journal.read_text().splitlines() if journal.exists() else []
        expected = PROCESS_DEATH if expect_death else 0
        assert proc.returncode == expected, (
            f"scenario {name} ended with {proc.returncode}, not {expected}:\n{proc.stdout[-3000:]}\n"
            f"{proc.stderr[-5000:]}\n" + "\n".join(calls[-40:]))
        lines = proc.stdout.strip().splitlines()
        result = json.loads(lines[-1])["result"] if lines and lines[-1].startswith("{") else None
        return {"calls": calls, "result": result, "exit": proc.returncode}

    return run


@pytest.fixture
def run_scenario(stub_classpath: Path, tmp_path: Path):
    """Scenarios on the sticky service (see :func:`scenario_runner`)."""
    return scenario_runner(stub_classpath, tmp_path)


@pytest.fixture
def run_non_sticky(non_sticky_classpath: Path, tmp_path: Path):
    """Scenarios on the non-sticky control service."""
    return scenario_runner(non_sticky_classpath, tmp_path)
