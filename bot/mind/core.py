"""The consciousness layer: AIKI's brain. It decides what to say; the LLM only phrases it.

One object, one entry point per use: respond, remember, recall, forget, mood, start a conversation.
It speaks in ids, strings and dataclasses (never Discord objects), so the terminal, the Discord cogs
and the scheduler all use it the same way.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.clock import Clock, utcnow
from bot.errors import InvalidInputError
from bot.llm import LLM, ChatMessage, ContextTooLongError
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.embedder import clean_text, is_blank
from bot.memory.models import Memory, MemoryKind, Origin, OriginSource, SearchFilter
from bot.memory.visibility import Audience, guild_of, is_private
from bot.mind.appraisal import appraise
from bot.mind.cues import named_project
from bot.mind.forgetting import Forgetting, late_notice
from bot.mind.importance import score_importance
from bot.mind.intention import Situation, attune, check_in, choose
from bot.mind.learning import AIKI_SPEAKER, Exchange, learn_from_exchange
from bot.mind.ordering import PersonQueue
from bot.mind.persona import Persona, load_identity, seed_identity
from bot.mind.prompt import PromptParts, build_messages, quote, recent
from bot.mind.recollection import Held, recollect
from bot.mind.retrieval import Recalled
from bot.mind.turn import (
    Budgets,
    Burst,
    ForgetReport,
    Incoming,
    MoodReport,
    Person,
    Prepared,
    Preparing,
    Received,
    StepTimer,
    TurnStats,
)
from bot.mood import FEELING_LASTS, MoodEvent, MoodEventKind, MoodState, apply, felt
from bot.state.checkins import Topic
from bot.state.journal import ForgetJournal
from bot.state.store import StateStore, Turn
from bot.tokens import estimate_tokens, shorten

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 8_000
# /remember takes what a message may hold: a note, not a document (100 KB took 49 s to embed; imports take more).
MAX_REMEMBER_CHARS = MAX_MESSAGE_CHARS
# A memory id given to /forget: at least this many of its hex digits, so "0" never picks whichever comes first.
MIN_ID_PREFIX = 4
_ID_PREFIX = re.compile(r"[0-9a-f][0-9a-f-]*")
# A message within this long after a check-in is the answer to it (and later it counts as ignored).
CHECKIN_ANSWER_WINDOW = timedelta(hours=24)
# Check-ins are sent as DMs (bot/checkins/planner.py): a private place, where everything of the person is visible.
CHECKIN_PLACE = Origin(OriginSource.DM)
TERMINAL = Origin(OriginSource.CLI)
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


class Consciousness:
    def __init__(
        self,
        bank: MemoryBank,
        state: StateStore,
        llm: LLM,
        persona: Persona,
        zone: ZoneInfo,
        clock: Clock = utcnow,
        budgets: Budgets | None = None,
        learn_facts: bool = True,
        schedule: TopicSchedule | None = None,  # None: no check-ins wake up (the terminal, tests)
        journal: ForgetJournal | None = None,  # None: forgets are not journalled, so not finished after a crash
    ) -> None:
        self.bank = bank
        self.state = state
        self.llm = llm
        self.persona = persona
        self.zone = zone
        self.clock = clock
        self.budgets = budgets or Budgets()
        self.learn_facts = learn_facts
        self.last_turn = TurnStats()
        self._background: set[asyncio.Task[None]] = set()
        # Learning after a reply waits while another turn is being prepared: on 2 cores the episode embedding
        # would otherwise sit in front of the next message's query embedding (bench/turn.py: +9-11 ms).
        self._preparing = Preparing()
        # Check-in topics the core noticed in conversation, waiting to be offered where they were said.
        self._proposals: dict[str, Proposal] = {}
        self._order = PersonQueue()
        self.schedule = schedule
        self._forgetting = Forgetting(bank.store, state, journal, clock)

    async def start(self) -> None:
        """Seed AIKI's identity from the persona file (again, if it changed), then load it from memory once."""
        await seed_identity(self.persona, self.bank, self.state)
        self.persona = replace(self.persona, text=await load_identity(self.bank))

    # -- mood --------------------------------------------------------------

    async def current_mood(self, scope: str) -> MoodState:
        stored = await self.state.mood(scope)
        now = self.clock()
        if stored is None:
            valence, arousal = self.persona.baseline
            return MoodState(valence, arousal, now)
        recent = await self.state.mood_events(scope, now - FEELING_LASTS, limit=10)
        return felt(stored.decayed(self.persona.baseline, now), recent)

    async def feel(self, scope: str, events: list[MoodEvent]) -> MoodState:
        """Apply events in order and persist the state with the events that moved it."""
        mood = await self.current_mood(scope)
        if not events:
            return mood
        mood, recorded = apply(mood, events)
        await self.state.save_mood(scope, mood, recorded)
        return mood

    async def mood_report(self, person: Person, days: int = 7) -> MoodReport:
        since = self.clock() - timedelta(days=days)
        return MoodReport(await self.current_mood(person.scope), await self.state.mood_events(person.scope, since))

    async def set_mood(self, person: Person, valence: float, arousal: float, reason: str) -> MoodState:
        mood = await self.current_mood(person.scope)
        event = MoodEvent(MoodEventKind.NUDGED, reason, valence - mood.valence, arousal - mood.arousal, self.clock())
        return await self.feel(person.scope, [event])

    # -- the turn ----------------------------------------------------------

    async def respond(self, incoming: Incoming) -> AsyncGenerator[str, None]:
        """Store the message, decide, and stream the phrased reply. Raises AikiError with a user message.

        One person's turns run one at a time, in the order they arrived, whoever calls; others never wait.
        """
        received = await self.receive(incoming)
        if received is None:
            return
        async for chunk in self.answer(Burst((received,))):
            yield chunk

    async def receive(self, incoming: Incoming) -> Received | None:
        """Check a message and store it at once, before anything can fail. None: this Discord message is stored
        already (read back after a restart, or delivered twice), so it is never answered twice."""
        text = incoming.text.strip()
        if is_blank(text):  # zero-width characters alone are empty too: nothing to answer, no model call
            raise InvalidInputError("Your message is empty.")
        if len(text) > MAX_MESSAGE_CHARS:
            raise InvalidInputError(
                f"That message is too long for me ({len(text):,} characters; {MAX_MESSAGE_CHARS:,} at most)."
            )
        at = incoming.sent_at or self.clock()
        started = time.perf_counter()
        turn_id = await self.state.add_turn_once(self._turn(incoming, "user", text, at))
        stored_ms = (time.perf_counter() - started) * 1000
        return None if turn_id is None else Received(incoming, text, turn_id, at, stored_ms)

    async def answer(self, burst: Burst) -> AsyncGenerator[str, None]:
        """One reply to stored messages of one person in one place (bot/mind/turn.py Burst), streamed.
        One person's turns run one at a time, in the order they were asked for, whoever calls."""
        async with self._order.turn(burst.last.incoming.person.scope):
            async for chunk in self._take_turn(burst):
                yield chunk

    async def learn_unanswered(self, received: Received) -> None:
        """A message read back too long after it was sent to answer now: learned all the same, never replied to."""
        self._in_background(self._learn(Exchange(received.incoming, received.text, None, received.at)))

    async def _take_turn(self, burst: Burst) -> AsyncGenerator[str, None]:
        """The turn, one step after another: perceive → recall → feel → decide → phrase → store → learn (the
        messages are stored already, by `receive`).

        Each step's time lands in `last_turn.steps` (bench/turn.py reads them). The work after the reply is the
        explicit `_finish` call at the end; a reply that does not finish goes to `_unfinished` instead.
        """
        stats = TurnStats()
        stats.steps["store"] = stored_ms = sum(message.store_ms for message in burst.messages)
        step = StepTimer(stats.steps)
        now = self.clock()
        incoming, text = burst.last.incoming, burst.text
        # Learning after earlier replies waits until this turn's request is sent (bench/turn.py: +9-11 ms on 2 cores).
        preparing = self._preparing.hold()
        parts: list[str] = []
        prepared: Prepared | None = None
        try:
            with step("perceive"):
                incoming, audience = await self._perceive(incoming, text, now)
            with step("recall"):
                recalled, history, last_seen = await self._recall(incoming, burst, audience, now)
            with step("feel"):
                events, mood = await self._feel(incoming.person.scope, text, last_seen, now)
            with step("decide"):
                prepared = self._decide(incoming, burst, audience, events, mood, recalled, history, last_seen, now)
            stats.intention, stats.memories = prepared.intention.kind.value, len(prepared.recalled)
            _log_decision(incoming.person.scope, prepared)

            def request_sent() -> None:
                stats.prepare_ms = stored_ms + step.since_start()
                preparing.release()

            with step("phrase"):
                async for chunk in self._phrase(prepared, request_sent):
                    parts.append(chunk)
                    yield chunk
        except Exception:
            # The truth in storage: a cut-off reply is `partial`, a message with no reply `failed`; the person's
            # words are learned all the same, AIKI's unfinished ones never.
            await self._unfinished(incoming, burst, prepared, "".join(parts).strip())
            raise
        except (asyncio.CancelledError, GeneratorExit):
            # The person stopped the reply (Ctrl-C) or the surface went away: recorded the same way, but later,
            # since nothing may be awaited while a generator closes or a task is cancelled.
            self._in_background(self._unfinished(incoming, burst, prepared, "".join(parts).strip()))
            raise
        finally:
            preparing.release()
        await self._finish(incoming, burst, "".join(parts).strip(), prepared, stats)

    async def _finish(self, incoming: Incoming, burst: Burst, reply: str, prepared: Prepared, stats: TurnStats) -> None:
        """After the reply: store it (→ `after_ms`), then learn from the exchange in the background."""
        started = time.perf_counter()
        reply_id = await self.state.add_turn(self._reply(incoming, burst, reply, "ok"))
        stats.after_ms = stats.steps["store reply"] = (time.perf_counter() - started) * 1000
        self.last_turn = stats
        before = _lines(prepared, incoming)
        exchange = Exchange(incoming, burst.text, reply, burst.last.at, before, burst.last.turn_id, reply_id)
        self._in_background(self._learn(replace(exchange, recalled=prepared.recalled)))

    async def _unfinished(self, incoming: Incoming, burst: Burst, prepared: Prepared | None, partial: str) -> None:
        if partial:
            await self.state.add_turn(self._reply(incoming, burst, partial, "partial"))
        else:
            for message in burst.messages:
                await self.state.set_turn_status(message.turn_id, "failed")
        log.info(
            "turn for %s ended without a finished reply (%s)", incoming.person.scope, "partial" if partial else "failed"
        )
        before = _lines(prepared, incoming) if prepared else ()
        self._in_background(
            self._learn(Exchange(incoming, burst.text, None, burst.last.at, before, burst.last.turn_id))
        )

    async def audience_at(self, person: Person, place: Origin) -> Audience:
        """Who listens where the person is talking now (bot/memory/visibility.py): the one rule for what is shown."""
        guild = guild_of(place)
        return Audience.at(place, guild is not None and await self.state.shares_dm_memories_in_servers(person.scope))

    async def _perceive(self, incoming: Incoming, text: str, now: datetime) -> tuple[Incoming, Audience]:
        """Where the message was said, which check-in it answers, and whether it names a project to offer."""
        audience = await self.audience_at(incoming.person, incoming.origin)
        incoming = await self._link_to_checkin(incoming, now)
        await self._notice_project(incoming, text, now)
        return incoming, audience

    async def _recall(
        self, incoming: Incoming, burst: Burst, audience: Audience, now: datetime
    ) -> tuple[list[Recalled], list[Turn], datetime | None]:
        """Memories of this person visible here, ranked; the recent history; when they last wrote."""
        scope = incoming.person.scope
        # AIKI's identity is in every prompt already (loaded from its identity memories at start);
        # retrieval is for what AIKI knows of this person, from the places visible here.
        where = SearchFilter(scopes=(scope,), audience=audience)
        ids = burst.turn_ids
        history, last_seen = await asyncio.gather(
            # Messages stored after this burst wait for the next reply: they are not history yet.
            self.state.recent_turns(scope, self.budgets.history_turns + len(ids), audience, burst.last.turn_id),
            self.state.last_user_turn_before(scope, min(ids)),
        )
        history = recent(
            [t for t in history if t.id not in ids][-self.budgets.history_turns :], self.budgets.history_tokens
        )
        # What the prompt's history already holds is not repeated in the memory block (tokens, and no echo).
        said = {t.content.strip() for t in history} | {m.text for m in burst.messages} | {burst.text}
        held = Held({t.id for t in history if t.id is not None} | set(ids), said)
        recalled = await recollect(self.bank, burst.text, where, now, self.zone, self.budgets.memory_tokens, held)
        return recalled, history, last_seen

    async def _feel(
        self, scope: str, text: str, last_seen: datetime | None, now: datetime
    ) -> tuple[list[MoodEvent], MoodState]:
        """What the message does to AIKI's mood towards the person (bot/mind/appraisal.py), stored with its causes."""
        events = appraise(text, last_seen, now)
        return events, await self.feel(scope, events)

    def _decide(
        self,
        incoming: Incoming,
        burst: Burst,
        audience: Audience,
        events: list[MoodEvent],
        mood: MoodState,
        recalled: list[Recalled],
        history: list[Turn],
        last_seen: datetime | None,
        now: datetime,
    ) -> Prepared:
        """What AIKI wants to do with its reply (bot/mind/intention.py), and the message as the LLM will see it."""
        intention = choose(
            Situation(
                message=burst.text,
                mood=mood,
                recalled=recalled,
                last_seen=last_seen,
                now=now,
                recent_user_texts=[t.content for t in history if t.role == "user"],
                milestone=any(e.kind is MoodEventKind.MILESTONE for e in events),
                appraised=tuple(e.kind for e in events),
            )
        )
        thread = [quoted.text for quoted in incoming.reply_context if audience.sees(quoted.origin)]
        message = _framed(burst, thread, now)
        return Prepared(attune(mood, intention), intention, recalled, history, message, now, incoming.person.name)

    def _parts(self, prepared: Prepared) -> PromptParts:
        return PromptParts(
            self.persona,
            prepared.mood,
            prepared.intention,
            prepared.recalled,
            prepared.history,
            prepared.message,
            prepared.now,
            self.zone,
            prepared.name,
        )

    async def _phrase(self, prepared: Prepared, on_request: Callable[[], None]) -> AsyncIterator[str]:
        """Stream the reply; if the prompt is too long for the model, trim memories and history and try once more."""
        budget = self.budgets.context_tokens
        for attempt in range(2):
            if attempt == 1:
                # The model's real context is smaller than configured: keep the persona, the intention and the
                # message, with only a little room left for the best memories and the latest history.
                bare = build_messages(self._parts(replace(prepared, recalled=[], history=[])), 0)
                budget = sum(estimate_tokens(m.content) for m in bare) + 300
                log.warning("prompt too long for the model; retrying with a budget of %d tokens", budget)
            messages = build_messages(self._parts(prepared), budget)
            on_request()
            produced = False
            try:
                async for chunk in self.llm.stream(messages, prepared.mood.temperature):
                    produced = True
                    yield chunk
                return
            except ContextTooLongError:
                if produced or attempt == 1:
                    raise

    def _reply(self, incoming: Incoming, burst: Burst, text: str, status: str) -> Turn:
        reply = self._turn(incoming, "assistant", text, self.clock())
        return replace(reply, status=status, model=self.llm.model, answers_turn_id=burst.last.turn_id)

    def _turn(self, incoming: Incoming, role: str, content: str, at: datetime) -> Turn:
        origin = incoming.origin
        return Turn(
            scope=incoming.person.scope,
            role=role,
            content=content,
            created_at=at,
            source=origin.source.value,
            guild_id=origin.guild_id,
            channel_id=origin.channel_id,
            message_id=origin.message_id if role == "user" else None,
        )

    async def _link_to_checkin(self, incoming: Incoming, now: datetime) -> Incoming:
        """A message after a check-in answers it: the exchange becomes part of that topic's memories."""
        scope = incoming.person.scope
        # The person wrote: check-ins that waited for them are looked at again (the rules decide when to fire).
        for topic in await self.state.checkins.resume(scope, now, CHECKIN_ANSWER_WINDOW):
            if self.schedule is not None:
                await self.schedule.schedule(topic)
        if not is_private(incoming.origin):
            # Check-ins are asked in DMs: a message in a server is not the answer, and must not carry the topic
            # (a private matter) into that server's memories.
            return incoming
        answered = await self.state.checkins.answer_open(scope, now, now - CHECKIN_ANSWER_WINDOW)
        if answered is not None and incoming.topic is None:
            log.info("message from %s answers the check-in about topic %s", scope, answered.id)
            return replace(incoming, topic=answered.name)
        return incoming

    async def _notice_project(self, incoming: Incoming, text: str, now: datetime) -> None:
        name = named_project(text)
        if name is None:
            return
        scope = incoming.person.scope
        if await self.state.checkins.topic_named(scope, name) is None:
            self._proposals[scope] = Proposal(name, incoming.origin, now)

    def take_proposal(self, person: Person, place: Origin) -> str | None:
        """A project the person mentioned that AIKI could check in about, to offer once in `place` (never
        scheduled silently). Only where it was said, or in a private place (their DM, the terminal): a topic from
        a DM is never offered in a server. It lapses after PROPOSAL_LASTS."""
        proposal = self._proposals.get(person.scope)
        if proposal is None:
            return None
        if self.clock() - proposal.noticed_at > PROPOSAL_LASTS:
            del self._proposals[person.scope]
            return None
        if not (is_private(place) or same_place(place, proposal.origin)):
            return None
        del self._proposals[person.scope]
        return proposal.topic

    async def last_seen_messages(self) -> dict[int, int]:
        """The newest message stored per channel (Discord ids): a surface reads back from there after a break."""
        return await self.state.last_seen_messages()

    async def record_outgoing(self, person: Person, text: str, at: datetime) -> None:
        """A message AIKI started (a check-in), stored once it was delivered."""
        await self.state.add_turn(Turn(person.scope, "assistant", text, at, source="dm", model=self.llm.model))

    # -- learning after the reply ----------------------------------------

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for the learning that follows each reply (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def _learn(self, exchange: Exchange) -> None:
        await asyncio.sleep(0)  # let a message that is already waiting start preparing first
        await self._preparing.idle()
        try:
            await learn_from_exchange(self.bank, self.llm, exchange, self.learn_facts)
        except Exception:
            log.exception("learning after a turn failed for %s", exchange.incoming.person.scope)

    # -- direct memory commands --------------------------------------------

    async def remember(self, person: Person, text: str, origin: Origin) -> Memory:
        """Store what the person asked to be remembered; refused before any embedding when empty or too long."""
        if len(text.strip()) > MAX_REMEMBER_CHARS:
            raise InvalidInputError(
                f"That is too long to remember ({len(text.strip()):,} characters; {MAX_REMEMBER_CHARS:,} at most)."
            )
        cleaned = clean_text(text)
        return await self.bank.add_one(
            NewMemory(
                person.scope,
                cleaned,
                MemoryKind.NOTE,
                score_importance(cleaned, MemoryKind.NOTE, explicit=True),
                origin,
                created_at=self.clock(),
            )
        )

    async def recall(self, person: Person, query: str, limit: int = 5, place: Origin = TERMINAL) -> list[Recalled]:
        """What the person may see of their memories from where they ask (memory/visibility.py; default: terminal)."""
        where = SearchFilter(scopes=(person.scope,), audience=await self.audience_at(person, place))
        return await recollect(self.bank, query, where, self.clock(), self.zone, budget_tokens=100_000, limit=limit)

    async def forget(self, person: Person, memory_id: str) -> bool:
        """Delete one memory and erase it from disk before returning (journalled: a crash midway is finished later)."""
        async with self._order.turn(person.scope):
            await self.drain()  # learning still running could write it back (a recall refreshes it)
            return await self._forgetting.memory(person.scope, memory_id)

    async def forget_everything(self, person: Person) -> ForgetReport:
        """Everything about a person, gone from every table and file before this returns (README: forgetting)."""
        async with self._order.turn(person.scope):  # no turn of theirs is half-way while we erase
            await self.drain()  # learning still running would write memories back
            self._proposals.pop(person.scope, None)
            report = await self._forgetting.everything(person.scope)
        log.info("forgot everything about %s: %d memories, %d turns", person.scope, report.memories, report.turns)
        return report

    async def take_late_forget_notice(self, person: Person) -> str | None:
        """A sentence telling the person that a forget of theirs, cut short when AIKI stopped, was finished at the
        next start; given once (then None). Show it before answering them (the terminal does at start)."""
        return late_notice(await self.state.take_late_forgets(person.scope), self.zone)

    async def shares_dm_memories_in_servers(self, person: Person) -> bool:
        return await self.state.shares_dm_memories_in_servers(person.scope)

    async def share_dm_memories_in_servers(self, person: Person, allowed: bool) -> None:
        await self.state.set_share_dm_memories_in_servers(person.scope, allowed)

    async def list_memories(self, person: Person, limit: int, offset: str | None) -> tuple[list[Memory], str | None]:
        return await self.bank.list_page(person.scope, limit, offset)

    async def memory_id_from(self, person: Person, prefix: str) -> str | None:
        """The full id of the person's memory that starts with `prefix` (the 8 characters /recall shows, any case),
        or None. Raises InvalidInputError for fewer than 4 hex digits, or a prefix more than one memory has."""
        wanted = prefix.strip().lower()
        if not _ID_PREFIX.fullmatch(wanted) or len(wanted.replace("-", "")) < MIN_ID_PREFIX:
            raise InvalidInputError(
                f"A memory id is at least {MIN_ID_PREFIX} of the characters /recall shows (0-9 and a-f), e.g. 3f9a1c2e."
            )
        found: list[str] = []
        offset: str | None = None
        while True:
            page, offset = await self.bank.list_page(person.scope, 256, offset)
            found += [memory.id for memory in page if memory.id.lower().startswith(wanted)]
            if len(found) > 1:
                raise InvalidInputError(f"More than one memory starts with {wanted}: give more of its id.")
            if offset is None:
                return found[0] if found else None

    # -- starting a conversation (the scheduler) ---------------------------

    async def start_conversation(self, person: Person, topic: str, place: Origin = CHECKIN_PLACE) -> str:
        """Decide to check in about a topic and phrase it (the caller stores it once it was delivered)."""
        now = self.clock()
        audience = await self.audience_at(person, place)
        where = SearchFilter(scopes=(person.scope,), audience=audience)
        recalled = await recollect(self.bank, topic, where, now, self.zone, self.budgets.memory_tokens)
        topical = [r.hit.memory.text for r in sorted(recalled, key=lambda r: r.hit.memory.created_at, reverse=True)]
        mood = await self.current_mood(person.scope)
        intention = check_in(topic, topical)
        history = recent(
            await self.state.recent_turns(person.scope, self.budgets.history_turns, audience),
            self.budgets.history_tokens,
        )
        parts = PromptParts(
            self.persona,
            mood,
            intention,
            recalled,
            history,
            f"(No new message: you are starting the conversation about the topic {quote(topic)}.)",
            now,
            self.zone,
            person.name,
        )
        messages = build_messages(parts, self.budgets.context_tokens)
        log.info("check-in for %s: intention %s, %d memories", person.scope, intention.kind.value, len(recalled))
        return await self.llm.complete(messages, mood.temperature)


__all__ = ["ChatMessage", "Consciousness", "Incoming", "Person"]


def _lines(prepared: Prepared, incoming: Incoming) -> tuple[str, ...]:
    """The last turns before this message as "Name: text" lines: the context a memory of it is stored with."""
    name = incoming.person.name or "The person"
    return tuple(
        f"{name if turn.role == 'user' else AIKI_SPEAKER}: {shorten(turn.content, 300)}"
        for turn in prepared.history[-2:]
    )


def _framed(burst: Burst, thread: list[str], now: datetime) -> str:
    """The message as the model reads it: the reply thread it continues (every line quoted), and a word when it
    came while AIKI was away."""
    message = burst.text
    if thread:
        quoted = "\n".join(f"> {line}" for text in thread for line in text.splitlines() or [""])
        message = f"(replying to this earlier part of our conversation:\n{quoted})\n\n{message}"
    if burst.away:
        ago = _how_long(now - burst.messages[0].at)
        many = "these messages" if len(burst.messages) > 1 else "this message"
        message = (
            f"(You were offline when {many} arrived, {ago} ago; you are reading it only now. Say so briefly.)"
            f"\n\n{message}"
        )
    return message


def _how_long(span: timedelta) -> str:
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes < 90:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"{hours} hours" if hours < 48 else f"{round(hours / 24)} days"


def _log_decision(scope: str, prepared: Prepared) -> None:
    # Ids, kinds and counts only: never what anyone wrote (README: logs).
    log.info(
        "turn for %s: intention %s, %d memories, %d history turns, mood %s",
        scope,
        prepared.intention.kind.value,
        len(prepared.recalled),
        len(prepared.history),
        prepared.mood.name,
    )
