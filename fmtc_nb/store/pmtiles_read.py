"""Reading a PMTiles v3 archive made by any tool while trusting nothing in it.

The metadata and every directory are decompressed with a cap each and all directories together within
:func:`inflate_budget` (no gzip bomb); leaf directories lie inside their section and are read once each, and
entries ascend and stay inside their parent's tile-id range (so shared or cyclic leaves are refused);
varints and entry counts are bounded by the bytes that hold them; and the archive may address at most
:func:`max_addressed_tiles` tiles for its size, checked before any tile is read.
"""

from __future__ import annotations

import json
import mmap
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from fmtc_nb.errors import StoreError
from fmtc_nb.store.formats import PMTILES_MAGIC

HEADER_BYTES = 127
_HEADER = struct.Struct("<7sB11QBBBBBB4iB2i")
#: Caps on decompressed sizes (bytes): one directory, and the JSON metadata.
MAX_DIRECTORY_BYTES = 16 << 20
MAX_METADATA_BYTES = 16 << 20
#: Leaf levels below the root directory the format allows.
MAX_LEAF_DEPTH = 3
#: Tiles any archive may address, however small it is.
MIN_TILE_ALLOWANCE = 1 << 20
_NONE, _GZIP = 1, 2
_FORMATS = {1: "pbf", 2: "png", 3: "jpg", 4: "webp", 5: "avif"}


def max_addressed_tiles(file_bytes: int) -> int:
    """Tiles an archive of ``file_bytes`` may address: one per byte of the file, and at least
    :data:`MIN_TILE_ALLOWANCE` (run lengths let a real archive address more tiles than it has bytes only
    for large runs of one tile, such as open sea; a tiny file claiming a billion tiles is a crafted one)."""
    return max(MIN_TILE_ALLOWANCE, file_bytes)


def inflate_budget(file_bytes: int) -> int:
    """Bytes all directories of an archive of ``file_bytes`` may decompress to together (a real archive's
    directories take a small share of it, and compress a few times)."""
    return max(64 << 20, 16 * file_bytes)


def tile_id_start(z: int) -> int:
    """The first tile id of zoom ``z`` (Hilbert order, zooms one after another)."""
    return ((1 << (2 * z)) - 1) // 3


@dataclass(frozen=True)
class Entry:
    tile_id: int
    offset: int
    length: int
    run_length: int


