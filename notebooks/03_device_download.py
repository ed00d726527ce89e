# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3 · Download in the background on a phone
#
# A big download takes a while. Instead of keeping this notebook open, you can hand the job to a phone running
# the fmtc-nb app: the phone downloads in an Android *foreground service* (with a notification, so Android lets
# it keep working), stores the tiles, and you take the finished store back with one call.
#
# By default this notebook uses the **virtual device**: the same phone app, run on your computer with a simulated
# Android, so everything works offline. To use a **real phone**, change the one cell marked *real phone*.
#
# The steps: pair (the phone shows a six-digit code), look at what the phone reports, dispatch a region, watch
# the job live, see the phone's notification, and pull the store back.

# %%
from fmtc_nb.regions import Circle
from fmtc_nb.reports import plot_progress, store_zoom_frame
from fmtc_nb.store import Root
from fmtc_nb.units import human_bytes, human_count
from fmtc_nb.widgets import DevicePanel, RegionPicker
from fmtc_nb.widgets.session import NotebookSession

session = NotebookSession("device")
server = session.tile_server()     # the phone downloads from this embedded tile server

# %% [markdown]
# ## Connect to the phone  · *real phone: change this cell*
# For a real phone: install and open the fmtc-nb app (see docs/android.md) and start its bridge. On Wi-Fi ("Start
# on Wi-Fi", phone and computer on the same network) set `DEVICE_URL` to `"http://PHONE-IP:8765"`; over USB
# ("Start", then `adb forward tcp:8765 tcp:8765` on the computer) to `"http://127.0.0.1:8765"`. Set `CODE` to the
# six digits of the pairing code shown in the app's notification. The phone cannot reach this notebook's tile server (it listens on 127.0.0.1 of your computer), so also set
# `TILE_URL` to a source the phone can reach: a tile server started with `fmtc-nb serve-tiles --host 0.0.0.0`
# on this computer (use its network address, not 127.0.0.1), or a real provider that allows bulk downloads.
# Leave `DEVICE_URL = None` for the virtual device.

# %%
DEVICE_URL = None   # real phone: "http://PHONE-IP:8765"
CODE = None         # real phone: the six digits in the app's notification
TILE_URL = server.url_template   # real phone: "http://THIS-PC-IP:8766/{z}/{x}/{y}.png" or a provider

if DEVICE_URL is None:
    phone = session.virtual_device("phone")   # starts `python -m android_bridge --virtual`
    DEVICE_URL, CODE, screen = phone.url, phone.code, phone.screen
else:
    screen = None                             # the panel draws its notification from the job's progress
print("device at", DEVICE_URL)

# %% [markdown]
# ## The region
# The same picker as in notebook 1. The job goes to the phone with the shapes and zooms chosen here.

# %%
picker = RegionPicker(TILE_URL, zooms="0-15", tile_zoom=13, center=(46.52, 6.63), zoom=10)
picker.set_regions([Circle(6.63, 46.52, 15)])
picker

# %% [markdown]
# ## Pair and look at the phone
# Pairing trades the code for a secret token that this computer keeps (here in the notebook's scratch folder,
# normally in your user configuration). The panel then shows what the phone reports. Note the **battery
# optimisation** line: while the app is *optimised*, Android (and some vendors far more than others) may stop a
# long background download; notebook 5 is about that.

# %%
panel = DevicePanel(DEVICE_URL, picker=picker, tile_url=TILE_URL, screen=screen,
                    config_dir=session.root / "config", store="lausanne-phone")
panel.pair(CODE, name="my phone")
panel

# %%
{k: panel.info[k] for k in ("platform", "android_version", "vendor", "model", "battery_optimisation_ignored",
                            "notifications_allowed")}

# %% [markdown]
# ## Dispatch and watch
# **Dispatch region** sends the job; the phone answers at once and works on its own from then on. The progress
# below comes live from the phone (server-sent events), and the card on the right is the notification the phone
# shows while it works, drawn with the app's own builder from the same figures; when the job ends it names the
# final state. The next cell presses the button for you; watching is a task on this notebook's event loop (no
# thread), so the notebook stays free while the phone works: `panel.task.cancel()` stops watching (the phone goes
# on), and `await panel.finished()` waits for the end.

# %%
job = panel.dispatch(rate_limit=300)   # DownloadOptions fields: rate_limit, parallel, retries ...
panel.watch_task()
print("job", job["id"], "with", job["tiles_total"], "tiles sent to the phone")

# %%
final = await panel.finished(timeout=90)
print(f"{final.status}: {final.tiles_done:,} tiles, {human_bytes(final.bytes)}, "
      f"{human_count(round(final.tiles_per_s, 1), 'tiles/s')}")
panel.notification_view   # the card, in its final state

# %%
plot_progress(panel.recorder);

# %% [markdown]
# ## The phone's view of its jobs, and the store back home
# The phone keeps every job in its own recovery registry. `pull` copies a store from the phone into a local root:
# the copy is checked before it takes its place, so an interrupted pull never leaves a broken store.

# %%
panel.client.jobs_frame()[["store", "status", "tiles_done", "tiles_total", "bytes", "runs"]]

# %%
local = Root(session.root / "home")
path = panel.client.pull("lausanne-phone", local)
stats = local.open("lausanne-phone").stats()
print(f"pulled {path.name}: {stats.tiles:,} tiles")
store_zoom_frame(stats).T

# %% [markdown]
# ## Tidy up
# Everything this notebook started (tile server, devices, proxies) stops here. If you skip this cell, the same
# happens when the kernel shuts down.

# %%
session.close()
print('stopped; files are in', session.root)
