"""Small helpers every `aiki` subcommand shares."""

from __future__ import annotations

import argparse
import sys

# Exit codes: a failed command, a configuration problem, a store held by another process.
EXIT_FAILED, EXIT_CONFIG, EXIT_LOCKED = 1, 2, 3


def progress_wanted(args: argparse.Namespace) -> bool:
    """Progress bars on a terminal, unless `-q`."""
    return not args.quiet and sys.stderr.isatty()
