"""Populated places on a tile: a dot and a name, placed so that no two names overlap and each name lies wholly
inside the tile (so no name is ever cut at a tile edge; a place whose name fits nowhere keeps its dot)."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fmtc_nb.tileserver.basemap import Places

FIRST_ZOOM = 3
"""Places are drawn from this zoom on."""
PAD = 2
"""Pixels kept free around every name."""
Box = tuple[int, int, int, int]
#: letters without a decomposition into an ASCII letter and accents
_LETTERS = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                          "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "ð": "d"})


def plain_name(name: str) -> str:
    """``name`` in ASCII letters (accents dropped, e.g. Reykjavík -> Reykjavik, København -> Kobenhavn): the
    built-in font has no others."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LETTERS))
    return "".join(c for c in decomposed if c.isascii())


@lru_cache(maxsize=4)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's built-in font at ``size`` pixels (FreeType since Pillow 10.1)."""
    return ImageFont.load_default(size=size)


def font_size(z: int) -> int:
    """Label size in pixels at zoom ``z``."""
    return 11 if z < 8 else 12


def dot_radius(z: int) -> int:
    """Dot radius in pixels at zoom ``z``."""
    return 2 if z < 8 else 3


def _text(image: Image.Image, position: tuple[int, int], name: str, face: ImageFont.FreeTypeFont | ImageFont.ImageFont,
          colours: tuple[int, int, int]) -> None:
    """Draw ``name`` with its top-left at ``position`` on a palette image: smooth (antialiased) letters are
    reduced to three palette steps, ``colours`` = (halo, soft edge, text)."""
    box = [round(v) for v in ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), name, font=face, stroke_width=1)]
    size = (box[2] - box[0] + 2, box[3] - box[1] + 2)
    halo, letters = Image.new("L", size), Image.new("L", size)
    at = (1 - box[0], 1 - box[1])
    ImageDraw.Draw(halo).text(at, name, font=face, fill=255, stroke_width=1, stroke_fill=255)
    ImageDraw.Draw(letters).text(at, name, font=face, fill=255)
    corner = (position[0] - 1, position[1] - 1)
    for mask, threshold, colour in ((halo, 80, colours[0]), (letters, 60, colours[1]), (letters, 150, colours[2])):
        image.paste(colour, (*corner, corner[0] + size[0], corner[1] + size[1]),
                    mask.point(lambda v, t=threshold: 255 if v >= t else 0, "1"))


def _overlaps(box: Box, taken: list[Box]) -> bool:
    return any(box[0] < t[2] and t[0] < box[2] and box[1] < t[3] and t[1] < box[3] for t in taken)


def _candidates(x: float, y: float, width: int, height: int, gap: int) -> list[Box]:
    """Name boxes right of, left of, above and below the dot at (x, y), in that order of preference."""
    xi, yi = round(x), round(y)
    return [(xi + gap, yi - height // 2, xi + gap + width, yi - height // 2 + height),
            (xi - gap - width, yi - height // 2, xi - gap, yi - height // 2 + height),
            (xi - width // 2, yi - gap - height, xi - width // 2 + width, yi - gap),
            (xi - width // 2, yi + gap, xi - width // 2 + width, yi + gap + height)]


def place_labels(points: np.ndarray, sizes: list[tuple[int, int]], dots: np.ndarray, radius: int, size: int,
                 ) -> list[Box | None]:
    """Where each name goes: for points (k, 2) in tile pixels with names of ``sizes`` (width, height), the box
    (left, top, right, bottom) of each name, or None where it fits nowhere. Names come first come served; a
    box lies wholly inside the tile (1 pixel in) and keeps PAD pixels from every other name and from every
    dot in ``dots`` (all dots drawn on the tile, of ``radius`` pixels)."""
    taken: list[Box] = [(round(x) - radius, round(y) - radius, round(x) + radius + 1, round(y) + radius + 1)
                        for x, y in dots.tolist()]
    placed: list[Box | None] = []
    for (x, y), (width, height) in zip(points.tolist(), sizes, strict=True):
        chosen = None
        for box in _candidates(x, y, width, height, radius + 3):
            padded = (box[0] - PAD, box[1] - PAD, box[2] + PAD, box[3] + PAD)
            if box[0] >= 1 and box[1] >= 1 and box[2] <= size - 1 and box[3] <= size - 1 \
                    and not _overlaps(padded, taken):
                chosen = box
                taken.append(padded)
                break
        placed.append(chosen)
    return placed


def draw_places(image: Image.Image, places: Places, z: int, origin: np.ndarray, scale: float, size: int,
                offset: tuple[int, int], dot: int, dot_outline: int, text: tuple[int, int, int]) -> None:
    """Draw the places of the tile whose top-left world pixel is ``origin`` (``scale`` pixels per world unit,
    tile ``size`` pixels, drawn at ``offset`` in the palette image): dots in palette index ``dot`` (outlined
    ``dot_outline``; also for places just outside, so a dot on a tile edge is drawn whole across both tiles)
    and the names of the places inside, in the palette indexes ``text`` = (halo, soft edge, letters). Places
    come in the data's fixed order, so every tile makes the same choices."""
    if z < FIRST_ZOOM:
        return
    radius = dot_radius(z)
    pixels = places.xy * scale - origin
    near = np.flatnonzero(np.all((pixels > -radius - 1) & (pixels < size + radius + 1), axis=1))
    if not len(near):
        return
    draw = ImageDraw.Draw(image)
    for x, y in (pixels[near] + offset).tolist():
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=dot, outline=dot_outline)
    inside = near[np.all((pixels[near] >= 0) & (pixels[near] < size), axis=1)]
    face = font(font_size(z))
    names = [plain_name(places.names[i]) for i in inside.tolist()]
    sizes = []
    for name in names:
        left, top, right, bottom = (round(v) for v in draw.textbbox((0, 0), name, font=face, stroke_width=1))
        sizes.append((right - left, bottom - top))
    boxes = place_labels(pixels[inside], sizes, pixels[near], radius, size)
    for name, box in zip(names, boxes, strict=True):
        if box is not None:
            _text(image, (box[0] + offset[0], box[1] + offset[1]), name, face, text)
