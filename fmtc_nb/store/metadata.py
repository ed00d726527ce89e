"""The MBTiles ``metadata`` table, kept true as tiles arrive (minzoom, maxzoom, bounds, center, format)."""

from __future__ import annotations

import sqlite3

#: Metadata key holding the tile source's URL template (not an MBTiles key; readers ignore it).
SOURCE_KEY = "fmtc_source_url"

ZoomRow = tuple[int, int, int, int, int]  # tiles, min_col, max_col, min_row, max_row


def read_metadata(db: sqlite3.Connection) -> dict[str, str]:
    """Every metadata entry as a dict."""
    return {name: value for name, value in db.execute("SELECT name, value FROM metadata")}


def write_metadata(db: sqlite3.Connection, entries: dict[str, object]) -> None:
    """Upsert entries (None deletes the key)."""
    for key, value in entries.items():
        if value is None:
            db.execute("DELETE FROM metadata WHERE name = ?", (key,))
        else:
            db.execute("INSERT INTO metadata (name, value) VALUES (?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (key, str(value)))


def extent_entries(zooms: dict[int, ZoomRow]) -> dict[str, object]:
    """minzoom, maxzoom, bounds (extent of the deepest zoom's tiles, degrees) and center (lon,lat,zoom)."""
    from fmtc_nb.tilemath import tile_bounds  # numpy: imported only when tiles arrive

    present = {z: row for z, row in zooms.items() if row[0] > 0}
    if not present:
        return {"minzoom": None, "maxzoom": None, "bounds": None, "center": None}
    low, high = min(present), max(present)
    _, min_col, max_col, min_row, max_row = present[high]
    n = 1 << high
    west, _, _, north = tile_bounds(high, min_col, n - 1 - max_row)
    _, south, east, _ = tile_bounds(high, max_col, n - 1 - min_row)
    center_zoom = min(high, max(low, (low + high) // 2))
    return {"minzoom": low, "maxzoom": high,
            "bounds": f"{west:.6f},{south:.6f},{east:.6f},{north:.6f}",
            "center": f"{(west + east) / 2:.6f},{(south + north) / 2:.6f},{center_zoom}"}
