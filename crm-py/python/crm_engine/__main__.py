"""``python -m crm_engine``: the ``crm`` command line (see :mod:`crm_engine.cli`)."""

import sys

from crm_engine.cli import main

sys.exit(main())
