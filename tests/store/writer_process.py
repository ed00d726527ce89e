"""A store writer run as a real subprocess by the concurrency tests:
``python -m tests.store.writer_process ROOT NAME BATCHES BATCH_SIZE`` (BATCHES 0: forever).

Batch i (from 1) writes BATCH_SIZE new tiles and the checkpoint ``str(i)`` in one transaction, so a reader
can check that the tiles it sees always equal checkpoint x BATCH_SIZE.
"""

from __future__ import annotations

import itertools
import sys
import time

from fmtc_nb.store import Root, TileRecord

URL = "http://tiles.example/{z}/{x}/{y}.png"


def main() -> None:
    root, name, batches, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    store = Root(root).open_or_create(name, URL)
    z = 20
    counter = itertools.count(1) if batches == 0 else range(1, batches + 1)
    for i in counter:
        row = i  # one row of tiles per batch, distinct bytes per tile (no dedup help)
        recs = [TileRecord(z, x, row, b"\x89PNG\r\n\x1a\n" + i.to_bytes(4, "big") + x.to_bytes(4, "big") * 16,
                           time.time()) for x in range(size)]
        store.put_tiles(recs, checkpoint=("job", str(i)))
        if i == 1:
            print("ready", flush=True)
    store.close()


if __name__ == "__main__":
    main()
