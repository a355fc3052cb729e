"""The consciousness layer: AIKI's brain. It decides what to say; the LLM only phrases it.

`Consciousness` is the one door for every surface (the terminal, the Discord cogs, the scheduler, the CLI): it
speaks in ids, strings and dataclasses, never Discord objects. Behind it each concern has its own home:
a reply's way through the mind (bot/mind/answering.py), the mood (feelings.py), what people ask of their memories
(memory_commands.py), the check-ins' hooks into conversation (checkin_hooks.py), learning after a reply
(afterwards.py).
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock, utcnow
from bot.errors import InvalidInputError
from bot.llm import LLM, ChatMessage
from bot.memory.bank import MemoryBank
from bot.memory.embedder import is_blank
from bot.memory.models import IDENTITY_SCOPE, Memory
from bot.mind.afterwards import Afterwards
from bot.mind.answering import Answering, stored_turn
from bot.mind.audience import audience_at
from bot.mind.browsing import Browsing, FactHistory, Shown
from bot.mind.checkin_hooks import CHECKIN_PLACE, CheckinHooks, TopicSchedule
from bot.mind.faculties import Faculties
from bot.mind.feelings import Feelings
from bot.mind.forgetting import Forgetting
from bot.mind.learning import Exchange
from bot.mind.memory_commands import TERMINAL, MemoryCommands
from bot.mind.ordering import PersonQueue
from bot.mind.persona import Persona, load_identity, seed_identity
from bot.mind.retrieval import Recalled
from bot.mind.seeing import Vision
from bot.mind.sleep import Progress, Sleep, SleepReport
from bot.mind.turn import (
    MAX_MESSAGE_CHARS,
    Budgets,
    Burst,
    ForgetReport,
    Incoming,
    MoodReport,
    Person,
    Received,
    ReplyStats,
)
from bot.mood import MoodEvent, MoodState
from bot.pictures import VisionMode
from bot.places import Audience, Origin, OriginSource
from bot.state.checkins import FollowUp
from bot.state.journal import ForgetJournal
from bot.state.store import StateStore, Turn


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
        follow_up_without_asking: bool = False,  # AIKI_FOLLOW_UP_WITHOUT_ASKING: no yes/no offer for a follow-up
        vision: VisionMode = VisionMode.AUTO,  # AIKI_LLM_VISION: whether the model is shown pictures
    ) -> None:
        seeing = Vision(vision, state, clock)
        self.mind = Faculties(bank, state, llm, persona, zone, clock, budgets or Budgets(), seeing)
        self.feelings = Feelings(self.mind)
        self.hooks = CheckinHooks(self.mind, self.feelings, schedule, follow_up_without_asking)
        self.afterwards = Afterwards(bank, llm, state, learn_facts)
        self._order = PersonQueue()  # one person's turns one at a time, in arrival order
        forgetting = Forgetting(bank.store, state, journal, clock)
        self.memories = MemoryCommands(self.mind, forgetting, self._order, self.afterwards, self.hooks)
        self.browsing = Browsing(self.mind, forgetting, self._order, self.afterwards)  # the owner's page (bot/web)
        self.sleeping = Sleep(
            self.mind, self._order, self.afterwards.drain
        )  # consolidation between conversations, under the turn lock
        self.last_reply = ReplyStats()  # the latest finished reply's steps and timings (bench/turn.py)

    # What the parts share, read through the facade by tests and benches.
    @property
    def bank(self) -> MemoryBank:
        return self.mind.bank

    @property
    def state(self) -> StateStore:
        return self.mind.state

    @property
    def llm(self) -> LLM:
        return self.mind.llm

    @property
    def zone(self) -> ZoneInfo:
        return self.mind.zone

    @property
    def clock(self) -> Clock:
        return self.mind.clock

    @property
    def persona(self) -> Persona:
        return self.mind.persona

    @persona.setter
    def persona(self, persona: Persona) -> None:  # a changed persona file, seeded again at the next `start`
        self.mind.persona = persona

    @property
    def learn_facts(self) -> bool:
        return self.afterwards.learn_facts

    @learn_facts.setter
    def learn_facts(self, on: bool) -> None:
        self.afterwards.learn_facts = on

    async def start(self) -> None:
        """Seed AIKI's identity from the persona file (again, if it changed), then load it from memory once."""
        mind = self.mind
        await seed_identity(mind.persona, mind.bank, mind.state)
        mind.persona = replace(mind.persona, text=await load_identity(mind.bank))

    # -- a conversation ----------------------------------------------------

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
            if incoming.unread and not incoming.pictures:  # only files AIKI could not look at: say why, no more
                raise InvalidInputError("\n".join(incoming.unread))
            if not incoming.pictures:
                raise InvalidInputError("Your message is empty.")
            text = ""  # a message that is only a picture is a message
        if len(text) > MAX_MESSAGE_CHARS:
            raise InvalidInputError(
                f"That message is too long for me ({len(text):,} characters; {MAX_MESSAGE_CHARS:,} at most)."
            )
        at = incoming.sent_at or self.mind.clock()
        started = time.perf_counter()
        turn = replace(stored_turn(incoming, "user", text, at), pictures=len(incoming.pictures))
        turn_id = await self.mind.state.add_turn_once(turn)
        stored_ms = (time.perf_counter() - started) * 1000
        return None if turn_id is None else Received(incoming, text, turn_id, at, stored_ms)

    async def answer(self, burst: Burst) -> AsyncGenerator[str, None]:
        """One reply to stored messages of one person in one place (bot/mind/turn.py Burst), streamed.
        One person's turns run one at a time, in the order they were asked for, whoever calls."""
        async with self._order.exclusive(burst.last.incoming.person.scope):
            answering = Answering(self.mind, self.feelings, self.hooks, self.afterwards, burst)
            async for chunk in answering.run():
                yield chunk
            self.last_reply = answering.stats

    async def learn_unanswered(self, received: Received) -> None:
        """A message read back too long after it was sent to answer now: learned all the same, never replied to."""
        self.afterwards.learn(Exchange(received.incoming, received.text, None, received.at))

    async def drain(self) -> None:
        """Wait for the learning that follows each reply (tests, shutdown)."""
        await self.afterwards.drain()

    async def audience_at(self, person: Person, place: Origin) -> Audience:
        """Who listens where the person is talking now (bot/places.py): the one rule for what is shown."""
        return await audience_at(self.mind.state, person, place)

    async def last_seen_messages(self) -> dict[int, int]:
        """The newest message stored per channel (Discord ids): a surface reads back from there after a break."""
        return await self.mind.state.last_seen_messages()

    # -- check-ins -----------------------------------------------------------

    def take_proposal(self, person: Person, place: Origin) -> str | None:
        """A project the person named that AIKI could offer to check in about, once, where it may be offered."""
        return self.hooks.take_proposal(person, place)

    async def start_conversation(self, person: Person, topic: str, place: Origin = CHECKIN_PLACE) -> str:
        """Decide to check in about a topic and phrase it (the caller stores it once it was delivered)."""
        return await self.hooks.opening(person, topic, place)

    def take_followup_offer(self, person: Person, place: Origin) -> tuple[int, str] | None:
        """A follow-up on an event the person named, waiting for their yes: (topic id, their word for the event),
        once, where it may be offered."""
        return self.hooks.take_followup_offer(person, place)

    async def follow_up(self, person: Person, followup: FollowUp, place: Origin = CHECKIN_PLACE) -> str:
        """Ask how an event the person told about went (the caller stores it once it was delivered)."""
        return await self.hooks.follow_up(person, followup, place)

    async def record_outgoing(self, person: Person, text: str, at: datetime, about: Origin = CHECKIN_PLACE) -> None:
        """A message AIKI started (a check-in), stored once it was delivered in a DM. `about`: where what it asks
        about was said; a follow-up on something said in a server is stored as that server's, so it is shown only
        where that may be (README: privacy)."""
        place = about if about.source is OriginSource.CHANNEL else CHECKIN_PLACE
        turn = Turn(
            person.scope,
            "assistant",
            text,
            at,
            source=place.source.value,
            guild_id=place.guild_id,
            channel_id=place.channel_id,
            model=self.mind.llm.model,
        )
        await self.mind.state.add_turn(turn)

    # -- sleep (bot/mind/sleep.py) ---------------------------------------------

    async def sleep(self, scope: str, dry_run: bool = False, progress: Progress | None = None) -> SleepReport:
        """One consolidation pass over a person's memories, never while a turn of theirs is prepared or answered."""
        return await self.sleeping.run(scope, dry_run, progress)

    async def about(self, person: Person, place: Origin) -> Memory | None:
        """What AIKI understands about the person, if it may be shown where they ask (None: none, or not here)."""
        return await self.sleeping.profile(person.scope, await self.audience_at(person, place))

    async def people(self) -> list[str]:
        """Every person with memories (AIKI's own identity aside)."""
        return sorted(scope for scope in await self.mind.bank.store.scopes() if scope != IDENTITY_SCOPE)

    # -- mood ----------------------------------------------------------------

    async def current_mood(self, scope: str) -> MoodState:
        return await self.feelings.now(scope)

    async def feel(self, scope: str, events: list[MoodEvent]) -> MoodState:
        return await self.feelings.feel(scope, events)

    async def mood_report(self, person: Person, days: int = 7) -> MoodReport:
        return await self.feelings.report(person, days)

    async def set_mood(self, person: Person, valence: float, arousal: float, reason: str) -> MoodState:
        return await self.feelings.set(person, valence, arousal, reason)

    # -- memory commands -----------------------------------------------------

    async def remember(self, person: Person, text: str, origin: Origin) -> Memory:
        return await self.memories.remember(person, text, origin)

    async def recall(self, person: Person, query: str, limit: int = 5, place: Origin = TERMINAL) -> list[Recalled]:
        return await self.memories.recall(person, query, limit, place)

    async def forget(self, person: Person, memory_id: str) -> bool:
        return await self.memories.forget(person, memory_id)

    async def forget_everything(self, person: Person) -> ForgetReport:
        return await self.memories.forget_everything(person)

    async def take_late_forget_notice(self, person: Person) -> str | None:
        return await self.memories.take_late_forget_notice(person)

    async def list_memories(self, person: Person, limit: int, offset: str | None) -> tuple[list[Memory], str | None]:
        return await self.memories.list_page(person, limit, offset)

    async def memory_id_from(self, person: Person, prefix: str) -> str | None:
        return await self.memories.id_from(person, prefix)

    async def shares_dm_memories_in_servers(self, person: Person) -> bool:
        return await self.mind.state.shares_dm_memories_in_servers(person.scope)

    async def share_dm_memories_in_servers(self, person: Person, allowed: bool) -> None:
        await self.mind.state.set_share_dm_memories_in_servers(person.scope, allowed)

    # -- the owner's page (bot/web): the person's own private place --------

    async def all_memories(self, person: Person) -> list[Memory]:
        return await self.browsing.everything(person.scope)

    async def search_memories(self, person: Person, query: str, shown: Shown, limit: int = 30) -> list[Memory]:
        return await self.browsing.search(person.scope, query, shown, limit)

    async def memory(self, person: Person, memory_id: str) -> Memory | None:
        return await self.browsing.get(person.scope, memory_id)

    async def edit_memory(self, person: Person, memory_id: str, text: str) -> Memory | None:
        return await self.browsing.edit(person.scope, memory_id, text)

    async def forget_memories(self, person: Person, memory_ids: list[str]) -> int:
        return await self.browsing.forget(person.scope, memory_ids)

    async def fact_histories(self, person: Person) -> list[FactHistory]:
        return await self.browsing.facts(person.scope)


__all__ = ["ChatMessage", "Consciousness", "Incoming", "Person", "Shown"]
