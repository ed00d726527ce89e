"""A pack exported as an offline folder over an earlier export: refused without overwrite, replaced whole with
it, a user's folder never replaced, and a target Windows will not let go of (another program holds a file in
it; that refusal is faked, the files are real) kept as it was, with one sentence."""

from __future__ import annotations

import os

import pytest

from fmtc_nb.errors import PackError
from fmtc_nb.packs import download_pack, export_pack

from .conftest import REGION


@pytest.fixture
def pack(demo, root):
    download_pack(REGION, "0-1", demo.style_url, "small", root)
    return root


def test_an_export_replaces_only_a_previous_export_and_only_with_overwrite(pack, tmp_path):
    out = tmp_path / "exports" / "small"
    first = export_pack("small", out, pack)
    assert (out / "index.html").is_file() and first["tiles"] and all(first["tiles"].values())
    (out / "sources" / "stale.pmtiles").write_bytes(b"left from an older export")
    with pytest.raises(PackError, match="exists already"):
        export_pack("small", out, pack)
    assert (out / "sources" / "stale.pmtiles").exists()
    assert export_pack("small", out, pack, overwrite=True)["tiles"] == first["tiles"]
    assert not (out / "sources" / "stale.pmtiles").exists() and (out / "style.json").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["small"]  # nothing partial or old left beside it
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("months of work")
    with pytest.raises(PackError, match="not a previous pack export"):
        export_pack("small", mine, pack, overwrite=True)
    assert (mine / "thesis.tex").read_text() == "months of work"


def test_a_target_held_open_on_windows_is_one_sentence_and_kept(pack, tmp_path, monkeypatch):
    out = tmp_path / "small"
    export_pack("small", out, pack)
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    real_replace = os.replace

    def held_open(src, dst):
        if os.fspath(dst) == os.fspath(out) and ".partial" in os.fspath(src):
            raise PermissionError(13, "Access is denied", str(src), None, str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", held_open)
    with pytest.raises(PackError, match=r"cannot be replaced \(Access is denied\); close any program"):
        export_pack("small", out, pack, overwrite=True)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
