"""Writes the reference notebooks (without outputs) from the cells below: ``python notebooks/build.py``.

Edit the cells here, not the .ipynb files, so the notebooks stay clean and reviewable. Each notebook is a list
of ("md" | "code", text) cells.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

CLEANUP_MD = """## Tidy up
Everything this notebook started (tile server, devices, proxies) stops here. If you skip this cell, the same
happens when the kernel shuts down."""
CLEANUP = "session.close()\nprint('stopped; files are in', session.root)"

PLAN = [
    ("md", """# 1 · Plan a region

You will pick an area on a map, see exactly how many map tiles it covers at each zoom level, estimate how many
bytes and how long a download would take, and let the zoom planner tell you how deep you can go within a
storage budget.

**Words used here.** Web maps are cut into 256-pixel square *tiles*. At *zoom* 0 one tile shows the whole
world; every zoom level splits each tile into four, so zoom 12 has 16.7 million tiles. Downloading a region
for offline use means fetching every tile that touches it, at every zoom you want.

Everything runs offline: the map comes from fmtc-nb's *embedded tile server*, which draws the Natural Earth
countries on your machine. Run the cells from top to bottom (Shift+Enter)."""),
    ("code", """from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Circle, Corridor, Rectangle, example_region, parse_region
from fmtc_nb.reports import plot_tiles_per_zoom
from fmtc_nb.widgets import EstimatePanel, RegionPicker
from fmtc_nb.widgets.session import NotebookSession

session = NotebookSession("plan")   # a scratch folder, plus a list of what to stop at the end
server = session.tile_server()      # the embedded tile server, in the background
print("map tiles from", server.url_template)"""),
    ("md", """## Draw a region
Use the toolbar on the left of the map: a **rectangle**, a **circle**, a **polygon** (click the corners, click the
first one again to close it) or a **line** (a road or river: every tile within *line radius* metres of it
counts). You can draw several shapes, move their corners (edit) and delete them. The table beside the map and
the orange tile outlines (the tiles of *show zoom*) follow every change.

So that this notebook also runs unattended, the next cell puts three shapes on the map from code: Lake Geneva
(rectangle), the city of Bern (circle, 12 km) and a 2 km corridor along the Rhône valley. Draw more on top."""),
    ("code", """picker = RegionPicker(server.url_template, zooms="0-14", tile_zoom=12, corridor_radius_m=2000)
picker.set_regions([
    Rectangle(6.15, 46.2, 6.95, 46.55),                          # west, south, east, north (degrees)
    Circle(7.44, 46.95, 12),                                     # longitude, latitude, radius in km
    Corridor([(6.95, 46.3), (7.35, 46.23), (7.6, 46.3)], 2000),  # a path, radius in metres
])
picker"""),
    ("md", """## Tiles per zoom
The counts are exact: fmtc-nb works out, row by row, which tiles the shapes touch, without listing the tiles
one by one. A tile covered by two shapes counts once. Each zoom roughly quadruples the count, which is why the
zoom range matters more than anything else for the size of a download."""),
    ("code", """print(f"{picker.total:,} tiles from zoom {picker.zooms[0]} to {picker.zooms[-1]}")
picker.counts_frame"""),
    ("code", """plot_tiles_per_zoom(picker.counts_frame);"""),
    ("md", """## Regions as files
A region can be saved as GeoJSON and loaded again, by this notebook, by the `fmtc-nb` command line or by
another tool. fmtc-nb also ships an example region (Lake Geneva and the western Swiss Alps)."""),
    ("code", """import json

path = session.root / "my_region.geojson"
path.write_text(json.dumps(picker.geojson))
again = parse_region(str(path))                         # the command line takes the same file
assert TileCover(again, picker.zooms).counts == picker.counts         # same tiles after the round trip
print("saved", path.name, "-", again.kind, "region with", len(again.regions), "parts")
print("example region tiles per zoom:", TileCover(example_region(), range(0, 11)).counts)"""),
    ("md", """## How big, how long?
