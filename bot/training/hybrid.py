"""Contexts for training that are the live prompt's (issue 16, the hybrid; issue 26): for each example, the system
message the live turn builds at the moment its last reply answers, and the live turn's history before the example's
own turns (what AIKI still had in the prompt from an earlier conversation), so the example's context before its last
reply is the live prompt.

Built from the live turn's own parts: the one recall recipe (`bot.mind.recollection`), the history's turn and
token limits (`recent`), `audience_at`, `appraise` and `apply` for the mood, `choose` and `attune` for the
intention, `build_messages` for the layout and for how the history is shown. The steps run in the order of
`bot/mind/answering.py`; tests/test_training_hybrid.py holds an exported example against the request a live turn
sent. Only memories created strictly before the first message the example learns a reply to are known: none of its
targets (AIKI's reply to a message is stamped with the message's time) and nothing learned later is in its context.

What a reconstruction cannot replay: the search runs on today's store (facts replaced since are left out, as in any
recall not about the past), the mood is replayed from the stored mood events, and what was never stored (the
person's display name, the quoted reply thread, the "you were offline" note) is not in the prompt. The example's own
earlier replies are shown whole (they are learned), where the live history shortens long ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.llm import ChatMessage
from bot.memory.bank import MemoryBank
from bot.memory.models import SearchFilter
from bot.mind.appraisal import appraise
from bot.mind.appraisal_meaning import sense_of
from bot.mind.audience import audience_at
from bot.mind.intention import Situation, attune, choose
from bot.mind.persona import Persona
from bot.mind.prompt import PromptParts, build_messages, recent
from bot.mind.recollection import Held, recollect
from bot.mind.retrieval import Recalled
from bot.mind.turn import Budgets, Person
from bot.mood import FEELING_LASTS, MoodEventKind, MoodState, apply, felt
from bot.places import Audience, Origin, OriginSource
from bot.state.store import StateStore, Turn
from bot.tokens import message_tokens


@dataclass(frozen=True)
class Moment:
    """The point in a conversation a training example's last reply answers."""

    scope: str
    message: list[Turn]  # the person's message(s) the reply answers, as stored (a burst is several)
    history: list[Turn]  # the example's turns before them
    known_before: datetime  # memories created at or after this are not known: the first learned reply's message
    room: int = 0  # tokens the example has left for the live history before its own turns (0: none is added)
    imported: bool = False  # imported history never was in a live prompt: no live history before it

    @property
    def text(self) -> str:
        return "\n".join(turn.content for turn in self.message)  # as a live burst joins its messages

    @property
    def at(self) -> datetime:
        return self.message[-1].created_at

    @property
    def place(self) -> Origin:
        last = self.message[-1]
        known = {source.value for source in OriginSource}
        source = OriginSource(last.source) if last.source in known else OriginSource.CLI
        return Origin(source, last.guild_id, last.channel_id)

    def held(self) -> Held:
        """What the prompt holds already (its history, the message) and when the known memories end."""
        ids = {turn.id for turn in (*self.history, *self.message) if turn.id is not None}
        said = {turn.content.strip() for turn in self.history} | {turn.content for turn in self.message} | {self.text}
        return Held(ids, said, before=self.known_before)


@dataclass(frozen=True)
class LiveContext:
    system: str  # the system message the live turn sent
    earlier: list[ChatMessage]  # the live history before the example's own turns, as the live prompt shows it


async def mood_at(state: StateStore, scope: str, baseline: tuple[float, float], at: datetime) -> MoodState:
    """AIKI's mood towards the person just before `at`, replayed from the stored mood events as the live turn's
    `current_mood` reads it from the stored state: the last state, decayed to `at`, named by recent feelings."""
    events = [e for e in await state.mood_events(scope, limit=10, before=at) if e.created_at < at]
    if not events:
        return MoodState(*baseline, at)
    last = events[0]
    stored = MoodState(last.valence_after, last.arousal_after, last.created_at)
    return felt(stored.decayed(baseline, at), [e for e in events if at - e.created_at < FEELING_LASTS])


class HybridSystem:
    """Builds the live context of a moment of history, from the memory bank and the state store."""

    def __init__(
        self, bank: MemoryBank, state: StateStore, persona: Persona, zone: ZoneInfo, budgets: Budgets | None = None
    ) -> None:
        self.bank = bank
        self.state = state
        self.persona = persona
        self.zone = zone
        self.budgets = budgets or Budgets()
        self.memories_used = 0
        self.before_any_memory = 0  # examples with no memory because every memory of the person is newer

    async def __call__(self, moment: Moment) -> LiveContext:
        """What the live turn would have sent before the reply (perceive, recall, feel, decide: bot/mind/core.py)."""
        scope, at = moment.scope, moment.at
        audience = await audience_at(self.state, Person(scope, None), moment.place)
        last_seen = await self.state.last_user_turn_before(scope, min(turn.id or 0 for turn in moment.message))
        earlier = await self._earlier(moment, audience)
        moment = replace(moment, history=earlier + moment.history)
        where = SearchFilter(scopes=(scope,), audience=audience)
        recalled = await recollect(
            self.bank, moment.text, where, at, self.zone, self.budgets.memory_tokens, moment.held()
        )
        events = appraise(moment.text, last_seen, at, await sense_of(self.bank.embedder, moment.text))
        mood = await mood_at(self.state, scope, self.persona.baseline, at)
        if events:
            mood, _ = apply(mood, events)
        intention = choose(
            Situation(
                message=moment.text,
                mood=mood,
                recalled=recalled,
                last_seen=last_seen,
                now=at,
                recent_user_texts=[turn.content for turn in moment.history if turn.role == "user"],
                milestone=any(e.kind is MoodEventKind.MILESTONE for e in events),
                appraised=tuple(e.kind for e in events),
            )
        )
        parts = PromptParts(
            self.persona, attune(mood, intention), intention, recalled, moment.history, moment.text, at, self.zone
        )
        await self._count(moment, recalled)
        messages = build_messages(parts, self.budgets.context_tokens)
        shown = messages[1:-1]  # the history as the live prompt shows it (long replies cut short)
        own = len(moment.history) - len(earlier)
        return LiveContext(messages[0].content, shown[: max(0, len(shown) - own)])

    async def _earlier(self, moment: Moment, audience: Audience) -> list[Turn]:
        """The live history's turns from before the example's first turn (within the history's turn and token
        limits, as a live turn takes them), as many of the newest as fit the example's room."""
        if moment.imported or moment.room <= 0:
            return []
        ids = {turn.id for turn in moment.message}
        limit = self.budgets.history_turns
        stored = await self.state.recent_turns(
            moment.scope, limit + len(ids), audience, max(i or 0 for i in ids), before=moment.at
        )
        history = recent([turn for turn in stored if turn.id not in ids][-limit:], self.budgets.history_tokens)
        first = (moment.history or moment.message)[0]
        earlier = [turn for turn in history if (turn.created_at, turn.id or 0) < (first.created_at, first.id or 0)]
        while earlier and sum(message_tokens({"content": t.content}) for t in earlier) > moment.room:
            earlier.pop(0)  # the oldest first, as the live prompt trims its history
        return earlier

    async def _count(self, moment: Moment, recalled: list[Recalled]) -> None:
        self.memories_used += len(recalled)
        if recalled:
            return
        # By meaning alone, which finds the nearest memory however far: is any memory older than the moment?
        where = SearchFilter(scopes=(moment.scope,), until=moment.known_before - timedelta(microseconds=1))
        if not await self.bank.search(moment.text, where, 1):
            self.before_any_memory += 1
