# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4 · Recovery and completion reports
#
# Downloads get interrupted: a laptop lid closes, a kernel is restarted, a process is killed. fmtc-nb records
# every job in a *recovery registry* next to the stores, and checkpoints each job exactly, so an interrupted job
# resumes with only the tiles it is missing.
#
# In this notebook we start a download in a separate process, **kill it** the hard way (SIGKILL: no chance to
# clean up), ask recovery what it knows, **resume** the job here with live progress, and then look at the
# completion reports: pandas tables and plots.

# %%
import subprocess
import sys
import time

import pandas as pd

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

pd.set_option("display.max_colwidth", None)   # show sentences (reasons) whole, never cut mid-word

session = NotebookSession("recovery")
# 2% of requests fail (errors, broken images, HTML pages) so that retries show up in the reports
server = session.tile_server(latency_s=0.005, failure_rate=0.02)
root = Root(session.root)

# %% [markdown]
# ## A job that gets killed
# The command line `fmtc-nb download` runs the job in its own process and records it for recovery. We let it
# work for a moment, then kill it.

# %%
cmd = [sys.executable, "-m", "fmtc_nb", "--root", str(session.root), "download", "circle:8.54,47.37,20",
       "--zoom", "0-15", "--url", server.url_template, "--store", "zurich", "--rate-limit", "400"]
runner = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
session.add(runner.kill)                        # never leave it behind, whatever happens below
registry = RecoveryRegistry(session.root)
session.add(registry.close)
deadline = time.monotonic() + 30
while time.monotonic() < deadline and not any(j.tiles_done > 500 for j in registry.jobs()):
    time.sleep(0.1)
runner.kill()                                   # SIGKILL (on Windows: TerminateProcess)
runner.wait()
print("killed the download process; exit code", runner.returncode)

# %% [markdown]
# ## What recovery says
# The registry sees that the job's owner (that process, recognised by its pid *and* start time) is gone, so the
# job is `failed` and resumable. Its counts come from the checkpoint that the store keeps: the checkpoint is
# written in the same database transaction as the tiles, so it never claims a tile the store lacks.

# %%
recovery_frame(session.root)[["store", "status", "reason", "tiles_done", "tiles_total", "runs", "owner"]]

# %%
(info,) = registry.jobs()
checkpoint = registry.checkpoint(info.id)
stored = root.open("zurich").stats().tiles
print(f"checkpoint: {checkpoint.tiles_done:,} tiles with an outcome (every index below {checkpoint.watermark:,} "
      f"is done); the store holds {stored:,} tiles")

# %% [markdown]
# ## Resume
# `resume` claims the job for this notebook and gives back the job and a *tracker*: the tracker tells the
# engine which tiles are still missing and keeps checkpointing. The download panel runs it with live progress.

# %%
job, tracker = registry.resume(info.id)
panel = DownloadPanel(job, root, checkpointer=tracker).start()
panel

# %%
final = panel.wait()
missing = info.tiles_total - checkpoint.tiles_done
print(f"{final.status}: fetched {final.attempted:,} tiles, {missing:,} were missing")
summary(panel.recorder)

# %% [markdown]
# ## Completion per zoom and outcome
# `completion_by_zoom` counts the outcome of every tile of the resumed run, per zoom, with the bytes stored. The
# low zooms show nothing: the first run had finished them before it was killed. The store's own statistics then
# show both runs together against what each zoom needs (*planned*).

# %%
table = completion_by_zoom(panel.recorder)
table

# %%
in_store = store_zoom_frame(root.open("zurich").stats()).rename(columns={"tiles": "in_store"})
in_store["planned"] = in_store.index.map(panel.planned)
in_store["complete"] = in_store["in_store"] == in_store["planned"]
in_store.T

# %% [markdown]
# ## Over time
# One row per progress snapshot (about ten a second): tiles done, speed in the last interval, megabytes per
# second. Retries show up as dips in speed; a flat stretch at the very end is the last tile or two waiting out
# their retry back-off before the job can finish.

# %%
frames = throughput_frame(panel.recorder)
frames[["seconds", "attempted", "cached", "failed", "interval_tiles_per_s", "mb_per_s"]].describe().loc[["count", "mean", "max"]]

# %%
plot_progress(panel.recorder)
plot_tiles_per_zoom(table);

# %% [markdown]
# ## The registry afterwards
# The job is `completed` after two runs. `fmtc-nb recovery list` shows the same table from a terminal.

# %%
recovery_frame(session.root)[["status", "tiles_done", "tiles_failed", "tiles_total", "runs", "duration_s", "tiles_per_s"]]

# %% [markdown]
# ## Tidy up
# Everything this notebook started (tile server, devices, proxies) stops here. If you skip this cell, the same
# happens when the kernel shuts down.

# %%
session.close()
print('stopped; files are in', session.root)
