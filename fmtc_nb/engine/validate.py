"""Is a response body a whole tile? Checks magic bytes and structure so HTML pages and truncated images fail."""

from __future__ import annotations

import struct

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def image_problem(body: bytes, tile_format: str | None = None) -> str | None:
    """None if ``body`` is a whole PNG, JPEG or WebP image (or a vector tile when ``tile_format`` is pbf/mvt);
    otherwise one sentence saying what is wrong."""
    if not body:
        return "empty body"
    if tile_format in ("pbf", "mvt"):
        return _vector_problem(body)
    if body.startswith(_PNG_MAGIC):
        return None if body.endswith(_PNG_END) else "truncated PNG (no IEND chunk)"
    if body.startswith(b"\xff\xd8"):
        return None if body.rstrip(b"\x00").endswith(b"\xff\xd9") else "truncated JPEG (no end marker)"
    if body.startswith(b"RIFF") and body[8:12] == b"WEBP":
        size = struct.unpack("<I", body[4:8])[0]
        return None if len(body) == size + 8 else "truncated WebP (length mismatch)"
    if body.lstrip()[:1] == b"<":
        return "HTML or XML page instead of an image"
    return "not a PNG, JPEG or WebP image"


def _vector_problem(body: bytes) -> str | None:
    """None if ``body`` can be a Mapbox Vector Tile: protobuf whose first field is ``layers`` (0x1a), or gzip."""
    if body.lstrip()[:1] == b"<":
        return "HTML page instead of a vector tile"
    if body[:1] == b"\x1a" or body[:2] == b"\x1f\x8b":
        return None
    if image_problem(body) is None:
        return "an image instead of a vector tile"
    return "not a vector tile (neither protobuf layers nor gzip)"
