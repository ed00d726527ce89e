"""``python -m android_bridge.stage_apk OUT``: lay out a folder Buildozer can build the bridge app from.

python-for-android wants the app's own ``main.py`` (and the service's script) at the top of its source folder
and the Java sources apart, so the repository is not built in place. OUT receives::

    buildozer.spec          copy of android_bridge/buildozer.spec (source.dir = app, android.add_src = java)
    app/main.py             runs android_bridge.android_main (the activity)
    app/service.py          runs android_bridge.android_service (the foreground service)
    app/fmtc_nb/, app/android_bridge/   the packages (.py, .csv, .json files only)
    java/                   android_bridge/java (DataSyncService, ServiceEventListener)
    p4a_recipes/            android_bridge/p4a_recipes (``p4a.local_recipes``: pure-Python aiohttp)
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
APP_FILES = ("*.py", "*.csv", "*.json")
SKIP_DIRS = {"__pycache__", "java", "p4a_recipes", "tests"}
MAIN_PY = "from android_bridge.android_main import main\n\nmain()\n"
SERVICE_PY = "from android_bridge.android_service import main\n\nmain()\n"


def _copy_package(source: Path, target: Path) -> int:
    """Copy the app files of one package; returns how many were copied."""
    count = 0
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if path.is_dir() or SKIP_DIRS.intersection(relative.parts):
            continue
        if any(path.match(pattern) for pattern in APP_FILES):
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target / relative)
            count += 1
    return count


def stage(out: Path) -> dict[str, int]:
    """Write the build folder ``out`` (replacing its app/ and java/); returns files copied per part."""
    out.mkdir(parents=True, exist_ok=True)
    for part in ("app", "java", "p4a_recipes"):
        shutil.rmtree(out / part, ignore_errors=True)
    app = out / "app"
    counts = {name: _copy_package(REPO_DIR / name, app / name) for name in ("fmtc_nb", "android_bridge")}
    (app / "main.py").write_text(MAIN_PY)
    (app / "service.py").write_text(SERVICE_PY)
    shutil.copytree(PACKAGE_DIR / "java", out / "java")
    counts["java"] = sum(1 for _ in (out / "java").rglob("*.java"))
    shutil.copytree(PACKAGE_DIR / "p4a_recipes", out / "p4a_recipes", ignore=shutil.ignore_patterns("__pycache__"))
    counts["p4a_recipes"] = sum(1 for _ in (out / "p4a_recipes").glob("*/__init__.py"))
    shutil.copy2(PACKAGE_DIR / "buildozer.spec", out / "buildozer.spec")
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m android_bridge.stage_apk", description=__doc__.split("\n")[0]
    )
    parser.add_argument("out", type=Path, help="folder to lay out (e.g. build/apk)")
    args = parser.parse_args(argv)
    counts = stage(args.out)
    print(f"staged {counts} in {args.out}; now: cd {args.out} && buildozer android debug")
    return 0


if __name__ == "__main__":
    sys.exit(main())
