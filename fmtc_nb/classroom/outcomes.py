"""A classroom run's outcome in pandas and matplotlib: the timeline of a run, the summary of many, a sweep of every
vendor x API level x exemption, the side-by-side comparison with FMTC, and two plots. pandas and matplotlib are
imported inside the functions (only notebooks and the CLI's ``--json``-less output need them).

Every frame that shows vendor data carries ``frame.attrs["attribution"]`` (dontkillmyapp.com, CC-BY).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from fmtc_nb.android.vendors import ATTRIBUTION
from fmtc_nb.classroom.model import ModelOptions, ModelRun, simulate
from fmtc_nb.classroom.profiles import DEFAULT_SCRIPT, MAX_API, MIN_API, Action, Profile, vendor_names
from fmtc_nb.classroom.rulebook import RuleBook

#: The columns of a summary, in order.
SUMMARY_COLUMNS = ["vendor", "api", "exempt", "notifications", "mode", "completed", "time_to_complete_s", "kills",
                   "stops", "resumes", "tiles_refetched", "time_lost_s"]


def timeline_frame(run: ModelRun) -> Any:
    """One row per event of ``run``: ``t_s`` (simulated seconds), ``t_h``, ``tiles_done``, ``state``."""
    import pandas as pd

    frame = pd.DataFrame(run.timeline, columns=["t_s", "tiles_done", "state"])
    frame.insert(1, "t_h", frame["t_s"] / 3600.0)
    frame.attrs["profile"] = run.profile.label
    return frame


def events_frame(run: ModelRun) -> Any:
    """The rules and actions that fired in ``run``: ``t_s``, ``rule``, ``what``."""
    import pandas as pd

    return pd.DataFrame(run.events, columns=["t_s", "rule", "what"])


def summary_frame(runs: Iterable[Any]) -> Any:
    """One row per run, model or real (see :func:`fmtc_nb.classroom.model.simulate` for the columns), attribution
    attached."""
    import pandas as pd

    frame = pd.DataFrame([r.summary for r in runs], columns=SUMMARY_COLUMNS)
    frame.attrs["attribution"] = ATTRIBUTION
    return frame


def sweep_profiles(script: Sequence[Action] = DEFAULT_SCRIPT, apis: Iterable[int] = range(MIN_API, MAX_API + 1),
                   vendors: Iterable[str] | None = None) -> list[Profile]:
    """Every vendor x API level x exemption (notifications allowed) with the same script."""
    return [Profile(v, api, exempt, script=tuple(script))
            for v in (vendors or vendor_names()) for api in apis for exempt in (False, True)]


def sweep(options: ModelOptions | None = None, book: RuleBook | None = None,
          profiles: Sequence[Profile] | None = None) -> Any:
    """The summary of the model run of every profile of :func:`sweep_profiles` (or ``profiles``)."""
    return summary_frame(simulate(p, options, book) for p in (profiles or sweep_profiles()))


def compare_with_fmtc(profile: Profile, options: ModelOptions | None = None, book: RuleBook | None = None) -> Any:
    """The same profile run with our recovery and buffering and with FMTC's (``fmtc=True``), side by side:
    one column per mode, one row per summary figure."""
    options = options or ModelOptions()
    ours = simulate(profile, replace(options, fmtc=False), book)
    theirs = simulate(profile, replace(options, fmtc=True), book)
    frame = summary_frame([ours, theirs]).set_index("mode").T
    frame.attrs["attribution"] = ATTRIBUTION
    return frame


def plot_completion(runs: Sequence[ModelRun], ax: Any = None) -> Any:
    """Percentage of the region done over simulated hours, one line per run (labelled by its profile and mode);
    returns the matplotlib axes, the vendor data's credit below the plot."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4))
    for run in runs:
        frame = timeline_frame(run)
        label = run.profile.label + (" (FMTC)" if run.options.fmtc else "")
        ax.step(frame["t_h"], 100.0 * frame["tiles_done"] / run.options.tiles_total, where="post", label=label)
    ax.set_xlabel("simulated time (h)")
    ax.set_ylabel("region done (%)")
    ax.set_ylim(0, 105)
    ax.legend(fontsize="small")
    ax.figure.text(0.01, 0.0, ATTRIBUTION, fontsize="x-small")
    return ax


def plot_sweep(frame: Any, exempt: bool = False, ax: Any = None) -> Any:
    """Heatmap of a :func:`sweep`: vendors x API levels, colour = hours to complete (grey: never, within the
    horizon), for exempt or not-exempt profiles; returns the axes."""
    import matplotlib.pyplot as plt
    import numpy as np

    part = frame[frame["exempt"] == exempt]
    hours = part.pivot(index="vendor", columns="api", values="time_to_complete_s").astype(float) / 3600.0
    hours = hours.reindex([v for v in vendor_names() if v in hours.index])
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 6))
    cmap = plt.get_cmap("viridis_r").copy()
    cmap.set_bad("lightgrey")
    image = ax.imshow(np.ma.masked_invalid(hours.to_numpy()), aspect="auto", cmap=cmap)
    ax.set_xticks(range(len(hours.columns)), [str(c) for c in hours.columns])
    ax.set_yticks(range(len(hours.index)), list(hours.index))
    ax.set_xlabel("Android API level")
    ax.set_title(f"hours to complete ({'exempt' if exempt else 'not exempt'}; grey: never)")
    ax.figure.colorbar(image, ax=ax, label="hours")
    ax.figure.text(0.01, 0.0, ATTRIBUTION, fontsize="x-small")
    return ax
