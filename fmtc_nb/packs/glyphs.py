"""Which glyph ranges a pack fetches: MapLibre asks for glyphs in ranges of 256 code points (``0-255``,
``256-511``, ...); a pack takes the ranges of the scripts chosen (Latin by default) or all 256 ranges."""

from __future__ import annotations

from fmtc_nb.errors import PackError

RANGE_SIZE = 256
ALL_RANGES = tuple(range(0, 65536, RANGE_SIZE))

#: script -> Unicode blocks (first, last code point) its labels need
SCRIPTS: dict[str, tuple[tuple[int, int], ...]] = {
    # Basic Latin, Latin-1, Latin Extended-A/B, IPA and spacing modifiers (ə, ˈ), Latin Extended Additional
    # (Vietnamese), General Punctuation (’ – “ …)
    "latin": ((0x0000, 0x02FF), (0x1E00, 0x1EFF), (0x2000, 0x206F)),
    "greek": ((0x0370, 0x03FF), (0x1F00, 0x1FFF)),
    "cyrillic": ((0x0400, 0x052F),),
    "armenian": ((0x0530, 0x058F),),
    "hebrew": ((0x0590, 0x05FF),),
    "arabic": ((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "devanagari": ((0x0900, 0x097F),),
    "thai": ((0x0E00, 0x0E7F),),
    "georgian": ((0x10A0, 0x10FF),),
    "cjk": ((0x3000, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xFF00, 0xFFEF)),
}


def range_name(start: int) -> str:
    """``0-255`` for the range starting at 0."""
    return f"{start}-{start + RANGE_SIZE - 1}"


def glyph_ranges(choice: str = "latin") -> list[int]:
    """First code points of the ranges for ``choice``: ``all``, or script names joined by commas
    (:data:`SCRIPTS`, e.g. ``latin,cyrillic``). An unknown script is one sentence."""
    names = [n.strip().lower() for n in choice.split(",") if n.strip()]
    if not names:
        raise PackError("No glyph scripts were chosen; give script names such as latin,greek or all.")
    if "all" in names:
        return list(ALL_RANGES)
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        raise PackError(f"Unknown glyph script(s) {', '.join(unknown)}; choose from {', '.join(SCRIPTS)} or all.")
    starts = {start for name in names for first, last in SCRIPTS[name]
              for start in range(first - first % RANGE_SIZE, last + 1, RANGE_SIZE)}
    return sorted(starts)
