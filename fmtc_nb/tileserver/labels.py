"""Populated places on a tile: a dot and a name, placed so that no two names overlap and each name lies wholly
inside the tile (so no name is ever cut at a tile edge; a place whose name fits nowhere keeps its dot)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fmtc_nb.tileserver.basemap import Places

FIRST_ZOOM = 3
"""Places are drawn from this zoom on."""
PAD = 2
"""Pixels kept free around every name."""
Box = tuple[int, int, int, int]


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


def draw_places(image: Image.Image, places: Places, z: int, origin: np.ndarray, scale: float, size: int,
                offset: tuple[int, int], dot: int, dot_outline: int, text: tuple[int, int, int]) -> None:
    """Draw the places inside the tile whose top-left world pixel is ``origin`` (``scale`` pixels per world
    unit, tile ``size`` pixels, drawn at ``offset`` in the palette image): dots in palette index ``dot``
    (outlined ``dot_outline``), names in the palette indexes ``text`` = (halo, soft edge, letters). Places
    come in the data's fixed order, so every tile makes the same choices."""
    if z < FIRST_ZOOM:
        return
    pixels = places.xy * scale - origin
    inside = np.flatnonzero((pixels[:, 0] >= 0) & (pixels[:, 0] < size) & (pixels[:, 1] >= 0) & (pixels[:, 1] < size))
    if not len(inside):
        return
    face = font(font_size(z))
    radius = dot_radius(z)
    draw = ImageDraw.Draw(image)
    taken: list[Box] = []
    for i in inside.tolist():
        x, y = pixels[i]
        ox, oy = x + offset[0], y + offset[1]
        draw.ellipse((ox - radius, oy - radius, ox + radius, oy + radius), fill=dot, outline=dot_outline)
        taken.append((round(x) - radius, round(y) - radius, round(x) + radius + 1, round(y) + radius + 1))
    for i in inside.tolist():
        x, y = pixels[i]
        name = places.names[i]
        left, top, right, bottom = (round(v) for v in draw.textbbox((0, 0), name, font=face, stroke_width=1))
        for box in _candidates(x, y, right - left, bottom - top, radius + 3):
            padded = (box[0] - PAD, box[1] - PAD, box[2] + PAD, box[3] + PAD)
            if box[0] >= 1 and box[1] >= 1 and box[2] <= size - 1 and box[3] <= size - 1 and not _overlaps(padded, taken):
                _text(image, (box[0] + offset[0], box[1] + offset[1]), name, face, text)
                taken.append(padded)
                break
