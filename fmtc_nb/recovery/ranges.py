"""A set of non-negative tile indexes kept as sorted disjoint half-open ranges, with a compact text form.

Downloads finish tiles almost in index order, so the done set of even a huge job is a handful of ranges; the
set costs memory and text in proportion to its gaps, never to its size.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator

from fmtc_nb.errors import RecoveryError


class IndexRanges:
    """Sorted disjoint ranges ``[start, end)`` of indexes; ``add``/``discard``/``in`` cost O(log ranges).

    >>> r = IndexRanges.of([0, 1, 2, 5, 6, 9]); r.to_text(), len(r), r.first_gap()
    ('0+3,2+2,2+1', 6, 3)
    """

    __slots__ = ("_starts", "_ends", "_count", "_parts", "_clean")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._count = 0
        # text of each range (see to_text), valid for the first ``_clean`` ranges: a change re-encodes only
        # from the first range it touched, so a checkpoint a batch costs what changed, not the whole set
        self._parts: list[str] = []
        self._clean = 0

    @classmethod
    def of(cls, indexes: Iterable[int]) -> IndexRanges:
        """The set of ``indexes``."""
        ranges = cls()
        for i in indexes:
            ranges.add(i)
        return ranges

    def copy(self) -> IndexRanges:
        """An independent copy."""
        other = IndexRanges()
        other._starts, other._ends, other._count = list(self._starts), list(self._ends), self._count
        other._parts, other._clean = self._parts[: self._clean], self._clean
        return other

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __contains__(self, index: int) -> bool:
        pos = bisect_right(self._starts, index) - 1
        return pos >= 0 and index < self._ends[pos]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndexRanges) and self.ranges() == other.ranges()

    def __repr__(self) -> str:
        return f"IndexRanges({self.to_text()!r})"

    def ranges(self) -> list[tuple[int, int]]:
        """The ``(start, end_exclusive)`` ranges, ascending."""
        return list(zip(self._starts, self._ends, strict=True))

    def __iter__(self) -> Iterator[int]:
        for start, end in zip(self._starts, self._ends, strict=True):
            yield from range(start, end)

    def add(self, index: int) -> bool:
        """Add ``index``; True if it was not in the set."""
        starts, ends = self._starts, self._ends
        pos = bisect_right(starts, index) - 1
        if pos >= 0 and index < ends[pos]:
            return False
        self._clean = min(self._clean, max(pos, 0))
        joins_left = pos >= 0 and ends[pos] == index
        joins_right = pos + 1 < len(starts) and starts[pos + 1] == index + 1
        if joins_left and joins_right:
            ends[pos] = ends[pos + 1]
            del starts[pos + 1], ends[pos + 1]
        elif joins_left:
            ends[pos] = index + 1
        elif joins_right:
            starts[pos + 1] = index
        else:
            starts.insert(pos + 1, index)
            ends.insert(pos + 1, index + 1)
        self._count += 1
        return True

    def add_range(self, start: int, end: int) -> None:
        """Add every index of ``[start, end)`` (O(log ranges) plus the ranges it swallows)."""
        if start >= end:
            return
        starts, ends = self._starts, self._ends
        lo = bisect_right(ends, start - 1)  # first range ending at or after start (touching counts)
        hi = bisect_right(starts, end)  # ranges before hi start at or before end (touching counts)
        self._clean = min(self._clean, lo)
        if lo < hi:
            start, end = min(start, starts[lo]), max(end, ends[hi - 1])
            self._count -= sum(e - s for s, e in zip(starts[lo:hi], ends[lo:hi], strict=True))
        starts[lo:hi] = [start]
        ends[lo:hi] = [end]
        self._count += end - start

    def difference(self, other: IndexRanges) -> IndexRanges:
        """The indexes in this set and not in ``other``, as a new set (O(ranges of both))."""
        out = IndexRanges()
        cut = list(zip(other._starts, other._ends, strict=True))
        j = 0
        for s, e in zip(self._starts, self._ends, strict=True):
            while j < len(cut) and cut[j][1] <= s:
                j += 1
            k, pos = j, s
            while k < len(cut) and cut[k][0] < e:
                if cut[k][0] > pos:
                    out.add_range(pos, cut[k][0])
                pos = max(pos, cut[k][1])
                k += 1
            if pos < e:
                out.add_range(pos, e)
        return out

    def union(self, other: IndexRanges) -> IndexRanges:
        """The indexes in either set, as a new set."""
        out = self.copy()
        for s, e in zip(other._starts, other._ends, strict=True):
            out.add_range(s, e)
        return out

    def shifted(self, offset: int) -> IndexRanges:
        """Every index plus ``offset``, as a new set."""
        out = IndexRanges()
        out._starts = [s + offset for s in self._starts]
        out._ends = [e + offset for e in self._ends]
        out._count = self._count
        return out

    def discard(self, index: int) -> bool:
        """Remove ``index``; True if it was in the set."""
        starts, ends = self._starts, self._ends
        pos = bisect_right(starts, index) - 1
        if pos < 0 or index >= ends[pos]:
            return False
        self._clean = min(self._clean, pos)
        start, end = starts[pos], ends[pos]
        if start == index and end == index + 1:
            del starts[pos], ends[pos]
        elif start == index:
            starts[pos] = index + 1
        elif end == index + 1:
            ends[pos] = index
        else:
            ends[pos] = index
            starts.insert(pos + 1, index + 1)
            ends.insert(pos + 1, end)
        self._count -= 1
        return True

    def first_gap(self) -> int:
        """The smallest index not in the set (the watermark when the set holds finished tiles)."""
        return self._ends[0] if self._starts and self._starts[0] == 0 else 0

    def gaps(self, start: int, end: int) -> Iterator[int]:
        """Ascending indexes of ``[start, end)`` not in the set."""
        i = start
        pos = max(bisect_right(self._starts, start) - 1, 0)
        for s, e in zip(self._starts[pos:], self._ends[pos:], strict=True):
            if s >= end:
                break
            yield from range(i, min(s, end))
            i = max(i, e)
        yield from range(i, end)

    def above(self, floor: int) -> IndexRanges:
        """The indexes ``>= floor`` as a new set."""
        out = IndexRanges()
        first = bisect_right(self._ends, floor)  # ranges ending after floor
        for s, e in zip(self._starts[first:], self._ends[first:], strict=True):
            out._starts.append(max(s, floor))
            out._ends.append(e)
            out._count += e - max(s, floor)
        return out

    def within(self, start: int, end: int) -> IndexRanges:
        """The indexes of ``[start, end)`` in the set, as a new set (a shard's part of a job's checkpoint)."""
        out = IndexRanges()
        first = bisect_right(self._ends, start)  # ranges ending after start
        for s, e in zip(self._starts[first:], self._ends[first:], strict=True):
            if s >= end:
                break
            out.add_range(max(s, start), min(e, end))
        return out

    def to_text(self) -> str:
        """Compact text: ``gap+length`` pairs, comma separated, each gap counted from the previous end."""
        parts, clean = self._parts, self._clean
        if clean < len(self._starts) or len(parts) != len(self._starts):
            del parts[clean:]
            prev = self._ends[clean - 1] if clean else 0
            for s, e in zip(self._starts[clean:], self._ends[clean:], strict=True):
                parts.append(f"{s - prev}+{e - s}")
                prev = e
            self._clean = len(parts)
        return ",".join(parts)

    @classmethod
    def from_text(cls, text: str) -> IndexRanges:
        """Inverse of :meth:`to_text`; malformed text raises :class:`RecoveryError`."""
        out = cls()
        prev = 0
        if not text:
            return out
        try:
            for part in text.split(","):
                gap_text, _, length_text = part.partition("+")
                gap, n = int(gap_text), int(length_text)
                if n <= 0 or gap < (1 if out._starts else 0):  # ranges are disjoint and never adjacent
                    raise ValueError(part)
                out._starts.append(prev + gap)
                out._ends.append(prev + gap + n)
                out._count += n
                prev += gap + n
        except ValueError as exc:
            raise RecoveryError(f"The checkpoint index ranges {text[:60]!r} are malformed ({exc}).") from None
        return out
