"""Where conversation meets the check-ins: a message answers the check-in before it, a project the person names
can be offered as a topic (once, where it was said), and a check-in's own opening line is decided here."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.memory.models import SearchFilter
from bot.mind.audience import audience_at
from bot.mind.cues import named_project
from bot.mind.faculties import Faculties
from bot.mind.feelings import Feelings
from bot.mind.intention import check_in_intention
from bot.mind.prompt import PromptParts, build_messages, quote, recent
from bot.mind.recollection import recollect
from bot.mind.turn import Incoming, Person
from bot.places import Origin, OriginSource, is_private
from bot.state.checkins import Topic

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


class TopicSchedule(Protocol):
    """Where a check-in topic whose next look changed goes (the check-in scheduler, bot/checkins/scheduler.py)."""

    async def schedule(self, topic: Topic) -> None: ...


class CheckinHooks:
    def __init__(self, mind: Faculties, feelings: Feelings, schedule: TopicSchedule | None) -> None:
        self.mind = mind
        self.feelings = feelings
        self.schedule = schedule  # None: no check-ins wake up (the terminal, tests)
        # Check-in topics noticed in conversation, waiting to be offered where they were said.
        self._proposals: dict[str, Proposal] = {}

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
        name = named_project(text)
        if name is None:
            return
        scope = incoming.person.scope
        if await self.mind.state.checkins.topic_named(scope, name) is None:
            self._proposals[scope] = Proposal(name, incoming.origin, now)

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

    async def opening(self, person: Person, topic: str, place: Origin = CHECKIN_PLACE) -> str:
        """Decide to check in about a topic and phrase it (the caller stores it once it was delivered)."""
        mind = self.mind
        now = mind.clock()
        audience = await audience_at(mind.state, person, place)
        where = SearchFilter(scopes=(person.scope,), audience=audience)
        recalled = await recollect(mind.bank, topic, where, now, mind.zone, mind.budgets.memory_tokens)
        topical = [r.hit.memory.text for r in sorted(recalled, key=lambda r: r.hit.memory.created_at, reverse=True)]
        mood = await self.feelings.now(person.scope)
        intention = check_in_intention(topic, topical)
        turns = await mind.state.recent_turns(person.scope, mind.budgets.history_turns, audience)
        history = recent(turns, mind.budgets.history_tokens)
        message = f"(No new message: you are starting the conversation about the topic {quote(topic)}.)"
        parts = PromptParts(mind.persona, mood, intention, recalled, history, message, now, mind.zone, person.name)
        messages = build_messages(parts, mind.budgets.context_tokens)
        log.info("check-in for %s: intention %s, %d memories", person.scope, intention.kind.value, len(recalled))
        return await mind.llm.complete(messages, mood.temperature)