Tile sizes vary a lot (sea is tiny, cities are large), so the estimate *measures*: it downloads a random
sample of the region's tiles at each zoom and scales up. The result is a range with 95% confidence, not a
single number. *Storage* can be far below *download* because identical tiles (the sea, empty land) are stored
once.

The planner answers the practical question: with this budget, how deep can I go? Here the budget is a tiny
80 kB so that it has to choose; try "2MB" and every zoom fits. Press **Estimate** after you change the region
or the budget (the next cell presses it for you)."""),
    ("code", """estimate_panel = EstimatePanel(picker, server.url_template, budget="80KB", seed=1)
estimate_panel.run()
estimate_panel"""),
    ("code", """estimate_panel.estimate.per_zoom[["tiles", "sampled", "mean_bytes", "bytes_low", "bytes_high"]]"""),
    ("md", """Each row of the plan below is a choice "download from the first zoom up to *max_zoom*", with the storage
it needs and the probability that it fits the budget. The planner's answer above names two depths: the
deepest whose *estimate* fits (it may still overflow: look at its probability), and the deepest that fits with
at least 95% probability, the safe choice."""),
    ("code", """import pandas as pd

plan = estimate_panel.plan
pd.DataFrame([{"max_zoom": o.max_zoom, "tiles": o.tiles, "storage_bytes": round(o.storage_bytes.estimate),
               "p_fits": round(o.probability, 3)} for o in plan.options]).set_index("max_zoom")"""),
    ("md", CLEANUP_MD),
    ("code", CLEANUP),
]

FOREGROUND = [
    ("md", """# 2 · Download a region in the foreground

This notebook downloads a region into a **store** while you watch: progress bars for every zoom, the live
speed, and buttons to pause, resume or cancel. Then it opens the store as what it is, an ordinary **MBTiles**
file, and exports it as **PMTiles**, the single-file format for serving maps from plain web hosting.

"Foreground" means the download runs inside this notebook's Python process: keep the notebook open until it
ends. (Notebook 3 hands the job to a phone instead.) Everything runs offline on the embedded tile server."""),
    ("code", """from fmtc_nb.engine import DownloadJob, DownloadOptions
from fmtc_nb.regions import Circle
from fmtc_nb.reports import completion_by_zoom, plot_progress, plot_tiles_per_zoom, throughput_frame
from fmtc_nb.source import TileSource
from fmtc_nb.store import Root
from fmtc_nb.widgets import DownloadPanel
from fmtc_nb.widgets.session import NotebookSession

session = NotebookSession("foreground")
server = session.tile_server(latency_s=0.005)   # 5 ms per tile, a bit like a real server
root = Root(session.root)                        # the folder holding the stores
print("stores live in", session.root)"""),
    ("md", """## The job
A job says *what* (a region and zooms), *from where* (a tile source: a URL template with `{z}`, `{x}`, `{y}`),
*into which store* (a name) and *how* (options). Here: 15 km around Lausanne, zooms 0 to 15, 8 requests at a
time, at most 400 tiles per second. Be kind to real tile servers: set a rate limit and read their usage
policy; fmtc-nb refuses bulk downloads from tile.openstreetmap.org, whose policy forbids them."""),
    ("code", """region = Circle(6.63, 46.52, 15)
job = DownloadJob(region, list(range(0, 16)), TileSource(server.url_template), "lausanne",
                  DownloadOptions(parallel=8, rate_limit=400))
print(f"{job.cover().total:,} tiles to fetch")"""),
    ("md", """## Download with live progress
`start()` runs the download in the background, so the buttons stay usable. The next cell also pauses it for a
moment from code and then waits for the end, so the notebook runs unattended; when you work by hand, just use
the buttons."""),
    ("code", """panel = DownloadPanel(job, root).start()
panel"""),
    ("code", """import time

