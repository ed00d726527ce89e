"""Every relative link and every repository path a Markdown file names resolves to a file in the repository."""

from __future__ import annotations

import re
import subprocess

from tests.structure.imports import ROOT

MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)")
REPO_PATH = re.compile(r"(?<![\w/.-])((?:docs|fmtc_nb|android_bridge|benchmarks|scripts|notebooks|tests|\.ci)/[\w./*{}-]*[\w*}])")
PLACEHOLDER = re.compile(r"NN_|[{*<]")


def _markdown_files() -> list[str]:
    """The tracked *.md files (paths relative to the repository root)."""
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True, text=True, check=True)
    return [line for line in listed.stdout.splitlines() if line]


def test_there_are_markdown_files_to_check():
    files = _markdown_files()
    assert "README.md" in files and "docs/android.md" in files


def test_relative_markdown_links_resolve():
    broken = []
    for name in _markdown_files():
        page = ROOT / name
        for target in MARKDOWN_LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            if not (page.parent / target).exists():
                broken.append(f"{name}: ({target})")
    assert broken == []


def test_repository_paths_named_in_the_docs_exist():
    """`docs/x.md`, `fmtc_nb/a/b.py`, `benchmarks/results/c.json`, ... named in prose exist (placeholders skipped)."""
    missing = []
    for name in _markdown_files():
        for path in REPO_PATH.findall((ROOT / name).read_text(encoding="utf-8")):
            path = path.rstrip(".")
            if PLACEHOLDER.search(path) or (ROOT / path).exists():
                continue
            missing.append(f"{name}: {path}")
    assert missing == []
