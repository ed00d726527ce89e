"""The vendor facts the app shows (dontkillmyapp.com data, CC-BY): they live in :mod:`fmtc_nb.android.vendors`
and are re-exported here for the app's status page and older notebooks."""

from fmtc_nb.android.vendors import (
    ALIASES,
    ATTRIBUTION,
    PAGES,
    SITE,
    vendor_advice,
    vendor_frame,
    vendor_table,
)

__all__ = ["ALIASES", "ATTRIBUTION", "PAGES", "SITE", "vendor_advice", "vendor_frame", "vendor_table"]
