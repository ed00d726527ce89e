"""Multi-row INSERTs (store.connection.insert_rows): every row lands, in order, whatever the chunking, and a
batch that replaces stored tiles still goes through the one-by-one replacement path."""

from __future__ import annotations

import sqlite3

import pytest

from fmtc_nb.store import TileRecord
from fmtc_nb.store import connection as conn
from fmtc_nb.store.connection import insert_rows

from .conftest import png


class CountingConnection(sqlite3.Connection):
    """A real SQLite connection that counts the statements it runs."""

    statements = 0

    def execute(self, sql, parameters=(), /):  # type: ignore[override]
        type(self).statements += 1
        return super().execute(sql, parameters)


@pytest.fixture
def db(tmp_path):
    CountingConnection.statements = 0
    db = sqlite3.connect(tmp_path / "rows.db", isolation_level=None, factory=CountingConnection)
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, label TEXT, data BLOB)")
    CountingConnection.statements = 0
    yield db
    db.close()


def test_rows_land_in_order_in_as_few_statements_as_the_limits_allow(db, monkeypatch):
    rows = [(i, f"row {i}", bytes([i % 256]) * (i % 7)) for i in range(1, 1203)]
    insert_rows(db, "INSERT INTO t (id, label, data)", rows)
    assert CountingConnection.statements == 3  # 500 + 500 + 202 rows
    assert db.execute("SELECT id, label, data FROM t ORDER BY rowid").fetchall() == rows

    db.execute("DELETE FROM t")
    CountingConnection.statements = 0
    monkeypatch.setattr(db, "getlimit", lambda _: 10, raising=False)  # 10 parameters: 3 rows of 3 per statement
    insert_rows(db, "INSERT INTO t (id, label, data)", rows[:10])
    assert CountingConnection.statements == 4
    assert db.execute("SELECT id, label, data FROM t").fetchall() == rows[:10]


def test_a_bytes_column_ends_a_statement_at_the_byte_cap(db, monkeypatch):
    monkeypatch.setattr(conn, "BYTES_PER_INSERT", 1000)
    rows = [(i, "big", b"x" * 400) for i in range(1, 11)]  # 3 rows reach 1,200 bytes >= the cap
    insert_rows(db, "INSERT INTO t (id, label, data)", rows, body=2)
    assert CountingConnection.statements == 4  # 3 + 3 + 3 + 1
    assert db.execute("SELECT count(*), sum(length(data)) FROM t").fetchone() == (10, 4000)


def test_tail_and_no_rows(db):
    insert_rows(db, "INSERT INTO t (id, label, data)", [])
    assert CountingConnection.statements == 0
    insert_rows(db, "INSERT INTO t (id, label, data)", [(1, "a", b"")])
    insert_rows(db, "INSERT INTO t (id, label, data)", [(1, "b", b""), (2, "c", b"")], "ON CONFLICT DO NOTHING")
    assert db.execute("SELECT id, label FROM t ORDER BY id").fetchall() == [(1, "a"), (2, "c")]


def test_a_batch_replacing_stored_tiles_keeps_counts_and_blobs_true(store):
    store.put_tiles([TileRecord(4, x, 1, png(4, x, 1), 1.0) for x in range(8)])
    store.put_tiles([TileRecord(4, x, 1, png(4, x, 2), 2.0) for x in range(4, 8)]  # replace 4 ...
                    + [TileRecord(4, x, 1, png(4, x, 1), 2.0) for x in range(8, 12)])  # ... and add 4
    stats = store.stats()
    assert stats.tiles == 12 and stats.unique_blobs == 12
    assert [store.get_tile(4, x, 1) for x in range(12)] == \
        [png(4, x, 1) for x in range(4)] + [png(4, x, 2) for x in range(4, 8)] + [png(4, x, 1) for x in range(8, 12)]
    assert store.verify() == []
