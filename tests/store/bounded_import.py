"""Run ``fmtc-nb store import`` (argv) with the address space capped (issue 21 item 3's fuzz pass):
``python -m tests.store.bounded_import LIMIT_MB fmtc-nb-args...``. Exit code: the command's."""

from __future__ import annotations

import resource
import sys

if __name__ == "__main__":
    limit = int(sys.argv[1]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from fmtc_nb.cli import main

    sys.exit(main(sys.argv[2:]))
