"""When AIKI sleeps on what a person said: a pass once they have been quiet for a while, and once a night.

A job of the check-in scheduler (bot/checkins/scheduler.py, `sleep:watch`: one job, not a second scheduler) looks
every few minutes, in SQLite alone, at when each person last wrote and when their last pass finished
(bot/state/store.py), and runs a pass (`Consciousness.sleep`) for each person who is due:
- **quiet**: they wrote since their last pass, and not for AIKI_SLEEP_AFTER_QUIET_MINUTES;
- **night**: it is AIKI_SLEEP_NIGHT_HOUR in their time zone (their check-in setting, else AIKI_TIMEZONE) and no pass
  has finished since that hour began: once a night.
A pass takes the person's turn lock, so it never runs while a turn of theirs is prepared or answered (it waits). A
pass killed midway has recorded no finish, so the next look runs it again, and it resumes after its watermark.
Passes run one person at a time: the machine is small, and sleep is not urgent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.state.store import StateStore

log = logging.getLogger(__name__)

# How often the watch looks (SQLite reads only): a pass starts at most this long after it fell due.
LOOK_EVERY = timedelta(minutes=5)

Reason = Literal["quiet", "night"]


class Sleeper(Protocol):
    """What the watch runs: `Consciousness.sleep` (bot/mind/core.py)."""

    async def sleep(self, scope: str) -> object: ...


@dataclass(frozen=True)
class Bedtime:
    quiet_for: timedelta  # AIKI_SLEEP_AFTER_QUIET_MINUTES
    night_hour: int  # AIKI_SLEEP_NIGHT_HOUR, local to the person


def due(
    now: datetime, wrote: datetime | None, passed: datetime | None, zone: ZoneInfo, bedtime: Bedtime
) -> Reason | None:
    """Why a pass is due for a person now, or None. Pure: the rule is tested without a clock."""
    if wrote is None:
        return None  # never wrote: nothing to sleep on (`aiki mind sleep` still runs a pass by hand)
    if (passed is None or passed < wrote) and now - wrote >= bedtime.quiet_for:
        return "quiet"
    local = now.astimezone(zone)
    if local.hour == bedtime.night_hour:
        began = local.replace(minute=0, second=0, microsecond=0)
        if passed is None or passed < began:
            return "night"
    return None


class SleepWatch:
    """The scheduler's sleep job: who is due, then a pass for each, one at a time."""

    def __init__(
        self, sleeper: Sleeper, state: StateStore, zone: ZoneInfo, bedtime: Bedtime, clock: Callable[[], datetime]
    ) -> None:
        self.sleeper = sleeper
        self.state = state
        self.zone = zone  # AIKI_TIMEZONE, for people without a time zone of their own
        self.bedtime = bedtime
        self.clock = clock

    async def look(self) -> list[tuple[str, Reason]]:
        """Run the passes that are due now; returns who slept and why (ids and reasons, never words)."""
        wrote, passed = await self.state.last_written(), await self.state.sleep_passed_at()
        slept: list[tuple[str, Reason]] = []
        for scope in sorted(wrote):
            reason = due(self.clock(), wrote[scope], passed.get(scope), await self._zone_of(scope), self.bedtime)
            if reason is None:
                continue
            try:
                await self.sleeper.sleep(scope)
            except Exception:  # one person's failed pass never stops the others; the next look tries again
                log.exception("sleep pass (%s) for %s failed", reason, scope)
                continue
            slept.append((scope, reason))
            log.info("sleep pass for %s ran (%s)", scope, reason)
        return slept

    async def _zone_of(self, scope: str) -> ZoneInfo:
        name = (await self.state.checkins.prefs(scope)).timezone
        try:
            return ZoneInfo(name) if name else self.zone
        except (ZoneInfoNotFoundError, ValueError):
            return self.zone
