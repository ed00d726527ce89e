"""Deleting tiles while keeping every counter, reference count and the MBTiles extent true; verification."""

from __future__ import annotations

import sqlite3

from fmtc_nb.store.blobs import blob_problems, release_blobs
from fmtc_nb.store.metadata import extent_entries, write_metadata
from fmtc_nb.store.schema import is_fmtc_store, mbtiles_problems


def delete_tiles(db: sqlite3.Connection, where: str, args: tuple = ()) -> int:
    """Delete the tiles of ``fmtc_tiles`` matching SQL condition ``where`` inside the caller's transaction;
    returns how many. Blobs no tile uses any more are deleted too."""
    per_zoom = db.execute(f"SELECT zoom_level, count(*), sum(size) FROM fmtc_tiles WHERE {where} "
                          "GROUP BY zoom_level", args).fetchall()
    if not per_zoom:
        return 0
    db.execute("UPDATE fmtc_blobs SET refs = refs - d.n FROM (SELECT blob_id, count(*) AS n FROM fmtc_tiles "
               f"WHERE {where} GROUP BY blob_id) AS d WHERE fmtc_blobs.id = d.blob_id", args)
    db.execute(f"DELETE FROM fmtc_tiles WHERE {where}", args)
    gone, gone_bytes = release_blobs(db)
    count = sum(n for _, n, _ in per_zoom)
    size = sum(b for _, _, b in per_zoom)
    db.execute("UPDATE fmtc_counters SET tiles = tiles - ?, tile_bytes = tile_bytes - ?, blobs = blobs - ?, "
               "blob_bytes = blob_bytes - ?", (count, size, gone, gone_bytes))
    for z, n, b in per_zoom:
        ranges = db.execute("SELECT min(tile_column), max(tile_column), min(tile_row), max(tile_row) FROM fmtc_tiles "
                            "WHERE zoom_level = ?", (z,)).fetchone()
        db.execute("UPDATE fmtc_zooms SET tiles = tiles - ?, bytes = bytes - ?, min_col = ?, max_col = ?, "
                   "min_row = ?, max_row = ? WHERE zoom_level = ?", (n, b, *ranges, z))
    db.execute("DELETE FROM fmtc_zooms WHERE tiles <= 0")
    zooms = {z: tuple(rest) for z, *rest in db.execute(
        "SELECT zoom_level, tiles, min_col, max_col, min_row, max_row FROM fmtc_zooms")}
    write_metadata(db, extent_entries(zooms))
    return count


def verify_problems(db: sqlite3.Connection) -> list[str]:
    """Sentences naming every problem found: SQLite integrity check, MBTiles schema, fmtc-nb counters."""
    problems = [f"integrity check: {row[0]}" for row in db.execute("PRAGMA integrity_check") if row[0] != "ok"]
    if problems:
        return problems
    problems += mbtiles_problems(db)
    if not is_fmtc_store(db):
        return problems
    tiles, tile_bytes, blobs = db.execute("SELECT tiles, tile_bytes, blobs FROM fmtc_counters").fetchone()
    real = db.execute("SELECT count(*), coalesce(sum(size), 0) FROM fmtc_tiles").fetchone()
    if (tiles, tile_bytes) != tuple(real):
        problems.append(f"the counters say {tiles} tiles / {tile_bytes} bytes but the store holds {real[0]} / {real[1]}")
    real_blobs = db.execute("SELECT count(*) FROM fmtc_blobs").fetchone()[0]
    if blobs != real_blobs:
        problems.append(f"the counters say {blobs} unique blobs but the store holds {real_blobs}")
    problems += blob_problems(db)
    zooms = dict(db.execute("SELECT zoom_level, tiles FROM fmtc_zooms WHERE tiles > 0"))
    real_zooms = dict(db.execute("SELECT zoom_level, count(*) FROM fmtc_tiles GROUP BY zoom_level"))
    if zooms != real_zooms:
        problems.append(f"the per-zoom counts {zooms} differ from the stored tiles {real_zooms}")
    return problems
