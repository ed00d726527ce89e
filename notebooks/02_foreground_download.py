# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 2 · Download a region in the foreground
#
# This notebook downloads a region into a **store** while you watch: progress bars for every zoom, the live
# speed, and buttons to pause, resume or cancel. Then it opens the store as what it is, an ordinary **MBTiles**
# file, and exports it as **PMTiles**, the single-file format for serving maps from plain web hosting.
#
# "Foreground" means the download runs inside this notebook's Python process: keep the notebook open until it
# ends. (Notebook 3 hands the job to a phone instead.) Everything runs offline on the embedded tile server.

# %%
from fmtc_nb.engine import DownloadJob, DownloadOptions
from fmtc_nb.regions import Circle
from fmtc_nb.reports import completion_by_zoom, plot_progress, plot_tiles_per_zoom, throughput_frame
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.units import human_bytes, human_duration
from fmtc_nb.widgets import DownloadPanel
from fmtc_nb.widgets.session import NotebookSession

session = NotebookSession("foreground")
server = session.tile_server(latency_s=0.005)   # 5 ms per tile, a bit like a real server
root = Root(session.root)                        # the folder holding the stores
print("stores live in", session.root)

# %% [markdown]
# ## The job
# A job says *what* (a region and zooms), *from where* (a tile source: a URL template with `{z}`, `{x}`, `{y}`),
# *into which store* (a name) and *how* (options). Here: 15 km around Lausanne, zooms 0 to 15, 8 requests at a
# time, at most 400 tiles per second. Be kind to real tile servers: set a rate limit and read their usage
# policy; fmtc-nb refuses bulk downloads from tile.openstreetmap.org, whose policy forbids them.

# %%
region = Circle(6.63, 46.52, 15)
job = DownloadJob(region, list(range(0, 16)), TileSource(server.url_template), "lausanne",
                  DownloadOptions(parallel=8, rate_limit=400))
print(f"{job.cover().total:,} tiles to fetch")

# %% [markdown]
# ## Download with live progress
# `start()` runs the download in the background, so the buttons stay usable. `pause_at(400)` asks the panel to
# pause by itself once 400 tiles are done: a pause from code that works however long you take between cells
# (a `pause()` in a later cell would find nothing to pause if the download had already finished). When you work
# by hand, just use the buttons.

# %%
panel = DownloadPanel(job, root)
panel.pause_at(400)
panel.start()
panel

# %% [markdown]
# The next cell waits for that pause, shows that nothing more is fetched while paused (only requests already in
# flight finish), then resumes and waits for the end.

# %%
import time

paused = panel.wait_paused()
time.sleep(1.0)
print(f"{panel.status}: {paused.attempted:,} tiles when it paused, {panel.snapshot.attempted:,} one second later")
panel.resume()
final = panel.wait()
print(f"{final.status}: {final.cached:,} tiles stored, {final.failed:,} failed, "
      f"{human_bytes(final.cached_bytes)} in {human_duration(final.elapsed_s)}")

# %% [markdown]
# ## What happened, per zoom and over time
# Every tile ends in exactly one outcome: *cached* (fetched and stored now), *skipped_existing* (already in the
# store), *skipped_sea* (identical to the sea tile, when asked to skip those), *failed_negative* (the server
# said it has no such tile) or *failed_request* (still failing after every retry).

# %%
table = completion_by_zoom(panel.recorder, planned=panel.planned)
table

# %%
throughput_frame(panel.recorder)[["seconds", "attempted", "cached", "interval_tiles_per_s", "mb_per_s"]].tail()

# %%
plot_progress(panel.recorder)
plot_tiles_per_zoom(table);

# %% [markdown]
# ## The store is an MBTiles file
# A store is one SQLite file that follows the MBTiles 1.3 specification, so QGIS, GDAL or any MBTiles viewer
# opens it directly. Below we read it with nothing but Python's `sqlite3`: the metadata table and one tile
# (MBTiles numbers tile rows from the south, hence the flipped `y`).

# %%
import sqlite3

from IPython.display import Image, display

from fmtc_nb.tilemath import lat_to_unit, lon_to_unit

store = root.open("lausanne")
stats = store.stats()
print(f"{stats.tiles:,} tiles, {stats.disk_bytes / 1e3:,.0f} kB on disk, zooms {min(stats.zooms)}-{max(stats.zooms)}")
path = root.store_path("lausanne")
with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
    print(dict(db.execute("SELECT name, value FROM metadata")))
    z = 9                          # the zoom-9 tile over Lausanne
    x, y = int(lon_to_unit(6.63) * 2**z), int(lat_to_unit(46.52) * 2**z)
    (data,) = db.execute("SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                         (z, x, (1 << z) - 1 - y)).fetchone()
db.close()
display(Image(data=data))

# %%
import shutil
import subprocess

if shutil.which("gdalinfo"):   # GDAL, if installed, agrees that this is MBTiles
    out = subprocess.run(["gdalinfo", str(path)], capture_output=True, text=True).stdout
    print(next(line for line in out.splitlines() if line.startswith("Driver")))

# %% [markdown]
# ## Export to PMTiles
# PMTiles puts a whole tile pyramid into one file that a browser map can read straight from any web server or
# bucket, without a tile server. We export and read one tile back to check it is the same. The file is much
# smaller than the store: it keeps each distinct tile once and has no database pages or indexes.

# %%
from pmtiles.reader import MmapSource, Reader

from fmtc_nb.store.export import export_store

pmtiles_path = session.root / "lausanne.pmtiles"
written = export_store(store, "pmtiles", pmtiles_path, overwrite=True)
with open(pmtiles_path, "rb") as f:
    reader = Reader(MmapSource(f))
    header = reader.header()
    assert reader.get(z, x, y) == store.get_tile(z, x, y)
print(f"{written:,} tiles, {pmtiles_path.stat().st_size / 1e3:,.0f} kB, zooms {header['min_zoom']}-{header['max_zoom']}")
store.close()

# %% [markdown]
# ## Browse the store offline
# A store can also feed a map by itself. The *caching proxy* serves tiles from the store on a local address; in
# `cache-only` mode it never touches the network, so this map shows exactly what you downloaded: a browse-only
# map with the region's outline. Past zoom 15, the deepest stored, it enlarges the zoom-15 tiles and says so
# under the map. In the default `cache-first` mode the proxy would fetch and store missing tiles as you browse.

# %%
from fmtc_nb.widgets import StoreMap

proxy = session.store_proxy("lausanne", mode="cache-only")
browse = StoreMap(proxy.url_template, panel.planned, region=region)
browse

# %%
import urllib.request

tile = urllib.request.urlopen(proxy.url_template.format(z=z, x=x, y=y)).read()
check = root.open("lausanne")
assert tile == check.get_tile(z, x, y)
check.close()
print("served from the store:", proxy.hits, "hit(s),", proxy.misses, "miss(es)")

# %% [markdown]
# ## Tidy up
# Everything this notebook started (tile server, devices, proxies) stops here. If you skip this cell, the same
# happens when the kernel shuts down.

# %%
session.close()
print('stopped; files are in', session.root)
