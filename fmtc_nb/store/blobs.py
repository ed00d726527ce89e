"""Deduplicated tile bodies: each distinct body is stored once in ``fmtc_blobs`` and found by its key.

The key (:func:`sample_key`) hashes a short body whole and a long one by a sample of its bytes, so a 50 KB
tile costs a few µs rather than a full hash; every candidate is compared byte for byte, and a key shared by
:data:`MAX_SAME_KEY` different blobs sends further bodies to their whole-body hash (:func:`full_key`).

Hashes are random, so one index over every blob would take a batch's new entries on as many B-tree pages as
the batch has tiles, and each commit would write all those pages again. Instead every new blob's hash goes
into the small ``fmtc_hash_new`` table (its few pages stay hot), and once it holds :data:`MERGE_AT` entries
they move in hash order into the large ``fmtc_hash_old`` table, touching each of its pages about once.
A lookup probes both. All functions run inside the caller's write transaction.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from fmtc_nb.store.connection import insert_rows

#: Entries of ``fmtc_hash_new`` that trigger the merge into ``fmtc_hash_old``.
MERGE_AT = 32768
#: The first store layout (``PRAGMA user_version``) keyed by :func:`sample_key`; layout-1 stores keep BLAKE2b.
SAMPLED_SINCE_VERSION = 2
#: Bodies up to this many bytes are keyed whole; of longer ones :func:`sample_key` reads the length, this many
#: bytes at each end and every :data:`SAMPLE_STRIDE`-th byte between.
SAMPLE_EDGE = 1024
SAMPLE_STRIDE = 61
#: Blobs sharing one sampled key beyond which new ones are keyed by their full hash, so that bodies which
#: differ only between the sampled bytes can never make a lookup read more than this many blobs.
MAX_SAME_KEY = 4
_CHUNK = 400
BlobHash = Callable[[bytes], int]


_sha256 = hashlib.sha256
_first_int64 = struct.Struct("<q").unpack_from  # the first 8 bytes, little-endian, signed: no slice, no copy


def full_key(data: bytes) -> int:
    """The first 8 bytes of the body's SHA-256 as a signed 64-bit integer (hardware SHA on x86 and ARMv8)."""
    return _first_int64(_sha256(data).digest())[0]


def sample_key(data: bytes) -> int:
    """The lookup key of a tile body: :func:`full_key` of short bodies (up to 2 x :data:`SAMPLE_EDGE` bytes);
    of longer ones the SHA-256 of its length, first and last :data:`SAMPLE_EDGE` bytes and every
    :data:`SAMPLE_STRIDE`-th byte between (about 3 KB of a 50 KB tile: about 4 µs instead of 40-70).

    Identical bodies always share it; bodies that share it are still compared byte for byte, so a shared
    key costs a comparison, never a wrong merge."""
    if len(data) > 2 * SAMPLE_EDGE:
        data = b"".join((len(data).to_bytes(8, "little"), data[:SAMPLE_EDGE], data[-SAMPLE_EDGE:],
                         data[SAMPLE_EDGE:-SAMPLE_EDGE:SAMPLE_STRIDE]))
    return _first_int64(_sha256(data).digest())[0]


def legacy_blob_hash(data: bytes) -> int:
    """The key of blobs in stores of layout version 1: the signed 64-bit BLAKE2b digest of the whole body."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)


@dataclass(frozen=True)
class BlobKeys:
    """How a store keys its blobs: ``key`` for every body, ``full`` for bodies whose ``key`` already names
    :data:`MAX_SAME_KEY` different blobs (both may be the same function)."""

    key: BlobHash
    full: BlobHash


def blob_keys(layout_version: int) -> BlobKeys:
    """The blob keys of a store of ``PRAGMA user_version`` ``layout_version``."""
    if layout_version >= SAMPLED_SINCE_VERSION:
        return BlobKeys(sample_key, full_key)
    return BlobKeys(legacy_blob_hash, legacy_blob_hash)


def find_blobs(db: sqlite3.Connection, hashes: Iterable[int]) -> dict[int, list[tuple[int, bytes]]]:
    """Key -> [(blob id, body)] of the stored blobs with one of ``hashes`` (several when bodies share it)."""
    wanted = list(set(hashes))
    found: dict[int, list[tuple[int, bytes]]] = {}
    for i in range(0, len(wanted), _CHUNK):
        chunk = wanted[i:i + _CHUNK]
        marks = ",".join("?" * len(chunk))
        sql = (f"SELECT h.hash, h.id, b.data FROM (SELECT hash, id FROM fmtc_hash_new WHERE hash IN ({marks}) "
               f"UNION ALL SELECT hash, id FROM fmtc_hash_old WHERE hash IN ({marks})) AS h "
               "JOIN fmtc_blobs AS b ON b.id = h.id")
        for h, blob_id, data in db.execute(sql, chunk + chunk):
            found.setdefault(h, []).append((blob_id, data))
    return found


def assign_blobs(db: sqlite3.Connection, bodies: Sequence[bytes],
                 keys: BlobKeys) -> tuple[list[int], list[tuple[int, int, bytes]]]:
    """The blob id of each body: that of an identical stored blob or of an identical earlier body of the
    batch, else a new id; and the new blobs as (id, key, body), each body once.

    Bodies are looked up by ``keys.key``; where that key names :data:`MAX_SAME_KEY` blobs already (bodies that
    differ only between sampled bytes), also by ``keys.full``, under which such a body is then stored. Every
    candidate is compared byte for byte, so a shared key never merges different tiles."""
    key = keys.key
    short = [key(data) for data in bodies]
    known = find_blobs(db, short)
    crowded = {k for k, blobs in known.items() if len(blobs) >= MAX_SAME_KEY}
    full = {i: keys.full(bodies[i]) for i, k in enumerate(short) if k in crowded} if crowded else {}
    for k, blobs in find_blobs(db, full.values()).items():
        have = known.setdefault(k, [])
        listed = {blob_id for blob_id, _ in have}
        have.extend(blob for blob in blobs if blob[0] not in listed)
    next_id = next_blob_id(db)
    ids: list[int] = []
    new: list[tuple[int, int, bytes]] = []
    for i, data in enumerate(bodies):  # one plain loop: this runs once per stored tile
        k = short[i]
        found = _identical(known.get(k, ()), data)
        if found is None and i in full:
            k = full[i]
            found = _identical(known.get(k, ()), data)
        if found is None:
            found = next_id
            next_id += 1
            known.setdefault(k, []).append((found, data))
            new.append((found, k, data))
        ids.append(found)
    return ids, new


def _identical(candidates: Iterable[tuple[int, bytes]], data: bytes) -> int | None:
    """The id of the candidate whose body is ``data`` byte for byte, or None."""
    for blob_id, stored in candidates:
        if stored == data:
            return blob_id
    return None


def next_blob_id(db: sqlite3.Connection) -> int:
    """The id the next new blob gets."""
    return db.execute("SELECT coalesce(max(id), 0) + 1 FROM fmtc_blobs").fetchone()[0]


def add_blobs(db: sqlite3.Connection, rows: list[tuple[int, int, bytes, int]]) -> None:
    """Insert new blobs ``rows`` = (id, hash, data, refs) and index their hashes."""
    if not rows:
        return
    insert_rows(db, "INSERT INTO fmtc_blobs (id, hash, data, refs)", rows, body=2)
    insert_rows(db, "INSERT INTO fmtc_hash_new (hash, id)", [(h, i) for i, h, _, _ in rows])
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
