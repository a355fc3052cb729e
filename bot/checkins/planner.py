"""Proactive check-ins: when AIKI may start a conversation, decided cheaply in SQLite before any LLM token.

The scheduler calls `CheckinPlanner.fire(topic_id)`; the planner decides, asks the core to phrase the
check-in, and a notifier delivers it. Discord objects never get here: only ids and text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.errors import AikiError, InvalidInputError
from bot.mind.checkin_hooks import CHECKIN_ANSWER_WINDOW as ANSWER_WINDOW
from bot.mind.checkin_hooks import TopicSchedule
from bot.mind.core import Consciousness, Person
from bot.mood import MoodEvent, MoodEventKind
from bot.places import is_private
from bot.state.checkins import CheckinPrefs, CheckinStore, FollowUp, Topic
from bot.state.store import StateStore

log = logging.getLogger(__name__)

# Someone who wrote this recently is in a conversation already: do not interrupt with a check-in.
RECENTLY_ACTIVE = timedelta(minutes=30)
# After this many ignored check-ins in a row, wait until the person writes again.
MAX_UNANSWERED = 2
# A check-in that fell due while AIKI was down fires once at start-up if it is at most this late.
CATCH_UP_GRACE = timedelta(hours=12)
RETRY_AFTER_FAILURE = timedelta(minutes=30)
DEFAULT_CADENCE_HOURS = 24.0

_CADENCE_WORDS = {"hourly": 1, "daily": 24, "weekly": 168, "dagleg": 24, "daglig": 24, "ukentlig": 168}
_CADENCE = re.compile(r"^(?:every\s+)?(\d+(?:\.\d+)?)\s*(h|hours?|d|days?|w|weeks?|t|timer?|dager?|uker?)$")
_UNIT_HOURS = {"h": 1, "t": 1, "d": 24, "w": 168, "u": 168}


_INACTIVE = {
    "proposed": "waiting for the person's yes to this follow-up",
    "done": "this follow-up was asked already",
    "declined": "the person said no to this follow-up",
}


class Notifier(Protocol):
    async def deliver(self, scope: str, text: str) -> None:
        """Send a DM; raise DeliveryRefusedError when the person cannot be reached at all."""
        ...


class DeliveryRefusedError(AikiError):
    """The platform refuses to deliver to this person (Discord 50007): retrying will not help."""


@dataclass(frozen=True)
class CheckinDecision:
    fire: bool
    reason: str
    retry_at: datetime | None = None  # when to look again; None: not until something changes


def parse_cadence(text: str | None) -> float:
    """'daily', 'weekly', '12h', '3d', 'every 2 days' -> hours."""
    if not text:
        return DEFAULT_CADENCE_HOURS
    cleaned = text.strip().lower()
    if cleaned in _CADENCE_WORDS:
        return float(_CADENCE_WORDS[cleaned])
    match = _CADENCE.match(cleaned)
    if not match:
        raise InvalidInputError(f"I don't understand the cadence {text!r}. Try daily, weekly, 12h, 3d or 2w.")
    hours = float(match.group(1)) * _UNIT_HOURS[match.group(2)[0]]
    if not 1 <= hours <= 24 * 90:
        raise InvalidInputError("A cadence must be between 1 hour and 90 days.")
    return hours


def describe_cadence(hours: float) -> str:
    if hours <= 0:
        return "once"  # a follow-up
    if hours % 168 == 0:
        return "weekly" if hours == 168 else f"every {int(hours // 168)} weeks"
    if hours % 24 == 0:
        return "daily" if hours == 24 else f"every {int(hours // 24)} days"
    return f"every {hours:g} hours"


def quiet_until(now: datetime, prefs: CheckinPrefs, zone: ZoneInfo) -> datetime | None:
    """If `now` is inside the person's quiet hours (which may cross midnight), when they end; else None."""
    local = now.astimezone(zone)
    start, end, clock = prefs.quiet_start, prefs.quiet_end, local.time()
    if start == end:
        return None
    inside = (start <= clock < end) if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    end_day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, end, tzinfo=zone)


def local_midnight(now: datetime, zone: ZoneInfo) -> datetime:
    return datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)


