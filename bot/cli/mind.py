"""`aiki mind sleep`: a consolidation pass now (bot/mind/sleep.py), for one person or everyone; counts, never words."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from bot.cli.common import lazy, progress_wanted

if TYPE_CHECKING:
    from bot.settings import Settings


async def sleep_command(settings: Settings, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot.app import open_core

    async with open_core(settings) as core:
        people = [args.person] if args.person else await core.people()
        if not people:
            print("No memories of anyone yet: nothing to consolidate.")
            return 0
        with tqdm(total=len(people), unit=" people", desc="sleep", disable=not progress_wanted(args)) as bar:
            for scope in people:
                report = await core.sleep(scope, dry_run=args.dry_run)
                bar.write(("(dry run) " if args.dry_run else "") + report.summary())
                bar.update(1)
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    mind = commands.add_parser("mind", help="AIKI's own upkeep of what it knows")
    actions = mind.add_subparsers(dest="mind_command", required=True, metavar="ACTION")
    sleep = actions.add_parser(
        "sleep", help="consolidate memories now: merge repeats, learn facts, rebuild profiles, reflect"
    )
    sleep.add_argument("--person", help="only this Discord user id (default: everyone)")
    sleep.add_argument("--dry-run", action="store_true", help="say what would change; change nothing, ask no model")
    sleep.set_defaults(run=lazy("bot.cli.mind:sleep_command"))
