"""MBTiles-native tile stores: each store is one SQLite file that any MBTiles reader (GDAL, QGIS) opens.

``Root`` finds and manages stores; ``Store`` writes batches of ``TileRecord`` in one transaction each and
answers reads and O(1) ``stats``. See docs/store.md.
"""

from fmtc_nb.store.names import check_name
from fmtc_nb.store.records import StoreStats, TileRecord
from fmtc_nb.store.root import Root
from fmtc_nb.store.store import Store, tms_row

__all__ = ["Root", "Store", "StoreStats", "TileRecord", "check_name", "tms_row"]