class CheckinPlanner:
    def __init__(
        self,
        core: Consciousness | None,  # None: inspecting only (`aiki checkins`), never firing
        state: StateStore,
        notifier: Notifier,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
        schedule: TopicSchedule | None = None,  # None: nothing wakes up by itself (`aiki checkins`, tests)
    ) -> None:
        self.core = core
        self.state = state
        self.notifier = notifier
        self.zone = zone
        self.clock = clock
        self.schedule = schedule

    @property
    def store(self) -> CheckinStore:
        """The CheckinStore bound to the open database."""
        return self.state.checkins

    def zone_of(self, prefs: CheckinPrefs) -> ZoneInfo:
        return ZoneInfo(prefs.timezone) if prefs.timezone else self.zone

    async def _changed(self, topic: Topic) -> None:
        """A topic's next run time changed outside a job: the scheduler looks at it again."""
        if self.schedule is not None:
            await self.schedule.schedule(topic)

    # -- what people ask for ---------------------------------------------------

    async def add(self, scope: str, name: str, cadence: str | None = None) -> Topic:
        name = " ".join(name.split())
        if not 1 <= len(name) <= 80:
            raise InvalidInputError("A topic needs a name of 1 to 80 characters.")
        hours = parse_cadence(cadence)
        now = self.clock()
        topic = await self.store.upsert_topic(scope, name, hours, now, now + timedelta(hours=hours))
        log.info("check-in topic %s added for %s (%s)", topic.id, scope, describe_cadence(hours))
        await self._changed(topic)
        return topic

    async def decline(self, scope: str, name: str) -> None:
        await self.store.decline_topic(scope, name, self.clock())

    async def remove(self, scope: str, name: str) -> bool:
        topic = await self.store.topic_named(scope, name)
        if topic is None or topic.status == "declined":
            return False
        await self.store.delete_topic(topic.id)
        return True

    async def pause(self, scope: str, name: str, paused: bool = True) -> Topic | None:
        topic = await self.store.topic_named(scope, name)
        if topic is None or topic.status == "declined":
            return None
        await self.store.set_topic_status(topic.id, "paused" if paused else "active")
        if not paused:
            now = self.clock()
            if topic.next_due_at < now:
                await self.store.set_next_due(topic.id, now + timedelta(hours=topic.cadence_hours))
        changed = await self.store.topic(topic.id)
        if changed is not None:
            await self._changed(changed)
        return changed

    async def answer_followup(self, scope: str, topic_id: int, yes: bool) -> Topic | None:
        """The person's yes or no to a follow-up AIKI offered; None if it is not theirs or not waiting any more."""
        topic = await self.store.topic(topic_id)
        if topic is None or topic.scope != scope or not topic.once or topic.status != "proposed":
            return None
        await self.store.set_topic_status(topic.id, "active" if yes else "declined")
        changed = await self.store.topic(topic.id)
        if changed is not None:
            await self._changed(changed)
        log.info("follow-up %s for %s %s", topic.id, scope, "accepted" if yes else "declined")
        return changed

    async def prefs(self, scope: str) -> CheckinPrefs:
        return await self.store.prefs(scope)

    async def update_prefs(self, scope: str, **changes: Any) -> CheckinPrefs:
        prefs = replace(await self.store.prefs(scope), **changes)
        if prefs.timezone:
            try:
                ZoneInfo(prefs.timezone)
            except (KeyError, ValueError):
                raise InvalidInputError(f"Unknown time zone {prefs.timezone!r}; use a name like Europe/Oslo.") from None
        if not 0 <= prefs.daily_cap <= 24:
            raise InvalidInputError("The daily limit must be between 0 and 24.")
        await self.store.save_prefs(prefs)
        for topic in await self.store.topics(scope):
            await self._changed(topic)
        return prefs

    # -- deciding ------------------------------------------------------------------

    async def _settle_unanswered(self, scope: str, now: datetime) -> None:
        """A check-in that got no answer within the window counts once as ignored (and stings a little)."""
        last = await self.store.last_sent(scope)
        if last is None or last.answered_at is not None or last.ignored or now - last.sent_at < ANSWER_WINDOW:
            return
        await self.store.mark_ignored(last)
        assert self.core is not None
        await self.core.feel(scope, [MoodEvent.of(MoodEventKind.IGNORED, "my check-in went unanswered", now)])

    async def decide(self, topic: Topic, now: datetime) -> CheckinDecision:
        """Every cheap reason not to spend tokens, in order; the first that holds wins."""
        if topic.status != "active":
            return CheckinDecision(False, _INACTIVE.get(topic.status, "the topic is paused"))
        prefs = await self.store.prefs(topic.scope)
        if not prefs.enabled or prefs.paused_reason:
            return CheckinDecision(False, f"check-ins are off for this person ({prefs.paused_reason or 'turned off'})")
        if now < topic.next_due_at:
            return CheckinDecision(False, f"not due until {self._when(topic.next_due_at, prefs)}", topic.next_due_at)
        if topic.once and not await self._may_ask_in_dm(topic):
            return CheckinDecision(
                False,
                "said in a server, and your DM memories are shown in servers: asked in a DM, it would reach others",
            )
        last = await self.store.last_sent(topic.scope)
        unanswered = topic.unanswered
        if last is not None and last.topic_id == topic.id and last.answered_at is None and not last.ignored:
            unanswered += int(now - last.sent_at >= ANSWER_WINDOW)  # about to count as ignored
        if unanswered >= MAX_UNANSWERED:
            return CheckinDecision(False, f"{unanswered} check-ins in a row went unanswered: waiting until they write")
        if last is not None and last.answered_at is None and not last.ignored and now - last.sent_at < ANSWER_WINDOW:
            return CheckinDecision(
                False,
                f"still waiting for an answer to the check-in sent {self._when(last.sent_at, prefs)}",
                last.sent_at + ANSWER_WINDOW,
            )
        zone = self.zone_of(prefs)
        quiet_end = quiet_until(now, prefs, zone)
        if quiet_end is not None:
            return CheckinDecision(False, f"quiet hours until {self._when(quiet_end, prefs)}", quiet_end)
        spoke = [t.created_at for t in await self.state.recent_turns(topic.scope, 4) if t.role == "user"]
        if spoke and now - spoke[-1] < RECENTLY_ACTIVE:
            return CheckinDecision(False, "they are talking with AIKI right now", spoke[-1] + RECENTLY_ACTIVE)
        midnight = local_midnight(now, zone)
        if await self.store.count_sent_since(topic.scope, midnight) >= prefs.daily_cap:
            tomorrow = datetime.combine(midnight.date() + timedelta(days=1), prefs.quiet_end, tzinfo=zone)
            return CheckinDecision(False, f"the daily limit of {prefs.daily_cap} check-ins is reached", tomorrow)
        return CheckinDecision(True, "due now, and nothing stands in the way")

    async def _may_ask_in_dm(self, topic: Topic) -> bool:
        """A follow-up is asked in a DM. An event said in a server may be shown there, but not while the person shares
        their DM memories in servers: the question and their answer would carry it to every other server."""
        followup = await self.store.followup(topic.id)
        if followup is None or is_private(followup.origin):
            return True
        return not await self.state.shares_dm_memories_in_servers(topic.scope)

    def _when(self, moment: datetime, prefs: CheckinPrefs) -> str:
        """A moment in the person's time zone, named: "2026-03-09 10:00 (Europe/Oslo)"."""
        zone = self.zone_of(prefs)
        return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"

    # -- firing --------------------------------------------------------------------

    async def fire(self, topic_id: int) -> CheckinDecision:
        """Called by the scheduler when a topic is due: decide, phrase, deliver, record."""
        topic = await self.store.topic(topic_id)
        if topic is None:
            return CheckinDecision(False, "the topic no longer exists")
        now = self.clock()
        await self._settle_unanswered(topic.scope, now)
        topic = await self.store.topic(topic.id) or topic
        decision = await self.decide(topic, now)
        if not decision.fire:
            log.info("check-in %s for %s not sent: %s", topic.id, topic.scope, decision.reason)
            await self.store.set_retry(topic.id, decision.retry_at)
            return decision
        person = Person(topic.scope)
        assert self.core is not None, "a planner without a core can only explain"
        followup = await self.store.followup(topic.id) if topic.once else None
        try:
            text = await self._phrase(person, topic, followup)
            await self.notifier.deliver(topic.scope, text)
        except DeliveryRefusedError as exc:
            prefs = await self.store.prefs(topic.scope)
            await self.store.save_prefs(replace(prefs, paused_reason=str(exc)))
            log.warning("check-ins paused for %s: %s", topic.scope, type(exc).__name__)
            return CheckinDecision(False, f"delivery refused: {exc}")
        except AikiError as exc:
            retry = now + RETRY_AFTER_FAILURE
            await self.store.set_retry(topic.id, retry)
            # The class, not the message: an error's words may come from a provider or quote the topic.
            log.warning(
                "check-in %s for %s failed (%s); trying again at %s", topic.id, topic.scope, type(exc).__name__, retry
            )
            return CheckinDecision(False, f"failed: {exc}", retry)
        # Each ignored check-in in a row doubles the wait before the next one.
        next_due = now + timedelta(hours=topic.cadence_hours * 2**topic.unanswered)
        await self.store.record_sent(topic, text, now, next_due)
        if followup is not None:
            await self.core.record_outgoing(person, text, now, followup.origin)
        else:
            await self.core.record_outgoing(person, text, now)
        log.info("check-in %s sent to %s (%s)", topic.id, topic.scope, topic.kind)
        return decision

    async def _phrase(self, person: Person, topic: Topic, followup: FollowUp | None) -> str:
        assert self.core is not None
        if followup is not None:
            return await self.core.follow_up(person, followup)
        return await self.core.start_conversation(person, topic.name)

    async def explain(self, scope: str | None = None) -> list[tuple[Topic, CheckinDecision]]:
        """For `aiki checkins`: what is scheduled and why the next one will or will not fire."""
        now = self.clock()
        found = []
        for topic in await self.store.topics(scope):
            # Judged at the moment it wakes: a topic a week away is not "due", it will be then.
            decision = await self.decide(topic, max(now, topic.wake_at))
            if decision.fire and topic.wake_at > now:
                when = self._when(topic.wake_at, await self.store.prefs(topic.scope))
                decision = replace(decision, reason=f"not due until {when}; nothing stands in the way then")
            found.append((topic, decision))
        return found
