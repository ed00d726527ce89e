"""Deduplicated tile bodies: each distinct body is stored once in ``fmtc_blobs`` and found by its hash.

Hashes are random, so one index over every blob would take a batch's new entries on as many B-tree pages as
the batch has tiles, and each commit would write all those pages again. Instead every new blob's hash goes
into the small ``fmtc_hash_new`` table (its few pages stay hot), and once it holds :data:`MERGE_AT` entries
they move in hash order into the large ``fmtc_hash_old`` table, touching each of its pages about once.
A lookup probes both. All functions run inside the caller's write transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable

#: Entries of ``fmtc_hash_new`` that trigger the merge into ``fmtc_hash_old``.
MERGE_AT = 32768
_CHUNK = 400


def blob_hash(data: bytes) -> int:
    """The signed 64-bit BLAKE2b digest of a tile body (bodies are also compared in full on a match)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


def find_blobs(db: sqlite3.Connection, bodies: dict[bytes, int]) -> dict[bytes, int]:
    """Body -> id of the stored identical blob, for those of ``bodies`` (body -> hash) already stored.
    Bodies are compared byte for byte, so a hash collision never merges different tiles."""
    hashes = list(set(bodies.values()))
    found: dict[bytes, int] = {}
    for i in range(0, len(hashes), _CHUNK):
        chunk = hashes[i:i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = (f"SELECT h.hash, h.id, b.data FROM (SELECT hash, id FROM fmtc_hash_new WHERE hash IN ({marks}) "
               f"UNION ALL SELECT hash, id FROM fmtc_hash_old WHERE hash IN ({marks})) AS h "
               "JOIN fmtc_blobs AS b ON b.id = h.id")
        for h, blob_id, data in db.execute(sql, chunk + chunk):
            if bodies.get(data) == h:
                found[data] = blob_id
    return found


def next_blob_id(db: sqlite3.Connection) -> int:
    """The id the next new blob gets."""
    return db.execute("SELECT coalesce(max(id), 0) + 1 FROM fmtc_blobs").fetchone()[0]


def add_blobs(db: sqlite3.Connection, rows: list[tuple[int, int, bytes, int]]) -> None:
    """Insert new blobs ``rows`` = (id, hash, data, refs) and index their hashes."""
    if not rows:
        return
    db.executemany("INSERT INTO fmtc_blobs (id, hash, data, refs) VALUES (?, ?, ?, ?)", rows)
    db.executemany("INSERT INTO fmtc_hash_new (hash, id) VALUES (?, ?)", [(h, i) for i, h, _, _ in rows])
    db.execute("UPDATE fmtc_counters SET hash_new = hash_new + ?", (len(rows),))
    pending = db.execute("SELECT hash_new FROM fmtc_counters").fetchone()[0]
    if pending >= MERGE_AT:
        db.execute("INSERT INTO fmtc_hash_old (hash, id) SELECT hash, id FROM fmtc_hash_new ORDER BY hash, id")
        db.execute("DELETE FROM fmtc_hash_new")
        db.execute("UPDATE fmtc_counters SET hash_new = 0")


def release_blobs(db: sqlite3.Connection, ids: Iterable[int] | None = None) -> tuple[int, int]:
    """Delete the blobs no tile uses any more (refs <= 0), among ``ids`` or all; returns (blobs, bytes)."""
    where = "refs <= 0"
    if ids is not None:
        listed = ",".join(str(int(i)) for i in ids)
        if not listed:
            return 0, 0
        where += f" AND id IN ({listed})"
    count, size = db.execute(f"SELECT count(*), coalesce(sum(length(data)), 0) FROM fmtc_blobs WHERE {where}").fetchone()
    if count:
        dead = f"(hash, id) IN (SELECT hash, id FROM fmtc_blobs WHERE {where})"
        before = db.total_changes
        db.execute(f"DELETE FROM fmtc_hash_new WHERE {dead}")
        db.execute("UPDATE fmtc_counters SET hash_new = hash_new - ?", (db.total_changes - before,))
        db.execute(f"DELETE FROM fmtc_hash_old WHERE {dead}")
        db.execute(f"DELETE FROM fmtc_blobs WHERE {where}")
    return count, size


def blob_problems(db: sqlite3.Connection) -> list[str]:
    """Sentences naming broken blob bookkeeping: references, hash entries (empty list: none)."""
    problems = []
    bad_refs = db.execute("SELECT count(*) FROM fmtc_blobs b LEFT JOIN (SELECT blob_id, count(*) AS n FROM fmtc_tiles "
                          "GROUP BY blob_id) u ON u.blob_id = b.id WHERE b.refs != coalesce(u.n, 0)").fetchone()[0]
    if bad_refs:
        problems.append(f"{bad_refs} blobs have a wrong reference count")
    orphans = db.execute("SELECT count(*) FROM fmtc_tiles t LEFT JOIN fmtc_blobs b ON b.id = t.blob_id "
                         "WHERE b.id IS NULL").fetchone()[0]
    if orphans:
        problems.append(f"{orphans} tiles point at missing blobs")
    entries = "(SELECT hash, id FROM fmtc_hash_new UNION ALL SELECT hash, id FROM fmtc_hash_old)"
    unindexed = db.execute(f"SELECT count(*) FROM fmtc_blobs b LEFT JOIN {entries} h ON h.id = b.id AND h.hash = b.hash "
                           "WHERE h.id IS NULL").fetchone()[0]
    stray = db.execute(f"SELECT count(*) FROM {entries} h LEFT JOIN fmtc_blobs b ON b.id = h.id AND b.hash = h.hash "
                       "WHERE b.id IS NULL").fetchone()[0]
    if unindexed or stray:
        problems.append(f"the blob hash tables miss {unindexed} blobs and hold {stray} stray entries")
    pending, real = db.execute("SELECT hash_new, (SELECT count(*) FROM fmtc_hash_new) FROM fmtc_counters").fetchone()
    if pending != real:
        problems.append(f"the counters say {pending} new hash entries but there are {real}")
    return problems