class PMTilesFile:
    """A checked PMTiles v3 archive: :attr:`metadata`, :attr:`tile_format`, :attr:`addressed` and
    :meth:`tiles` (XYZ). ``StoreError`` (one sentence) for anything the format does not allow."""

    def __init__(self, path: Path, max_zoom: int) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.max_zoom = max_zoom
        self.end_id = tile_id_start(max_zoom + 1)
        self._budget = inflate_budget(self.size)
        with self._mapping() as read:
            self.header = self._header(read(0, HEADER_BYTES))
            self.metadata = self._metadata(read)
            self.addressed = sum(e.run_length for e in self._entries(read))
        expected = self.header["addressed_tiles_count"]
        if expected and expected != self.addressed:
            self._refuse(f"the directories address {self.addressed} tiles, the header says {expected}")
        self.tile_format = _FORMATS.get(self.header["tile_type"])

    def tiles(self) -> Iterator[tuple[int, int, int, bytes]]:
        """Every tile as (z, x, y, data), XYZ rows; a run yields the same bytes object for each of its tiles."""
        base = self.header["tile_data_offset"]
        with self._mapping() as read:
            for entry in self._entries(read):
                data = read(base + entry.offset, entry.length)
                for tile_id in range(entry.tile_id, entry.tile_id + entry.run_length):
                    yield (*zxy(tile_id), data)

    # -- reading -------------------------------------------------------------------------------------------
    def _mapping(self) -> _Mapped:
        return _Mapped(self.path)

    def _refuse(self, problem: str) -> NoReturn:
        raise StoreError(f"The file {self.path} is a damaged PMTiles archive ({problem}).")

    def _header(self, raw: bytes) -> dict[str, int]:
        if len(raw) < HEADER_BYTES or not raw.startswith(PMTILES_MAGIC):
            self._refuse(f"it has {len(raw)} bytes, fewer than the {HEADER_BYTES}-byte header")
        if raw[7] != 3:
            raise StoreError(f"The file {self.path} is a PMTiles v{raw[7]} archive; only v3 is supported.")
        values = _HEADER.unpack(raw[:HEADER_BYTES])
        names = ("root_offset", "root_length", "metadata_offset", "metadata_length", "leaf_directory_offset",
                 "leaf_directory_length", "tile_data_offset", "tile_data_length", "addressed_tiles_count",
                 "tile_entries_count", "tile_contents_count", "clustered", "internal_compression",
                 "tile_compression", "tile_type", "min_zoom", "max_zoom")
        header = dict(zip(names, values[2:], strict=False))
        if header["internal_compression"] not in (_NONE, _GZIP):
            self._refuse(f"its directories use compression {header['internal_compression']}; fmtc-nb reads "
                         "uncompressed and gzip ones")
        for part in ("root", "metadata", "leaf_directory", "tile_data"):
            end = header[f"{part}_offset"] + header[f"{part}_length"]
            if end > self.size:
                raise StoreError(f"The PMTiles archive {self.path} is truncated ({self.size} bytes, its "
                                 f"{part.replace('_', ' ')} section ends at {end}).")
        if header["root_length"] == 0:
            self._refuse("it has no root directory")
        return header

    def _inflate(self, data: bytes, limit: int, what: str) -> bytes:
        """``data`` decompressed as the header says, refusing more than ``limit`` bytes or a cut-off stream."""
        if self.header["internal_compression"] == _NONE:
            if len(data) > limit:
                self._refuse(f"its {what} is larger than {limit} bytes")
            return data
        inflater = zlib.decompressobj(wbits=31)  # gzip
        try:
            out = inflater.decompress(data, min(limit, self._budget) + 1)
        except zlib.error as exc:
            self._refuse(f"its {what} is not valid gzip data ({exc})")
        if len(out) > limit:
            self._refuse(f"its {what} decompresses to more than {limit} bytes")
        self._budget -= len(out)
        if self._budget < 0:
            self._refuse("its directories decompress to far more than an archive of its size can hold")
        if not inflater.eof or inflater.unused_data:
            self._refuse(f"its {what} is cut off or followed by stray bytes")
        return out

    def _metadata(self, read: Callable[[int, int], bytes]) -> dict[str, str]:
        h = self.header
        raw = self._inflate(read(h["metadata_offset"], h["metadata_length"]), MAX_METADATA_BYTES, "metadata")
        try:
            meta = json.loads(raw) if raw.strip() else {}
            if not isinstance(meta, dict):
                self._refuse("its metadata is not a JSON object")
            return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in meta.items()}
        except (ValueError, RecursionError) as exc:
            self._refuse(f"its metadata is not readable JSON ({str(exc)[:80]})")

    def _entries(self, read: Callable[[int, int], bytes]) -> Iterator[Entry]:
        """The tile entries (run length > 0) of every directory, each directory read once and checked."""
        h = self.header
        leaf_base, leaf_end = h["leaf_directory_offset"], h["leaf_directory_length"]
        read_leaves: set[int] = set()
        allowance, addressed = max_addressed_tiles(self.size), 0
        pending = [(h["root_offset"], h["root_length"], 0, 0, self.end_id)]
        while pending:
            offset, length, depth, low, high = pending.pop()
            entries = self._directory(read(offset, length), "root directory" if depth == 0 else "leaf directory")
            for i, entry in enumerate(entries):
                upper = entries[i + 1].tile_id if i + 1 < len(entries) else high
                if entry.tile_id < low or entry.tile_id >= upper or upper > high:
                    self._refuse("directory entries are out of order or outside their parent's range")
                if entry.run_length == 0:
                    if depth >= MAX_LEAF_DEPTH:
                        self._refuse("directories nest deeper than the format allows")
                    if entry.offset + entry.length > leaf_end or entry.length == 0:
                        self._refuse("a leaf directory lies outside its section")
                    if entry.offset in read_leaves:
                        self._refuse("two directory entries point at the same leaf directory")
                    read_leaves.add(entry.offset)
                    pending.append((leaf_base + entry.offset, entry.length, depth + 1, entry.tile_id, upper))
                    continue
                if entry.offset + entry.length > h["tile_data_length"]:
                    self._refuse("a tile lies outside the tile data section")
                if entry.tile_id + entry.run_length > upper:
                    self._refuse(f"a run of tiles overlaps the next entry or goes past zoom {self.max_zoom}")
                addressed += entry.run_length
                if addressed > allowance:
                    self._refuse(f"it addresses more than {allowance:,} tiles in {self.size:,} bytes, more than "
                                 "one tile a byte, which fmtc-nb refuses as a crafted archive")
                yield entry

    def _directory(self, compressed: bytes, what: str) -> list[Entry]:
        raw = self._inflate(compressed, MAX_DIRECTORY_BYTES, what)
        pos = 0

        def varint() -> int:
            nonlocal pos
            value = shift = 0
            while pos < len(raw) and shift < 64:
                byte = raw[pos]
                pos += 1
                value |= (byte & 0x7F) << shift
                if not byte & 0x80:
                    return value
                shift += 7
            self._refuse(f"its {what} ends inside a number")

        count = varint()
        if count * 4 > len(raw):  # each entry takes four numbers of at least one byte
            self._refuse(f"its {what} claims {count} entries in {len(raw)} bytes")
        ids, last = [], 0
        for _ in range(count):
            last += varint()
            ids.append(last)
        runs = [varint() for _ in range(count)]
        lengths = [varint() for _ in range(count)]
        entries: list[Entry] = []
        for i in range(count):
            raw_offset = varint()
            if raw_offset == 0 and i == 0:
                self._refuse(f"its {what} starts with a relative offset")
            offset = entries[-1].offset + entries[-1].length if raw_offset == 0 else raw_offset - 1
            entries.append(Entry(ids[i], offset, lengths[i], runs[i]))
        return entries


class _Mapped:
    """``with`` giving ``read(offset, length) -> bytes`` over a read-only memory map of the file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.map: mmap.mmap | None = None

    def __enter__(self) -> Callable[[int, int], bytes]:
        self.file = self.path.open("rb")
        try:
            self.map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            self.map = None
        data = self.map
        return (lambda offset, length: data[offset:offset + length]) if data is not None else (lambda o, n: b"")

    def __exit__(self, *exc: object) -> None:
        if self.map is not None:
            self.map.close()
        self.file.close()


def zxy(tile_id: int) -> tuple[int, int, int]:
    """(z, x, y) of a tile id (XYZ rows)."""
    from pmtiles.tile import tileid_to_zxy

    return tileid_to_zxy(tile_id)
