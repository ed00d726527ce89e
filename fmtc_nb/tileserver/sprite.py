"""The demo style's sprite: a few icons drawn with Pillow, as MapLibre sprite sheets (``sprite.json`` + ``sprite.png``
at pixel ratio 1, ``sprite@2x.json`` + ``sprite@2x.png`` at 2). Deterministic bytes."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from functools import lru_cache

from PIL import Image, ImageDraw

Draw = Callable[[ImageDraw.ImageDraw, int], None]


def _dot(draw: ImageDraw.ImageDraw, r: int) -> None:
    """A town: dark dot in a white ring (icon of 10 x 10 units)."""
    draw.ellipse((0, 0, 10 * r - 1, 10 * r - 1), fill=(255, 255, 255, 255))
    draw.ellipse((2 * r, 2 * r, 8 * r - 1, 8 * r - 1), fill=(70, 70, 70, 255))


def _square(draw: ImageDraw.ImageDraw, r: int) -> None:
    """A capital: a red square in a white frame (12 x 12 units)."""
    draw.rectangle((0, 0, 12 * r - 1, 12 * r - 1), fill=(255, 255, 255, 255))
    draw.rectangle((2 * r, 2 * r, 10 * r - 1, 10 * r - 1), fill=(200, 30, 30, 255))


def _pin(draw: ImageDraw.ImageDraw, r: int) -> None:
    """A marker pin (12 x 18 units)."""
    draw.polygon([(1 * r, 6 * r), (6 * r, 18 * r - 1), (11 * r, 6 * r)], fill=(40, 90, 200, 255))
    draw.ellipse((0, 0, 12 * r - 1, 12 * r - 1), fill=(40, 90, 200, 255))
    draw.ellipse((4 * r, 4 * r, 8 * r - 1, 8 * r - 1), fill=(255, 255, 255, 255))


#: icon name -> (width, height in units, drawing)
ICONS: dict[str, tuple[int, int, Draw]] = {"dot": (10, 10, _dot), "capital": (12, 12, _square), "pin": (12, 18, _pin)}


@lru_cache(maxsize=2)
def sprite_sheet(ratio: int) -> tuple[bytes, bytes]:
    """(JSON index, PNG sheet) of the sprite at pixel ratio ``ratio`` (1 or 2): icons side by side, 1 px apart."""
    if ratio not in (1, 2):
        raise ValueError(f"The demo sprite exists at pixel ratios 1 and 2, not {ratio}.")
    width = sum(w * ratio + 1 for w, _, _ in ICONS.values())
    height = max(h for _, h, _ in ICONS.values()) * ratio
    sheet = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    index: dict[str, dict[str, int]] = {}
    x = 0
    for name, (w, h, draw) in ICONS.items():
        icon = Image.new("RGBA", (w * ratio, h * ratio), (0, 0, 0, 0))
        draw(ImageDraw.Draw(icon), ratio)
        sheet.paste(icon, (x, 0))
        index[name] = {"x": x, "y": 0, "width": w * ratio, "height": h * ratio, "pixelRatio": ratio}
        x += w * ratio + 1
    png = io.BytesIO()
    sheet.save(png, "PNG", optimize=False, compress_level=6)
    return json.dumps(index, indent=1, sort_keys=True).encode(), png.getvalue()
