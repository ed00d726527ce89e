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
# 5. **vendor facts**: which phone makers are known to kill background work, from dontkillmyapp.com;
# 6. **the classroom**: the rule book, the same download on one phone model after another (a model that sweeps
#    every vendor x Android version x exemption in a second, and a real run on the virtual device), two
#    exercises, and what FMTC's recovery would do on the same phone.

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
# ## 6 · The classroom: one rule book, every phone
# Each behaviour above is a **rule** with its source and its timings as named parameters. Android's own rules are
# the rows of the lifecycle table the bridge is tested against (`fmtc_nb.android.lifecycle`); the vendor rules
# come from the dontkillmyapp data. Where no source gives a number, the parameter says *(assumed)*: change it
# with `edit(book, rule, name=value)` and run again.

# %%
from fmtc_nb.classroom.model import ModelOptions, simulate
from fmtc_nb.classroom.outcomes import (
                    compare_with_fmtc,
                    events_frame,
                    plot_completion,
                    plot_sweep,
                    summary_frame,
                    sweep,
                    timeline_frame,
)
from fmtc_nb.classroom.profiles import Action, Profile
from fmtc_nb.classroom.rulebook import edit, rulebook, rulebook_frame

book = rulebook()
rules = rulebook_frame(book)
print(rules.attrs["attribution"])
rules[["rule", "api", "vendors", "params", "lifecycle row"]]

# %% [markdown]
# A **profile** is a phone (vendor, API level), what the user allowed (battery exemption, notifications) and a
# script of what the user does. The job: 20,000 tiles at 2 tiles a second (about 2.8 undisturbed hours). Below:
# a Xiaomi on Android 14, the screen off after a minute, the app opened again after two hours.

# %%
job = ModelOptions(tiles_total=20_000, rate_tps=2.0)
script = (Action(60, "screen_off"), Action(7200, "reopen"))
xiaomi = simulate(Profile("xiaomi", 34, script=script), job, book)
sooner = edit(book, "vendor_kill_by_award", award5_s=300)   # an assumption changed: the kill 5 min after
print("killed at", xiaomi.fired("vendor_kill_by_award"), "s; with award5_s=300:",
      simulate(Profile("xiaomi", 34, script=script), job, sooner).fired("vendor_kill_by_award"), "s")
events_frame(xiaomi)

# %% [markdown]
# ### Exercise 1 · What does the battery exemption change on Xiaomi?
# Run the same profile exempt and not exempt, on Xiaomi and on Vivo. Read the `kills` and `time_to_complete_s`
# columns, and the data's `user_can_fix` column in section 5. *(Answer: on Xiaomi nothing: the data says the
# user cannot fix it with the exemption alone (it takes Autostart and locking the app in recents), so the kill
# 10 minutes after screen-off still comes and the job waits for the user; on Vivo the exemption prevents the
# kill.)*

# %%
summary_frame(simulate(Profile(vendor, 34, exempt, script=script), job, book)
              for vendor in ("xiaomi", "vivo") for exempt in (False, True))

# %% [markdown]
# ### Exercise 2 · Why does stock Android 15 stop at six hours, and what brings the job back?
# A bigger job (60,000 tiles, over 8 hours) on a stock Android 15 phone whose user opens the app again after
# 9 hours. *(Answer: a dataSync foreground service may run 6 hours in 24 (`data_sync_timeout`); then Android
# calls `onTimeout`, the service stops and no new dataSync start is allowed until the user brings the app to the
# foreground, which also resets the six hours: the reopen brings the job back, and recovery resumes it.)*

# %%
big = ModelOptions(tiles_total=60_000, rate_tps=2.0)
android15 = simulate(Profile("stock", 35, script=(Action(60, "screen_off"), Action(9 * 3600, "reopen"))), big,
                     book)
events_frame(android15).query("rule in ['data_sync_timeout', 'p4a_destroy_kills_process', 'reopen', 'completed']")

# %% [markdown]
# ### FMTC on the same phone
# The same profile with FMTC's recovery (a live job is reported as failed, so nothing resumes it until the user
# starts it again) and no buffering (each tile written at once: nothing lost on a kill, but slower writes). On an
# Oppo with Android 11 the kill at screen-off is followed by Android's sticky restart: ours resumes by itself.

# %%
oppo = Profile("oppo", 30, script=script)
print(compare_with_fmtc(oppo, job, book).attrs["attribution"])
compare_with_fmtc(oppo, job, book)

# %%
runs = [simulate(oppo, job, book), simulate(oppo, ModelOptions(20_000, 2.0, fmtc=True), book), xiaomi,
        simulate(Profile("stock", 34, script=script), job, book)]
plot_completion(runs);

# %% [markdown]
# ### Every phone at once
# The sweep runs every vendor x API 26-35 x exemption through the model. Grey cells never complete within 24
# simulated hours.

# %%
started = time.perf_counter()
swept = sweep(job, book)
print(f"{len(swept)} profiles in {time.perf_counter() - started:.2f} s")
plot_sweep(swept, exempt=False);

# %% [markdown]
# ### And for real
# The same Xiaomi profile on a virtual device: a real process, SIGKILLed when the rule says, on a clock running
# 240 times faster (a simulated minute every quarter second). The summary is measured, not modelled.

# %%
from fmtc_nb.classroom.real import run_real

real = run_real(Profile("xiaomi", 34, script=(Action(60, "screen_off"), Action(900, "reopen"))),
                root=session.root / "classroom", speedup=240.0, rate_limit=400.0)
print(f"{real.tiles_in_store:,} of {real.tiles_total:,} tiles in the store")
summary_frame([real])

# %% [markdown]
# ### A cut network, for real
# Realme's *sleep standby optimisation* cuts the network a while after the screen goes off (the rule book
# assumes 30 min; edited here to 4 min so that it falls inside this short job). In the real run the virtual
# phone downloads through a relay on this computer, and when the rule fires the relay **resets every
# connection** and refuses new ones until the screen turns on. (Samsung's ignored wake lock is done differently:
# the CPU sleeps, so the service process is frozen with SIGSTOP and woken with SIGCONT.) The job fails no
# tile: it waits for the network and goes on by itself. The timeline shows `stalled` while the network is cut.

# %%
realme = run_real(Profile("realme", 34, script=(Action(60, "screen_off"), Action(600, "screen_on"))),
                  book=edit(book, "vendor_sleep_cuts_network", after_s=240), zooms="0-12",
                  root=session.root / "classroom-cut", speedup=240.0, rate_limit=400.0)
print(f"the relay reset {realme.network['reset']} connections and refused {realme.network['refused']}; "
      f"{realme.tiles_in_store:,} of {realme.tiles_total:,} tiles in the store")
steps = timeline_frame(realme)
steps[steps["state"] != steps["state"].shift()]   # the moments the state changed

# %% [markdown]
# ## Tidy up
# Everything this notebook started (tile server, devices, proxies) stops here. If you skip this cell, the same
# happens when the kernel shuts down.

# %%
session.close()
print('stopped; files are in', session.root)
