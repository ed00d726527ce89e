"""Android's lifecycle table, as the bridge reads it: the rows live in :mod:`fmtc_nb.android.lifecycle` (shared
with the classroom's rule book) and are re-exported here, the same objects."""

from fmtc_nb.android.lifecycle import P4A_SOURCE, RULES, TIMEOUT_GRACE_S, LifecycleRule, rule, rules_frame

__all__ = ["P4A_SOURCE", "RULES", "TIMEOUT_GRACE_S", "LifecycleRule", "rule", "rules_frame"]
