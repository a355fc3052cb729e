"""Where conversation meets the check-ins: a message answers the check-in before it, a project the person names
can be offered as a topic (once, where it was said), an event they say is coming is kept to ask about afterwards
(a follow-up), and a check-in's own opening line is decided here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.memory.bank import NewMemory
from bot.memory.models import MemoryKind, SearchFilter, new_memory_id
from bot.mind.audience import audience_at
from bot.mind.cues import named_project
from bot.mind.faculties import Faculties
from bot.mind.feelings import Feelings
from bot.mind.importance import score_importance
from bot.mind.intention import Intention, check_in_intention, how_it_went_intention
from bot.mind.plans import PlannedEvent, planned_event
from bot.mind.prompt import PromptParts, build_messages, quote, recent
from bot.mind.recollection import recollect
from bot.mind.turn import Incoming, Person
from bot.places import Origin, OriginSource, is_private
from bot.state.checkins import FollowUp, Topic

log = logging.getLogger(__name__)

# A message within this long after a check-in is the answer to it (and later it counts as ignored).
CHECKIN_ANSWER_WINDOW = timedelta(hours=24)
# Check-ins are sent as DMs (bot/checkins/planner.py): a private place, where everything of the person is visible.
CHECKIN_PLACE = Origin(OriginSource.DM)
# An offer to check in about a project belongs to the conversation it came up in.
PROPOSAL_LASTS = timedelta(hours=1)


@dataclass(frozen=True)
class Proposal:
    topic: str
    origin: Origin  # where the person named it: the only public place it may be offered
    noticed_at: datetime


def same_place(a: Origin, b: Origin) -> bool:
    return a.source == b.source and a.guild_id == b.guild_id and a.channel_id == b.channel_id


@dataclass(frozen=True)
class FollowUpOffer:
    """A follow-up waiting for the person's yes, offered once where the event was said (or in a private place)."""

    topic_id: int
    what: str
    origin: Origin
    noticed_at: datetime


class TopicSchedule(Protocol):
    """Where a check-in topic whose next look changed goes (the check-in scheduler, bot/checkins/scheduler.py)."""

    async def schedule(self, topic: Topic) -> None: ...


