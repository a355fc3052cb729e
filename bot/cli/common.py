"""Small helpers every `aiki` subcommand shares."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

# Exit codes (docs/troubleshooting.md): a failed command (or rejected input), a usage or configuration problem, a store
# held by another process, a disk that is full / read-only / not ours to write, a server that cannot be reached,
# and Ctrl-C.
EXIT_FAILED, EXIT_CONFIG, EXIT_LOCKED, EXIT_DISK, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 1, 2, 3, 4, 5, 130


def progress_wanted(args: argparse.Namespace) -> bool:
    """Progress bars on a terminal, unless `-q`."""
    return not args.quiet and sys.stderr.isatty()


Command = Callable[["Settings", argparse.Namespace], Awaitable[int]]


def lazy(target: str) -> Command:
    """The command `module:function`, imported only when it runs: `aiki --help` and errors stay fast."""
    module_name, _, name = target.partition(":")

    async def run(settings: Settings, args: argparse.Namespace) -> int:
        command: Command = getattr(importlib.import_module(module_name), name)
        return await command(settings, args)

    return run


class NoDelivery:
    """The check-in notifier of the commands that only explain and change settings (`aiki checkins`, `aiki web`)."""

    async def deliver(self, scope: str, text: str) -> None:  # pragma: no cover - never fires
        raise RuntimeError("this command never sends check-ins")