time.sleep(1.0)
panel.pause()
paused_at = panel.snapshot.attempted
time.sleep(1.0)                      # only requests already in flight finish while paused
print("paused at", paused_at, "tiles; one second later:", panel.snapshot.attempted)
panel.resume()
final = panel.wait()
print(f"{final.status}: {final.cached:,} tiles stored, {final.failed} failed, "
      f"{final.cached_bytes / 1e3:,.0f} kB in {final.elapsed_s:.1f} s")"""),
    ("md", """## What happened, per zoom and over time
Every tile ends in exactly one outcome: *cached* (fetched and stored now), *skipped_existing* (already in the
store), *skipped_sea* (identical to the sea tile, when asked to skip those), *failed_negative* (the server
said it has no such tile) or *failed_request* (still failing after every retry)."""),
    ("code", """table = completion_by_zoom(panel.recorder, planned=panel.planned)
table"""),
    ("code", """throughput_frame(panel.recorder)[["seconds", "attempted", "cached", "interval_tiles_per_s", "mb_per_s"]].tail()"""),
    ("code", """plot_progress(panel.recorder)
plot_tiles_per_zoom(table);"""),
    ("md", """## The store is an MBTiles file
A store is one SQLite file that follows the MBTiles 1.3 specification, so QGIS, GDAL or any MBTiles viewer
opens it directly. Below we read it with nothing but Python's `sqlite3`: the metadata table and one tile
(MBTiles numbers tile rows from the south, hence the flipped `y`)."""),
    ("code", """import sqlite3

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
display(Image(data=data))"""),
    ("code", """import shutil
import subprocess

if shutil.which("gdalinfo"):   # GDAL, if installed, agrees that this is MBTiles
    out = subprocess.run(["gdalinfo", str(path)], capture_output=True, text=True).stdout
    print(next(line for line in out.splitlines() if line.startswith("Driver")))"""),
    ("md", """## Export to PMTiles
PMTiles puts a whole tile pyramid into one file that a browser map can read straight from any web server or
bucket, without a tile server. We export and read one tile back to check it is the same. The file is much
smaller than the store: it keeps each distinct tile once and has no database pages or indexes."""),
    ("code", """from pmtiles.reader import MmapSource, Reader

from fmtc_nb.store.export import export_store

pmtiles_path = session.root / "lausanne.pmtiles"
written = export_store(store, "pmtiles", pmtiles_path, overwrite=True)
with open(pmtiles_path, "rb") as f:
    reader = Reader(MmapSource(f))
    header = reader.header()
    assert reader.get(z, x, y) == store.get_tile(z, x, y)
print(f"{written:,} tiles, {pmtiles_path.stat().st_size / 1e3:,.0f} kB, zooms {header['min_zoom']}-{header['max_zoom']}")
store.close()"""),
    ("md", """## Browse the store offline
A store can also feed a map by itself. The *caching proxy* serves tiles from the store on a local address; in
`cache-only` mode it never touches the network, so this map shows exactly what you downloaded (zoom in past
15 and it runs out of tiles). In the default `cache-first` mode it would fetch and store missing tiles as you
browse."""),
    ("code", """from fmtc_nb.widgets import RegionPicker

proxy = session.store_proxy("lausanne", mode="cache-only")
browse = RegionPicker(proxy.url_template, zooms="0-15", tile_zoom=13, center=(46.52, 6.63), zoom=11)
browse.set_regions([region], fit=False)
browse"""),
    ("code", """import urllib.request

tile = urllib.request.urlopen(proxy.url_template.format(z=z, x=x, y=y)).read()
check = root.open("lausanne")
assert tile == check.get_tile(z, x, y)
check.close()
print("served from the store:", proxy.hits, "hit(s),", proxy.misses, "miss(es)")"""),
    ("md", CLEANUP_MD),
    ("code", CLEANUP),
]


DEVICE = [
    ("md", """# 3 · Download in the background on a phone

