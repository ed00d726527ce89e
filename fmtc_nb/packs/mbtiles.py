"""A pack's stores as MBTiles 1.3 readers expect them: each vector store carries the ``json`` metadata with its
``vector_layers`` (which GDAL and QGIS read to list the layers), every store a name, a description and the
source's attribution."""

from __future__ import annotations

import gzip
import json
from itertools import islice
from typing import Any

from fmtc_nb.packs.plan import PlannedSource
from fmtc_nb.store import Root, Store

#: Tiles read to find the layer names of a vector source whose TileJSON lists none.
LAYER_SAMPLE = 200


def open_source_store(root: Root, pack: str, source: PlannedSource) -> Store:
    """Open (creating it if missing) the store of one source of pack ``pack`` and write its metadata; a store
    of that name holding another source's tiles is refused (StoreError)."""
    fmt = "pbf" if source.type == "vector" else source.tile_format
    store = root.open_or_create(source.store, source.template, **({"format": fmt} if fmt else {}))
    meta: dict[str, Any] = {"name": f"{pack} {source.id}", "type": "overlay",
                            "description": f"fmtc-nb pack {pack}: source {source.id} ({source.type})"}
    if source.attribution:
        meta["attribution"] = source.attribution
    if source.type == "vector" and source.vector_layers:
        meta["json"] = json.dumps({"vector_layers": source.vector_layers}, separators=(",", ":"))
    store.set_metadata(**meta)
    return store


def layer_names(tile: bytes) -> list[str]:
    """The layer names of a Mapbox Vector Tile (gzip or plain), read from its protobuf: field 3 (``layers``)
    of the tile, field 1 (``name``) of each layer."""
    if tile[:2] == b"\x1f\x8b":
        tile = gzip.decompress(tile)
    names = []
    for field, value in _fields(tile):
        if field == 3 and isinstance(value, bytes):
            names += [v.decode("utf-8", "replace") for f, v in _fields(value) if f == 1 and isinstance(v, bytes)]
    return names


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) of a protobuf message: varints as ints, length-delimited fields as bytes."""
    out: list[tuple[int, int | bytes]] = []
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
            out.append((field, value))
        elif wire == 2:
            size, pos = _varint(data, pos)
            out.append((field, data[pos:pos + size]))
            pos += size
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        else:
            raise ValueError(f"protobuf wire type {wire} is not used by vector tiles")
    return out


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7


def complete_vector_metadata(store: Store, source: PlannedSource) -> None:
    """Give a vector store whose TileJSON listed no ``vector_layers`` the layers found in its tiles (a sample of
    :data:`LAYER_SAMPLE`), so MBTiles readers can open it."""
    if source.type != "vector" or "json" in store.metadata():
        return
    names: dict[str, None] = {}
    for record in islice(store.iter_tiles(), LAYER_SAMPLE):
        try:
            names.update(dict.fromkeys(layer_names(record.data)))
        except (ValueError, IndexError, OSError, EOFError):
            continue
    if names:
        layers = [{"id": n, "fields": {}} for n in names]
        store.set_metadata(json=json.dumps({"vector_layers": layers}, separators=(",", ":")))
