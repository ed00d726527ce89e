"""The download options a job on a phone starts from where they differ from the engine's, read by the
notebook's client (:mod:`fmtc_nb.device.jobs`, ``fmtc-nb device dispatch``) and by the bridge
(:mod:`android_bridge.jobspec`) alike.

A phone loses its network all the time: Doze, a tunnel or a lift, a vendor's power manager cutting data while
the screen is off (``vendor_sleep_cuts_network`` in the classroom's rule book). So a phone job waits for the
network (``wait_for_network``): a request nothing answers while nothing else of the job is answered is no failed
attempt, the tile waits (backoff, at most ``max_backoff_s``) and the job goes on by itself once the network is
back. ``max_wait_s`` bounds how long it keeps waiting before it pauses itself (resumable, every tile kept):
:data:`PHONE_MAX_WAIT_S`, one hour, rides out a commute's tunnels or a screen-off cut of an hour while using
at most a sixth of Android 15's six hours of dataSync foreground time a day (``data_sync_timeout`` in
:mod:`fmtc_nb.android.lifecycle`): a job that waits stays in the foreground with its wake lock, a paused one
holds neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Seconds a phone job goes on waiting with no answer at all (or for a server that keeps saying "slow down")
#: before it pauses itself; the engine's own default is 900 s.
PHONE_MAX_WAIT_S = 3600.0
#: The DownloadOptions fields a phone job takes unless the client gives them.
PHONE_OPTION_DEFAULTS: dict[str, Any] = {"wait_for_network": True, "max_wait_s": PHONE_MAX_WAIT_S}


#: Why a phone job carries no CA bundle (docs/bridge.md "No CA bundle on the phone").
NO_PHONE_CA_BUNDLE = ("A phone job takes no CA bundle (ca_bundle, --ca-bundle): the phone verifies tile servers "
                      "with its own trust store and never reads a file of this computer, and a paired client must "
                      "not make it trust a CA of its choosing; download on this computer with `fmtc-nb download "
                      "--ca-bundle FILE`, or use a server whose certificate the phone accepts.")


def phone_options(given: Mapping[str, Any]) -> dict[str, Any]:
    """``given`` (DownloadOptions fields by name) with the phone's defaults for the fields it leaves out; a field
    given, even ``False`` or ``None``, is kept."""
    return {**PHONE_OPTION_DEFAULTS, **given}