A big download takes a while. Instead of keeping this notebook open, you can hand the job to a phone running
the fmtc-nb app: the phone downloads in an Android *foreground service* (with a notification, so Android lets
it keep working), stores the tiles, and you take the finished store back with one call.

By default this notebook uses the **virtual device**: the same phone app, run on your computer with a simulated
Android, so everything works offline. To use a **real phone**, change the one cell marked *real phone*.

The steps: pair (the phone shows a six-digit code), look at what the phone reports, dispatch a region, watch
the job live, see the phone's notification, and pull the store back."""),
    ("code", """from fmtc_nb.regions import Circle
from fmtc_nb.reports import plot_progress, store_zoom_frame
from fmtc_nb.store import Root
from fmtc_nb.widgets import DevicePanel, RegionPicker
from fmtc_nb.widgets.session import NotebookSession

session = NotebookSession("device")
server = session.tile_server()     # the phone downloads from this embedded tile server"""),
    ("md", """## Connect to the phone  · *real phone: change this cell*
For a real phone: install and open the fmtc-nb app (see docs/android.md) and start its bridge. On Wi-Fi ("Start
on Wi-Fi", phone and computer on the same network) set `DEVICE_URL` to `"http://PHONE-IP:8765"`; over USB
("Start", then `adb forward tcp:8765 tcp:8765` on the computer) to `"http://127.0.0.1:8765"`. Set `CODE` to the
six digits of the pairing code shown in the app's notification. The phone cannot reach this notebook's tile server (it listens on 127.0.0.1 of your computer), so also set
`TILE_URL` to a source the phone can reach: a tile server started with `fmtc-nb serve-tiles --host 0.0.0.0`
on this computer (use its network address, not 127.0.0.1), or a real provider that allows bulk downloads.
Leave `DEVICE_URL = None` for the virtual device."""),
    ("code", """DEVICE_URL = None   # real phone: "http://PHONE-IP:8765"
CODE = None         # real phone: the six digits in the app's notification
TILE_URL = server.url_template   # real phone: "http://THIS-PC-IP:8766/{z}/{x}/{y}.png" or a provider

if DEVICE_URL is None:
    phone = session.virtual_device("phone")   # starts `python -m android_bridge --virtual`
    DEVICE_URL, CODE, screen = phone.url, phone.code, phone.screen
else:
    screen = None                             # the panel draws its notification from the job's progress
print("device at", DEVICE_URL)"""),
    ("md", """## The region
The same picker as in notebook 1. The job goes to the phone with the shapes and zooms chosen here."""),
    ("code", """picker = RegionPicker(TILE_URL, zooms="0-15", tile_zoom=13, center=(46.52, 6.63), zoom=10)
picker.set_regions([Circle(6.63, 46.52, 15)])
picker"""),
    ("md", """## Pair and look at the phone
Pairing trades the code for a secret token that this computer keeps (here in the notebook's scratch folder,
normally in your user configuration). The panel then shows what the phone reports. Note the **battery
optimisation** line: while the app is *optimised*, Android (and some vendors far more than others) may stop a
long background download; notebook 5 is about that."""),
    ("code", """panel = DevicePanel(DEVICE_URL, picker=picker, tile_url=TILE_URL, screen=screen,
                    config_dir=session.root / "config", store="lausanne-phone")
panel.pair(CODE, name="my phone")
panel"""),
    ("code", """{k: panel.info[k] for k in ("platform", "android_version", "vendor", "model", "battery_optimisation_ignored",
                            "notifications_allowed")}"""),
    ("md", """## Dispatch and watch
**Dispatch region** sends the job; the phone answers at once and works on its own from then on. The progress
below comes live from the phone (server-sent events), and the card on the right is the notification the phone
shows while it works. The next cell presses the button for you and waits for the end."""),
    ("code", """job = panel.dispatch(rate_limit=300)   # DownloadOptions fields: rate_limit, parallel, retries ...
panel.watch()
print("job", job["id"], "with", job["tiles_total"], "tiles sent to the phone")"""),
    ("code", """final = panel.wait(timeout=90)
print(final["status"], "-", final["tiles_done"], "tiles,", final["bytes"], "bytes,", final["tiles_per_s"], "tiles/s")
panel.notification   # the last notification seen (the phone removes it when the job ends)"""),
    ("code", """plot_progress(panel.recorder);"""),
    ("md", """## The phone's view of its jobs, and the store back home
The phone keeps every job in its own recovery registry. `pull` copies a store from the phone into a local root:
the copy is checked before it takes its place, so an interrupted pull never leaves a broken store."""),
    ("code", """panel.client.jobs_frame()[["store", "status", "tiles_done", "tiles_total", "bytes", "runs"]]"""),
    ("code", """local = Root(session.root / "home")
path = panel.client.pull("lausanne-phone", local)
stats = local.open("lausanne-phone").stats()
print(f"pulled {path.name}: {stats.tiles:,} tiles")
store_zoom_frame(stats).T"""),
    ("md", CLEANUP_MD),
    ("code", CLEANUP),
]

