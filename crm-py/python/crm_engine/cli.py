"""The ``crm`` command line inside the Python package: ``python -m crm_engine --db sales.db import deals.csv``.

It runs the same Rust code as the ``crm`` binary (``crm_engine._crm.run_cli``), so a data user gets the
command without a Rust toolchain. ``python -m crm_engine --help`` lists the commands.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

from crm_engine._crm import run_cli

__all__ = ["main", "run_cli"]


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line with ``argv`` (default: ``sys.argv[1:]``) and returns its exit code.

    Ctrl-C ends the process at once, as it ends the binary: the batches an import committed stay, and its
    journal lets ``crm import --resume ID`` or ``crm undo-import ID`` finish or take it back.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    return run_cli(args)
