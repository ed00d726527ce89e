"""``python -m fmtc_nb`` is the ``fmtc-nb`` command."""

import sys

from fmtc_nb.cli import main

sys.exit(main())
