"""The package-data lists of pyproject.toml ship every data file the packages read, and name no file that is
gone (a moved file must move in the list too)."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def package_data() -> dict[str, list[str]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["setuptools"]["package-data"]


def files_of(package: str) -> list[str]:
    base = ROOT / package
    return [p.relative_to(base).as_posix() for p in base.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]


def matches(path: str, pattern: str) -> bool:
    return fnmatch(path, pattern) or (pattern.endswith("/**/*") and path.startswith(pattern[:-4]))


def test_every_data_file_is_shipped_and_every_pattern_matches_a_file():
    for package, patterns in package_data().items():
        files = files_of(package)
        assert all(any(matches(f, p) for p in patterns) for f in files), (package, files)
        assert all(any(matches(f, p) for f in files) for p in patterns), (package, patterns)
    assert "data/android_vendors.csv" in files_of("fmtc_nb")