LIMITS = [
    ("md", """# 5 · Background limits: what stops a download on a phone, and what brings it back

Phones protect their battery by stopping apps that work in the background. For a map download that runs for an
hour this matters a lot. This notebook is a small classroom on the virtual device:

1. **battery optimisation**: the setting that decides whether Android may stop the app;
2. **the notification**: an Android *foreground service* must show one; it is what keeps the job alive, and
   what the user sees;
3. **a killed service**: some vendors kill even foreground services; we kill the virtual phone's service the
   hard way (SIGKILL) in the middle of a job;
4. **recovery**: when the app starts again, it resumes the job exactly where its last checkpoint left it;
5. **vendor facts**: which phone makers are known to kill background work, from dontkillmyapp.com."""),
    ("code", """import time

from android_bridge.platform.virtual import VirtualPlatform
from android_bridge.vendors import ATTRIBUTION, vendor_advice, vendor_frame
from fmtc_nb.regions import Circle
from fmtc_nb.widgets import DevicePanel
from fmtc_nb.widgets.session import NotebookSession

session = NotebookSession("limits")
server = session.tile_server(latency_s=0.01)
phone = session.virtual_device("phone")
panel = DevicePanel(phone.url, tile_url=server.url_template, screen=phone.screen,
                    config_dir=session.root / "config", store="bern")
panel.pair(phone.code, name="classroom phone")
panel"""),
    ("md", """## 1 · Battery optimisation
A freshly installed app is *optimised*: Android may delay its work, cut its network access in Doze, and some
vendors kill it outright. The app asks the user to exempt it (a system dialog); on the phone the switch lives
under *Settings › Apps › fmtc-nb › Battery › Unrestricted*. The virtual phone keeps the same switch in a
settings file. Watch the **battery optimisation** line of the panel change."""),
    ("code", """print("before:", "exempt" if panel.info["battery_optimisation_ignored"] else "optimised")
VirtualPlatform(phone.root / "bridge").change_settings(battery_optimisation_ignored=True)   # the user said yes
info = panel.refresh_info()
print("after: ", "exempt" if info["battery_optimisation_ignored"] else "optimised")"""),
    ("md", """## 2 · The notification
While a job runs the app is a foreground service with an *ongoing* notification (it cannot be swiped away).
Start a job and look at the card: it is drawn from what the virtual phone shows, updated as tiles arrive."""),
    ("code", """region = Circle(7.44, 46.95, 20)      # Bern, 20 km
job = panel.dispatch(region, "0-15", rate_limit=250)
panel.watch()
time.sleep(2.0)
screen = panel.refresh_screen()
print("foreground service:", screen["foreground"], "| wake lock:", screen["wake_lock"])
screen["notification"]"""),
    ("md", """## 3 · The service is killed
Now the phone's power manager strikes: the process dies at once, without a chance to save anything (SIGKILL).
The panel loses the phone. Only what was already checkpointed survives: tiles are stored in batches, and each
batch's checkpoint is written in the same transaction as its tiles, so the store and the checkpoint always
agree."""),
    ("code", """phone.kill()
panel.wait(timeout=15)
print(panel.error)     # the panel shows it in red, with what to do next
done_before = panel.recorder.last["attempted"]
print(f"about {done_before:,} of {job['tiles_total']:,} tiles were done when the service died")"""),
    ("md", """## 4 · Recovery
When the app starts again (the user opens it, or Android restarts the service), it looks at its recovery
registry, sees a job whose owner is gone, and resumes it: only the tiles not yet stored are fetched. The
`resumed` list below comes from the phone itself."""),
    ("code", """phone.restart()
print("resumed on start:", phone.info["resumed"])
panel.watch(job["id"])
final = panel.wait(timeout=90)
print(final["status"], "after", final["runs"], "runs:", final["tiles_done"], "of", final["tiles_total"], "tiles")"""),
    ("code", """panel.client.recovery_frame()[["store", "status", "tiles_done", "tiles_total", "runs", "duration_s"]]"""),
    ("md", """## 5 · Vendor facts
How hard a phone fights background work depends mostly on its maker. The table below ranks vendors by
dontkillmyapp.com's "award" (5: worst). Show its credit line wherever you show the data (CC-BY)."""),
    ("code", """vendors = vendor_frame()
print(vendors.attrs["attribution"])
vendors[["vendor", "award", "fgs_killed_by_default", "user_can_fix", "url"]].head(8)"""),
    ("code", """advice = vendor_advice("Xiaomi")
print(f"{advice['vendor']}: award {advice['award']}/5 -", advice["symptoms"])
print(ATTRIBUTION)"""),
    ("md", """**Take-aways.** Ask for the battery-optimisation exemption before a long job; keep the notification (it
is the foreground service); expect the service to be killed anyway on some phones, and rely on recovery rather
than on luck."""),
    ("md", CLEANUP_MD),
    ("code", CLEANUP),
]