class CheckinHooks:
    def __init__(
        self,
        mind: Faculties,
        feelings: Feelings,
        schedule: TopicSchedule | None,
        follow_up_without_asking: bool = False,  # the owner's AIKI_FOLLOW_UP_WITHOUT_ASKING
    ) -> None:
        self.mind = mind
        self.feelings = feelings
        self.schedule = schedule  # None: no check-ins wake up (the terminal, tests)
        self.follow_up_without_asking = follow_up_without_asking
        # Check-in topics noticed in conversation, waiting to be offered where they were said.
        self._proposals: dict[str, Proposal] = {}
        self._followup_offers: dict[str, FollowUpOffer] = {}

    async def link(self, incoming: Incoming, now: datetime) -> Incoming:
        """A message after a check-in answers it: the exchange becomes part of that topic's memories."""
        scope, checkins = incoming.person.scope, self.mind.state.checkins
        # The person wrote: check-ins that waited for them are looked at again (the rules decide when to fire).
        for topic in await checkins.resume(scope, now, CHECKIN_ANSWER_WINDOW):
            if self.schedule is not None:
                await self.schedule.schedule(topic)
        if not is_private(incoming.origin):
            # Check-ins are asked in DMs: a message in a server is not the answer, and must not carry the topic
            # (a private matter) into that server's memories.
            return incoming
        answered = await checkins.answer_open(scope, now, now - CHECKIN_ANSWER_WINDOW)
        if answered is not None and incoming.topic is None:
            log.info("message from %s answers the check-in about topic %s", scope, answered.id)
            return replace(incoming, topic=answered.name)
        return incoming

    async def notice(self, incoming: Incoming, text: str, now: datetime) -> None:
        """A project to offer check-ins about, and an event ahead to follow up on, in what the person said."""
        event = planned_event(text, now, self.mind.zone)
        if event is not None and event.due > now:
            await self.keep_event(incoming, event, now)
        name = named_project(text)
        if name is None:
            return
        scope = incoming.person.scope
        if await self.mind.state.checkins.topic_named(scope, name) is None:
            self._proposals[scope] = Proposal(name, incoming.origin, now)

    async def keep_event(self, incoming: Incoming, event: PlannedEvent, now: datetime) -> Topic | None:
        """The event becomes a memory (with its date, where it was said) and a follow-up due once it has passed:
        scheduled at once if the owner lets AIKI follow up without asking, else offered to the person first.
        None when this event is known already. One embedding, only for a message that names an event."""
        scope, checkins = incoming.person.scope, self.mind.state.checkins
        name = _followup_name(event, self.mind.zone)
        if await checkins.topic_named(scope, name) is not None:
            return None
        memory = await self.mind.bank.add_one(_event_memory(incoming, event, self.mind.zone))
        followup = FollowUp(0, scope, memory.id, event.what, event.start, incoming.origin)
        topic = await checkins.add_followup(followup, name, event.due, now, active=self.follow_up_without_asking)
        if topic is None:
            return None
        log.info("event ahead kept for %s: memory %s, follow-up %s due %s", scope, memory.id, topic.id, event.due)
        if topic.status == "active" and self.schedule is not None:
            await self.schedule.schedule(topic)
        elif topic.status == "proposed":
            self._followup_offers[scope] = FollowUpOffer(topic.id, event.what, incoming.origin, now)
        return topic

    def take_followup_offer(self, person: Person, place: Origin) -> tuple[int, str] | None:
        """A follow-up waiting for the person's yes (its topic id and their word for the event), to ask once in
        `place`: where the event was said, or a private place; never a server it was not said in."""
        offer = self._followup_offers.get(person.scope)
        if offer is None:
            return None
        if self.mind.clock() - offer.noticed_at > PROPOSAL_LASTS:
            del self._followup_offers[person.scope]
            return None
        if not (is_private(place) or same_place(place, offer.origin)):
            return None
        del self._followup_offers[person.scope]
        return offer.topic_id, offer.what

    def take_proposal(self, person: Person, place: Origin) -> str | None:
        """A project the person mentioned that AIKI could check in about, to offer once in `place` (never
        scheduled silently). Only where it was said, or in a private place (their DM, the terminal): a topic from
        a DM is never offered in a server. It lapses after PROPOSAL_LASTS."""
        proposal = self._proposals.get(person.scope)
        if proposal is None:
            return None
        if self.mind.clock() - proposal.noticed_at > PROPOSAL_LASTS:
            del self._proposals[person.scope]
            return None
        if not (is_private(place) or same_place(place, proposal.origin)):
            return None
        del self._proposals[person.scope]
        return proposal.topic

    def drop(self, scope: str) -> None:
        self._proposals.pop(scope, None)
        self._followup_offers.pop(scope, None)

    async def opening(self, person: Person, topic: str, place: Origin = CHECKIN_PLACE) -> str:
        """Decide to check in about a topic and phrase it (the caller stores it once it was delivered)."""
        return await self._start(person, topic, place, check_in_intention)

    async def follow_up(self, person: Person, followup: FollowUp, place: Origin = CHECKIN_PLACE) -> str:
        """Ask how an event the person told about went (the caller stores it once it was delivered)."""
        return await self._start(person, followup.what, place, how_it_went_intention)

    async def _start(
        self, person: Person, topic: str, place: Origin, intend: Callable[[str, list[str]], Intention]
    ) -> str:
        mind = self.mind
        now = mind.clock()
        audience = await audience_at(mind.state, person, place)
        where = SearchFilter(scopes=(person.scope,), audience=audience)
        recalled = await recollect(mind.bank, topic, where, now, mind.zone, mind.budgets.memory_tokens)
        topical = [r.hit.memory.text for r in sorted(recalled, key=lambda r: r.hit.memory.created_at, reverse=True)]
        mood = await self.feelings.now(person.scope)
        intention = intend(topic, topical)
        turns = await mind.state.recent_turns(person.scope, mind.budgets.history_turns, audience)
        history = recent(turns, mind.budgets.history_tokens)
        message = f"(No new message: you are starting the conversation about the topic {quote(topic)}.)"
        parts = PromptParts(mind.persona, mood, intention, recalled, history, message, now, mind.zone, person.name)
        messages = build_messages(parts, mind.budgets.context_tokens)
        log.info("check-in for %s: intention %s, %d memories", person.scope, intention.kind.value, len(recalled))
        return await mind.llm.complete(messages, mood.temperature)


def _followup_name(event: PlannedEvent, zone: ZoneInfo) -> str:
    """The follow-up as `/checkin list` shows it, and its key: one follow-up per word and day ("eksamen (9 Jan)")."""
    return f"{event.what[:60]} ({event.start.astimezone(zone):%-d %b})"


def _event_memory(incoming: Incoming, event: PlannedEvent, zone: ZoneInfo) -> NewMemory:
    """The event in the person's words with its date spelled out: "when is my exam?" finds it after the weekday
    it was said with has passed."""
    start, end = event.start.astimezone(zone), event.end.astimezone(zone)
    if event.at is not None:
        when = f"{event.at.astimezone(zone):%A %-d %B %Y at %H:%M}"
    elif end - start <= timedelta(days=1):
        when = f"{start:%A %-d %B %Y}"
    else:
        when = f"between {start:%-d %B} and {(end - timedelta(days=1)):%-d %B %Y}"
    name = incoming.person.name or "The person"
    return NewMemory(
        incoming.person.scope,
        f"{name}: {event.said} (planned for {when})",
        MemoryKind.EVENT,
        score_importance(event.said, MemoryKind.EVENT),
        incoming.origin,
        created_at=incoming.sent_at or event.start,
        id=new_memory_id(),
        meta={"event_start": event.start.isoformat(), "event_due": event.due.isoformat()},
        speaker=incoming.person.name,
    )
