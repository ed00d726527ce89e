"""What the benchmarks share: their results files, ``benchmarks/results/<name>.json``.

Benchmarks run as scripts (``python benchmarks/bench_x.py``), so this folder is on ``sys.path`` and they
import ``from _common import ...``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def results_path(name: str) -> Path:
    """``benchmarks/results/<name>.json``."""
    return RESULTS_DIR / f"{name}.json"


def load_results(name: str) -> dict[str, Any]:
    """The results written last time (``{}`` if none), for a benchmark that updates some of its keys."""
    path = results_path(name)
    return json.loads(path.read_text()) if path.exists() else {}


def save_results(name: str, results: dict[str, Any]) -> Path:
    """Write ``results`` as indented JSON to ``benchmarks/results/<name>.json``; returns the path."""
    path = results_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path
