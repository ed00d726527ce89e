# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 1 · Plan a region
#
# You will pick an area on a map, see exactly how many map tiles it covers at each zoom level, estimate how many
# bytes and how long a download would take, and let the zoom planner tell you how deep you can go within a
# storage budget.
#
# **Words used here.** Web maps are cut into 256-pixel square *tiles*. At *zoom* 0 one tile shows the whole
# world; every zoom level splits each tile into four, so zoom 12 has 16.7 million tiles. Downloading a region
# for offline use means fetching every tile that touches it, at every zoom you want.
#
# Everything runs offline: the map comes from fmtc-nb's *embedded tile server*, which draws the Natural Earth
# countries on your machine. Run the cells from top to bottom (Shift+Enter).

# %%
from IPython.display import display

from fmtc_nb.cover import TileCover
from fmtc_nb.regions import Circle, Corridor, Rectangle, example_region, parse_region
from fmtc_nb.reports import plot_tiles_per_zoom
from fmtc_nb.widgets import EstimatePanel, RegionPicker
from fmtc_nb.widgets.session import NotebookSession

session = NotebookSession("plan")   # a scratch folder, plus a list of what to stop at the end
server = session.tile_server()      # the embedded tile server, in the background
print("map tiles from", server.url_template)

# %% [markdown]
# ## Draw a region
# Use the toolbar on the left of the map: a **rectangle**, a **circle**, a **polygon** (click the corners, click the
# first one again to close it) or a **line** (a road or river: every tile within *line radius* metres of it
# counts). You can draw several shapes, move their corners (edit), drag and erase them. The table beside the map
# and the orange strips over the map (the tiles of *show zoom*, one strip per row of tiles) follow every change.
# A shape that is no region (a polygon whose edges cross, like a bow-tie) is outlined in red and named beside the
# map; it is left out, and the other shapes keep counting until you edit or erase it.
#
# So that this notebook also runs unattended, the next cell puts three shapes on the map from code: Lake Geneva
# (rectangle), the city of Bern (circle, 12 km) and a 2 km corridor along the Rhône valley. Draw more on top.

# %%
picker = RegionPicker(server.url_template, zooms="0-14", tile_zoom=12, corridor_radius_m=2000)
picker.set_regions([
    Rectangle(6.15, 46.2, 6.95, 46.55),                          # west, south, east, north (degrees)
    Circle(7.44, 46.95, 12),                                     # longitude, latitude, radius in km
    Corridor([(6.95, 46.3), (7.35, 46.23), (7.6, 46.3)], 2000),  # a path, radius in metres
])
picker

# %% [markdown]
# ## Tiles per zoom
# The counts are exact: fmtc-nb works out, row by row, which tiles the shapes touch, without listing the tiles
# one by one. A tile covered by two shapes counts once. Each zoom roughly quadruples the count, which is why the
# zoom range matters more than anything else for the size of a download.

# %%
print(f"{picker.total:,} tiles from zoom {picker.zooms[0]} to {picker.zooms[-1]}")
picker.counts_frame

# %%
plot_tiles_per_zoom(picker.counts_frame);

# %% [markdown]
# ## Regions as files
# A region can be saved as GeoJSON and loaded again, by this notebook, by the `fmtc-nb` command line or by
# another tool. fmtc-nb also ships an example region (Lake Geneva and the western Swiss Alps).

# %%
import json

path = session.root / "my_region.geojson"
if picker.region is None:                               # every shape erased, or none of them a region
    print("There is no region on the map yet: draw one (or run the cell that sets three shapes) first.")
else:
    path.write_text(json.dumps(picker.geojson))
    again = parse_region(str(path))                     # the command line takes the same file
    assert TileCover(again, picker.zooms).counts == picker.counts     # same tiles after the round trip
    print("saved", path.name, "-", again.kind, "region with", len(getattr(again, "regions", [again])), "part(s)")
print("example region tiles per zoom:", TileCover(example_region(), range(0, 11)).counts)

# %% [markdown]
# ## How big, how long?
# Tile sizes vary a lot (sea is tiny, cities are large), so the estimate *measures*: it downloads a random
# sample of the region's tiles at each zoom and scales up. The result is a range with 95% confidence, not a
# single number. *Storage* can be far below *download* because identical tiles (the sea, empty land) are stored
# once.
#
# The planner answers the practical question: with this budget, how deep can I go? Here the budget is a tiny
# 80 kB so that it has to choose; try "2MB" and every zoom fits. Press **Estimate** after you change the region
# or the budget (the next cell presses it for you).

# %%
estimate_panel = EstimatePanel(picker, server.url_template, budget="80KB", seed=1)
estimate_panel.run()
estimate_panel

# %%
if estimate_panel.estimate is None:                     # no region on the map, or the estimate was refused
    print(estimate_panel.error or "No estimate yet: press Estimate above.")
else:
    display(estimate_panel.estimate.per_zoom[["tiles", "sampled", "mean_bytes", "bytes_low", "bytes_high"]])

# %% [markdown]
# Each row of the plan below is a choice "download from the first zoom up to *max_zoom*", with the storage
# it needs and the probability that it fits the budget. The planner's answer above names two depths: the
# deepest whose *estimate* fits (it may still overflow: look at its probability), and the deepest that fits with
# at least 95% probability, the safe choice.

# %%
import pandas as pd

plan = estimate_panel.plan
if plan is None:                                        # no estimate yet, or the budget box is empty
    print("No plan yet: set a budget and press Estimate above.")
else:
    display(pd.DataFrame([{"max_zoom": o.max_zoom, "tiles": o.tiles, "storage_bytes": round(o.storage_bytes.estimate),
                           "p_fits": round(o.probability, 3)} for o in plan.options]).set_index("max_zoom"))

# %% [markdown]
# ## Tidy up
# Everything this notebook started (tile server, devices, proxies) stops here. If you skip this cell, the same
# happens when the kernel shuts down.

# %%
session.close()
print('stopped; files are in', session.root)
