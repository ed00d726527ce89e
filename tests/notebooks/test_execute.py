"""Every reference notebook runs top to bottom headless (nbclient, the venv's kernel) without an error, offline,
and leaves no process behind."""

from __future__ import annotations

import fcntl
import json
import re
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.notebooks.conftest import ARTIFACTS, NOTEBOOKS, processes_mentioning

NAMES = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT_S = 120


def outputs_of(nb: nbformat.NotebookNode) -> str:
    """All text a notebook printed or returned (for checks on what it showed)."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", "") + out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def record_runtime(name: str, seconds: float) -> None:
    """Keep each notebook's last run time in test-artifacts/notebook_runtimes.json (information, not a test)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "notebook_runtimes.json"
    with open(ARTIFACTS / "notebook_runtimes.lock", "w") as lock:  # xdist workers update it concurrently
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.exists() else {}
        data[name] = round(seconds, 1)
        path.write_text(json.dumps(data, indent=1, sort_keys=True))


def test_committed_notebooks_have_no_outputs() -> None:
    for name in NAMES:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert all(not c.get("outputs") and c.get("execution_count") is None
                   for c in nb.cells if c.cell_type == "code"), name


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_headless(name: str, notebook_env: Path) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook_env)}})
    started = time.monotonic()
    client.execute()  # raises CellExecutionError on the first failing cell
    record_runtime(name, time.monotonic() - started)
    nbformat.write(nb, ARTIFACTS / name)  # the executed copy, to look at
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    assert "Traceback" not in outputs_of(nb)
    if name.startswith("05_"):  # the classroom lesson: the vendor data's credit and a real run's exact tiles
        assert "dontkillmyapp.com" in outputs_of(nb) and "3,224 of 3,224 tiles in the store" in outputs_of(nb)
        cut = re.search(r"the relay reset (\d+) connections and refused (\d+); ([\d,]+) of \3 tiles in the store",
                        outputs_of(nb))  # a real network cut that the job waited out, every tile stored
        assert cut and int(cut[1]) + int(cut[2]) > 0, outputs_of(nb)[-2000:]
        assert "stalled" in outputs_of(nb)  # the timeline's state while the network was cut
    deadline = time.monotonic() + 10
    while processes_mentioning(str(notebook_env)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_mentioning(str(notebook_env)) == []


def test_notebook1_with_every_shape_erased_explains_instead_of_failing(notebook_env: Path) -> None:
    """A user who erased every shape before the estimate: each later cell says what to do, none raises."""
    nb = nbformat.read(NOTEBOOKS / "01_plan_region.ipynb", as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "EstimatePanel(picker" in c.source)
    nb.cells.insert(at, nbformat.v4.new_code_cell("picker.clear()"))
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook_env)}})
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    shown = outputs_of(nb)
    assert "There is no region yet: draw one on the map first." in shown and "No plan yet" in shown
