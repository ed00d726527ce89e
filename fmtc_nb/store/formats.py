"""Tile and archive formats: recognise PNG, JPEG, WebP, GIF and (gzipped) vector tiles, SQLite (MBTiles) files
and PMTiles archives by their first bytes."""

from __future__ import annotations

#: First bytes of an SQLite file (so of every MBTiles file) and of a PMTiles archive.
SQLITE_MAGIC = b"SQLite format 3\x00"
PMTILES_MAGIC = b"PMTiles"
#: MIME type of each MBTiles ``format`` value.
MIME = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp", "gif": "image/gif",
        "pbf": "application/x-protobuf"}


def sniff_format(data: bytes) -> str | None:
    """The MBTiles ``format`` of tile bytes (``png``, ``jpg``, ``webp``, ``gif``, ``pbf``), or None if unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.startswith(b"\x1f\x8b"):
        return "pbf"
    return None


def format_from_url(url: str | None) -> str | None:
    """The format named by a URL template's file extension (``.png``, ``.jpg``/``.jpeg``, ``.webp``, ``.pbf``/``.mvt``)."""
    if not url:
        return None
    tail = url.split("?")[0].rsplit("/", 1)[-1].lower()
    ext = tail.rsplit(".", 1)[-1] if "." in tail else ""
    return {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp", "pbf": "pbf", "mvt": "pbf",
            "gif": "gif"}.get(ext)
