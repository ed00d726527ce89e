# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 5 · Background limits: what stops a download on a phone, and what brings it back
#
# Phones protect their battery by stopping apps that work in the background. For a map download that runs for an
# hour this matters a lot. This notebook is a small classroom on the virtual device:
#
# 1. **battery optimisation**: the setting that decides whether Android may stop the app;
# 2. **the notification**: an Android *foreground service* must show one; it is what keeps the job alive, and
#    what the user sees;
# 3. **a killed service**: some vendors kill even foreground services; we kill the virtual phone's service the
#    hard way (SIGKILL) in the middle of a job;
# 4. **recovery**: when the app starts again, it resumes the job exactly where its last checkpoint left it;
# 5. **vendor facts**: which phone makers are known to kill background work, from dontkillmyapp.com.

# %%
import time

import pandas as pd

from android_bridge.platform.virtual import VirtualPlatform
from android_bridge.vendors import ATTRIBUTION, vendor_advice, vendor_frame
from fmtc_nb.regions import Circle
from fmtc_nb.widgets import DevicePanel
from fmtc_nb.widgets.session import NotebookSession

pd.set_option("display.max_colwidth", None)   # show sentences (reasons) whole, never cut mid-word

session = NotebookSession("limits")
server = session.tile_server(latency_s=0.01)
phone = session.virtual_device("phone")
panel = DevicePanel(phone.url, tile_url=server.url_template, screen=phone.screen,
                    config_dir=session.root / "config", store="bern")
panel.pair(phone.code, name="classroom phone")
panel

# %% [markdown]
# ## 1 · Battery optimisation
# A freshly installed app is *optimised*: Android may delay its work, cut its network access in Doze, and some
# vendors kill it outright. The app asks the user to exempt it (a system dialog); on the phone the switch lives
# under *Settings › Apps › fmtc-nb › Battery › Unrestricted*. The virtual phone keeps the same switch in a
# settings file. Watch the **battery optimisation** line of the panel change.

# %%
print("before:", "exempt" if panel.info["battery_optimisation_ignored"] else "optimised")
VirtualPlatform(phone.root / "bridge").change_settings(battery_optimisation_ignored=True)   # the user said yes
info = panel.refresh_info()
print("after: ", "exempt" if info["battery_optimisation_ignored"] else "optimised")

# %% [markdown]
# ## 2 · The notification
# While a job runs the app is a foreground service with an *ongoing* notification (it cannot be swiped away).
# Start a job and look at the card below: the notification, drawn with the app's own builder from the same
# figures as the panel, updated as tiles arrive. The print shows what the virtual phone's own screen says.

# %%
region = Circle(7.44, 46.95, 20)      # Bern, 20 km
job = panel.dispatch(region, "0-15", rate_limit=250)
panel.watch()
time.sleep(2.0)
screen = panel.refresh_screen()
print("foreground service:", screen["foreground"], "| wake lock:", screen["wake_lock"],
      "| the phone shows:", (screen["notification"] or {}).get("text"))
panel.notification_view   # the card

# %% [markdown]
# ## 3 · The service is killed
# Now the phone's power manager strikes: the process dies at once, without a chance to save anything (SIGKILL).
# The panel loses the phone. Only what was already checkpointed survives: tiles are stored in batches, and each
# batch's checkpoint is written in the same transaction as its tiles, so the store and the checkpoint always
# agree.

# %%
phone.kill()
panel.wait(timeout=15)
print(panel.error)     # the panel shows it in red, with what to do next
done_before = panel.shown.attempted   # the figures the panel and the card show
print(f"{panel.status}: {done_before:,} of {job.tiles_total:,} tiles had an outcome when the service died")
panel.notification_view   # the card: stopped, no longer ongoing

# %% [markdown]
# ## 4 · Recovery
# When the app starts again (the user opens it, or Android restarts the service), it looks at its recovery
# registry, sees a job whose owner is gone, and resumes it: only the tiles not yet stored are fetched. The
# `resumed` list below comes from the phone itself.

# %%
phone.restart()
print("resumed on start:", phone.info["resumed"])
panel.watch(job["id"])
final = panel.wait(timeout=90)
print(f"{final.status} after {final.runs} runs: {final.tiles_done:,} of {final.tiles_total:,} tiles")
panel.notification_view   # the card ends in the final state

# %%
panel.client.recovery_frame()[["store", "status", "tiles_done", "tiles_total", "runs", "duration_s"]]

# %% [markdown]
# ## 5 · Vendor facts
# How hard a phone fights background work depends mostly on its maker. The table below ranks vendors by
# dontkillmyapp.com's "award" (5: worst). Show its credit line wherever you show the data (CC-BY).

# %%
vendors = vendor_frame()
print(vendors.attrs["attribution"])
vendors[["vendor", "award", "fgs_killed_by_default", "user_can_fix", "url"]].head(8)

# %%
advice = vendor_advice("Xiaomi")
print(f"{advice['vendor']}: award {advice['award']}/5 -", advice["symptoms"])
print(ATTRIBUTION)

# %% [markdown]
# **Take-aways.** Ask for the battery-optimisation exemption before a long job; keep the notification (it
# is the foreground service); expect the service to be killed anyway on some phones, and rely on recovery rather
# than on luck.

# %% [markdown]
# ## Tidy up
# Everything this notebook started (tile server, devices, proxies) stops here. If you skip this cell, the same
# happens when the kernel shuts down.

# %%
session.close()
print('stopped; files are in', session.root)
