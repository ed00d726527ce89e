"""The bridge and its client off Linux: Windows' missing os.fchmod and loop signal handlers (faked: neither
exists here), and store folders whose names hold URI characters (real files)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import stat

import pytest

from android_bridge.__main__ import stop_on_signals
from android_bridge.statefile import read_state, write_json_atomically
from android_bridge.stores import snapshot_copy
from fmtc_nb.device.client import check_mbtiles
from fmtc_nb.store import Root, TileRecord


def test_state_files_are_written_where_os_has_no_fchmod(tmp_path, monkeypatch):
    """Windows before Python 3.13 has no os.fchmod; the tokens file must still be written whole."""
    monkeypatch.delattr(os, "fchmod")
    path = tmp_path / "tokens.json"
    write_json_atomically(path, {"tokens": ["ab"]}, mode=0o600)
    write_json_atomically(path, {"tokens": ["cd"]}, mode=0o600)  # replacing an existing file
    assert read_state(path, dict, dict) == {"tokens": ["cd"]}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # os.open's mode still applies where there are modes
    assert [p.name for p in tmp_path.iterdir()] == ["tokens.json"]


class NoSignalHandlersLoop(asyncio.SelectorEventLoop):
    """An event loop like Windows' ProactorEventLoop, which takes no signal handlers."""

    def add_signal_handler(self, sig, callback, *args):
        raise NotImplementedError


@pytest.mark.parametrize("loop_kind", ["posix", "windows"])
def test_the_virtual_device_stops_on_sigterm_with_or_without_loop_signal_handlers(loop_kind):
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    loop = NoSignalHandlersLoop() if loop_kind == "windows" else asyncio.new_event_loop()

    async def serve_until_stopped() -> bool:
        stop = asyncio.Event()
        stop_on_signals(asyncio.get_running_loop(), stop)
        asyncio.get_running_loop().call_later(0.05, signal.raise_signal, signal.SIGTERM)
        await asyncio.wait_for(stop.wait(), timeout=10)
        return stop.is_set()

    try:
        assert loop.run_until_complete(serve_until_stopped()) is True
    finally:
        for sig, handler in previous.items():
            if loop_kind == "posix":
                loop.remove_signal_handler(sig)
            signal.signal(sig, handler)
        loop.close()


def test_stores_in_a_folder_named_with_uri_characters(tmp_path):
    """'#' ended the path of a hand-built SQLite URI (and '%' escaped): the check refused a good store and the
    device's snapshot copied an empty database opened beside the folder."""
    folder = tmp_path / "Maps #2 (100%)"
    root = Root(folder)
    with root.open_or_create("real", "http://127.0.0.1:1/{z}/{x}/{y}.png") as store:
        store.put_tiles([TileRecord(1, 0, 1, b"\x89PNG\r\n\x1a\n" + b"x" * 32, 0.0)])
    check_mbtiles(root.store_path("real"))
    copy = snapshot_copy(root, "real", folder / "work")
    db = sqlite3.connect(copy)
    try:
        assert db.execute("SELECT count(*) FROM tiles").fetchone()[0] == 1
    finally:
        db.close()
    check_mbtiles(copy)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Maps #2 (100%)"]  # nothing opened beside it
