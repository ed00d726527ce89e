"""The embedded demo tile server: PNG tiles of a Natural Earth basemap (land, lakes, rivers, boundaries, places)
on 127.0.0.1, with optional latency, failures and 429 bursts, so notebooks, demos and tests work without the
internet.

>>> with running_server() as server:          # doctest: +SKIP
...     print(server.url_template)             # http://127.0.0.1:PORT/{z}/{x}/{y}.png
"""

from fmtc_nb.tileserver.faults import Burst429, Faults
from fmtc_nb.tileserver.render import ATTRIBUTION, render_tile, sea_tile
from fmtc_nb.tileserver.running import ServerProcess, ServerThread, running_server, start_server

__all__ = ["ATTRIBUTION", "Burst429", "Faults", "ServerProcess", "ServerThread", "render_tile", "running_server",
           "sea_tile", "start_server"]