RECOVERY = [
    ("md", """# 4 · Recovery and completion reports

Downloads get interrupted: a laptop lid closes, a kernel is restarted, a process is killed. fmtc-nb records
every job in a *recovery registry* next to the stores, and checkpoints each job exactly, so an interrupted job
resumes with only the tiles it is missing.

In this notebook we start a download in a separate process, **kill it** the hard way (SIGKILL: no chance to
clean up), ask recovery what it knows, **resume** the job here with live progress, and then look at the
completion reports: pandas tables and plots."""),
    ("code", """import signal
import subprocess
import sys
import time

from fmtc_nb.recovery import RecoveryRegistry
from fmtc_nb.reports import (
    completion_by_zoom,
    plot_progress,
    plot_tiles_per_zoom,
    recovery_frame,
    store_zoom_frame,
    summary,
    throughput_frame,
)
from fmtc_nb.store import Root
from fmtc_nb.widgets import DownloadPanel
from fmtc_nb.widgets.session import NotebookSession

session = NotebookSession("recovery")
# 2% of requests fail (errors, broken images, HTML pages) so that retries show up in the reports
server = session.tile_server(latency_s=0.005, failure_rate=0.02)
root = Root(session.root)"""),
    ("md", """## A job that gets killed
The command line `fmtc-nb download` runs the job in its own process and records it for recovery. We let it
work for a moment, then kill it."""),
    ("code", """cmd = [sys.executable, "-m", "fmtc_nb", "--root", str(session.root), "download", "circle:8.54,47.37,20",
       "--zoom", "0-15", "--url", server.url_template, "--store", "zurich", "--rate-limit", "400"]
runner = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
session.add(runner.kill)                        # never leave it behind, whatever happens below
registry = RecoveryRegistry(session.root)
session.add(registry.close)
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not any(j.tiles_done > 500 for j in registry.jobs()):
    time.sleep(0.1)
runner.send_signal(signal.SIGKILL)
runner.wait()
print("killed the download process; exit code", runner.returncode)"""),
    ("md", """## What recovery says
The registry sees that the job's owner (that process, recognised by its pid *and* start time) is gone, so the
job is `failed` and resumable. Its counts come from the checkpoint that the store keeps: the checkpoint is
written in the same database transaction as the tiles, so it never claims a tile the store lacks."""),
    ("code", """recovery_frame(session.root)[["store", "status", "reason", "tiles_done", "tiles_total", "runs", "owner"]]"""),
    ("code", """(info,) = registry.jobs()
checkpoint = registry.checkpoint(info.id)
stored = root.open("zurich").stats().tiles
print(f"checkpoint: {checkpoint.tiles_done:,} tiles with an outcome (every index below {checkpoint.watermark:,} "
      f"is done); the store holds {stored:,} tiles")"""),
    ("md", """## Resume
`resume` claims the job for this notebook and gives back the job and a *tracker*: the tracker tells the
engine which tiles are still missing and keeps checkpointing. The download panel runs it with live progress."""),
    ("code", """job, tracker = registry.resume(info.id)
panel = DownloadPanel(job, root, checkpointer=tracker).start()
panel"""),
    ("code", """final = panel.wait()
missing = info.tiles_total - checkpoint.tiles_done
print(f"{final.status}: fetched {final.attempted:,} tiles, {missing:,} were missing")
summary(panel.recorder)"""),
    ("md", """## Completion per zoom and outcome
`completion_by_zoom` counts the outcome of every tile of the resumed run, per zoom, with the bytes stored. The
low zooms show nothing: the first run had finished them before it was killed. The store's own statistics then
show both runs together against what each zoom needs (*planned*)."""),
    ("code", """table = completion_by_zoom(panel.recorder)
table"""),
    ("code", """in_store = store_zoom_frame(root.open("zurich").stats()).rename(columns={"tiles": "in_store"})
in_store["planned"] = in_store.index.map(panel.planned)
in_store["complete"] = in_store["in_store"] == in_store["planned"]
in_store.T"""),
    ("md", """## Over time
One row per progress snapshot (about ten a second): tiles done, speed in the last interval, megabytes per
second. Retries show up as dips in speed; a flat stretch at the very end is the last tile or two waiting out
their retry back-off before the job can finish."""),
    ("code", """frames = throughput_frame(panel.recorder)
frames[["seconds", "attempted", "cached", "failed", "interval_tiles_per_s", "mb_per_s"]].describe().loc[["count", "mean", "max"]]"""),
    ("code", """plot_progress(panel.recorder)
plot_tiles_per_zoom(table);"""),
    ("md", """## The registry afterwards
The job is `completed` after two runs. `fmtc-nb recovery list` shows the same table from a terminal."""),
    ("code", """recovery_frame(session.root)[["status", "tiles_done", "tiles_failed", "tiles_total", "runs", "duration_s", "tiles_per_s"]]"""),
    ("md", CLEANUP_MD),
    ("code", CLEANUP),
]

NOTEBOOKS = {
    "01_plan_region.ipynb": PLAN,
    "02_foreground_download.ipynb": FOREGROUND,
    "03_device_download.ipynb": DEVICE,
    "04_recovery_reports.ipynb": RECOVERY,
    "05_background_limits.ipynb": LIMITS,
}


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook (no outputs) with the project's kernel metadata."""
    nb = new_notebook(cells=[new_markdown_cell(text) if kind == "md" else new_code_cell(text) for kind, text in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def main() -> int:
    for name, cells in NOTEBOOKS.items():
        nb = build(cells)
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)
        print("wrote", name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
