"""`aiki checkins`: what is scheduled for whom, and why the next one will or will not fire."""

from __future__ import annotations

import argparse

from bot.cli.common import NoDelivery, lazy
from bot.settings import Settings


async def list_checkins(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import open_state
    from bot.checkins.planner import CheckinPlanner, describe_cadence

    async with open_state(settings) as state:
        planner = CheckinPlanner(None, state, NoDelivery(), settings.zone, args.clock)
        found = await planner.explain(args.person)
    if not found:
        print("No check-in topics yet (add one with /checkin add in Discord).")
        return 0
    zone = settings.zone
    print(f"{'person':>20}  {'topic':<24} {'cadence':<14} {'status':<8} {'next (' + zone.key + ')':<22} why")
    for topic, decision in found:
        when = topic.next_due_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        verdict = "will fire" if decision.fire else "will wait"
        print(
            f"{topic.scope:>20}  {topic.name[:24]:<24} {describe_cadence(topic.cadence_hours):<14} "
            f"{topic.status:<8} {when:<22} {verdict}: {decision.reason}"
        )
    return 0


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("checkins", help="list scheduled check-ins and why the next will or will not fire")
    parser.add_argument("--person", help="only this Discord user id")
    parser.set_defaults(run=lazy("bot.cli.checkins:list_checkins"))
