"""docs/architecture.md stays true to the code: every module named once, every dotted name it cites exists."""

from __future__ import annotations

import importlib
import re

from tests.structure.imports import ROOT, module_files

DOC = ROOT / "docs" / "architecture.md"
INDEX_HEADING = "## Module index"


def _index_rows() -> list[str]:
    """The backticked paths that open each row of the module index table."""
    text = DOC.read_text(encoding="utf-8")
    assert INDEX_HEADING in text, f"docs/architecture.md has no '{INDEX_HEADING}' section"
    section = text.split(INDEX_HEADING, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([^`]+\.py)` \|", section, flags=re.MULTILINE)


def test_every_module_is_named_once_in_the_index():
    rows = _index_rows()
    files = {str(path.relative_to(ROOT)) for path in module_files().values() if path.name != "__init__.py"}
    doubled = sorted({r for r in rows if rows.count(r) > 1})
    assert not doubled, f"named more than once: {doubled}"
    assert sorted(files - set(rows)) == [], "modules missing from the index"
    assert sorted(set(rows) - files) == [], "the index names modules that do not exist"


def test_dotted_names_in_the_architecture_page_exist():
    """`fmtc_nb.x.y` and `android_bridge.x.y` references resolve to a module or an attribute of one."""
    text = DOC.read_text(encoding="utf-8")
    missing = []
    for ref in sorted(set(re.findall(r"`((?:fmtc_nb|android_bridge)(?:\.\w+)+)", text))):
        parts = ref.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:cut]))
            except ImportError:
                continue
            try:
                for name in parts[cut:]:
                    obj = getattr(obj, name)
            except AttributeError:
                missing.append(ref)
            break
        else:
            missing.append(ref)
    assert missing == []
