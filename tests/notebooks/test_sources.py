"""Each reference notebook is generated from its jupytext source: ``notebooks/NN_name.py`` (percent format,
checked by ruff) is what people edit, and the committed ``NN_name.ipynb`` must hold exactly its cells (kind and
source; ids, metadata and the header are free). Regenerate with
``jupytext --update --to ipynb notebooks/[0-9][0-9]_*.py``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat

from tests.notebooks.conftest import NOTEBOOKS

REGENERATE = "jupytext --update --to ipynb notebooks/[0-9][0-9]_*.py"


def cells_of(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(cell kind, source) of every cell, the part of a notebook its source file decides."""
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def mismatch(source: Path) -> str | None:
    """None when the .ipynb next to ``source`` has exactly the cells of ``source``, else one sentence naming
    the first cell that differs."""
    generated = source.with_suffix(".ipynb")
    if not generated.exists():
        return f"{generated.name} is missing; run {REGENERATE}"
    want = cells_of(jupytext.read(source))
    have = cells_of(nbformat.read(generated, as_version=4))
    for index, (wanted, had) in enumerate(zip(want, have, strict=False)):
        if wanted != had:
            return f"{generated.name} cell {index} differs from {source.name}; run {REGENERATE}"
    if len(want) != len(have):
        return f"{generated.name} has {len(have)} cells, {source.name} {len(want)}; run {REGENERATE}"
    return None


def regenerate(source: Path) -> None:
    """The documented command, on one source file."""
    subprocess.run([sys.executable, "-m", "jupytext", "--update", "--to", "ipynb", str(source)], check=True,
                   capture_output=True, timeout=60)


def test_every_notebook_has_a_source_and_every_source_a_notebook() -> None:
    sources = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    generated = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert sources == generated == ["01_plan_region", "02_foreground_download", "03_device_download",
                                    "04_recovery_reports", "05_background_limits"]


def test_committed_notebooks_match_their_sources() -> None:
    problems = [m for source in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")) if (m := mismatch(source))]
    assert problems == []


def test_sources_are_percent_format_with_both_cell_kinds() -> None:
    for source in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py")):
        text = source.read_text()
        assert "\n# %%\n" in text and "\n# %% [markdown]\n" in text, source.name
        kinds = {kind for kind, _text in cells_of(jupytext.read(source))}
        assert kinds == {"code", "markdown"}, source.name


def test_a_stale_notebook_is_caught(tmp_path: Path) -> None:
    """The check fails on an edited source, a hand-edited notebook, a cell of the wrong kind, an extra cell
    and a missing notebook, and passes again after the documented command."""
    source = tmp_path / "01_plan_region.py"
    generated = tmp_path / "01_plan_region.ipynb"
    shutil.copy(NOTEBOOKS / source.name, source)
    shutil.copy(NOTEBOOKS / generated.name, generated)
    assert mismatch(source) is None
    original = source.read_text()

    source.write_text(original.replace('NotebookSession("plan")', 'NotebookSession("plan2")', 1))
    assert "cell 1 differs" in (mismatch(source) or "")
    source.write_text(original)

    notebook = nbformat.read(generated, as_version=4)
    notebook.cells[3].source += "\n"
    nbformat.write(notebook, generated)
    assert "cell 3 differs" in (mismatch(source) or "")

    notebook.cells[3].source = notebook.cells[3].source[:-1]
    notebook.cells[0] = nbformat.v4.new_code_cell(notebook.cells[0].source)
    nbformat.write(notebook, generated)
    assert "cell 0 differs" in (mismatch(source) or "")

    shutil.copy(NOTEBOOKS / generated.name, generated)
    source.write_text(original + "\n# %%\nprint('one more')\n")
    regenerate(source)
    assert mismatch(source) is None
    committed_ids = [cell.id for cell in nbformat.read(NOTEBOOKS / generated.name, as_version=4).cells]
    ids = [cell.id for cell in nbformat.read(generated, as_version=4).cells]
    assert ids[:-1] == committed_ids  # --update keeps the ids of the cells already there
    source.write_text(original)
    assert "cells" in (mismatch(source) or "")

    generated.unlink()
    assert "missing" in (mismatch(source) or "")
