"""System messages for training that look like the live prompt (issue 16, the hybrid): for each example, the
persona, the time, a mood, the intention the core's own rules pick and the memories AIKI would have retrieved at
that moment, laid out by the live prompt builder (`bot.mind.prompt.system_prompt`).

A reconstruction, not a recording: memories are searched now with the example's last user message as the query,
and only those created before that message are kept (what AIKI could have known then); the mood is the persona's
baseline, since past moods are not replayed. The model then learns to phrase from memories, not to recite them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.memory.bank import MemoryBank
from bot.memory.models import SearchFilter
from bot.mind.intention import Situation, choose
from bot.mind.persona import Persona
from bot.mind.prompt import PromptParts, system_prompt
from bot.mind.retrieval import rank
from bot.mind.turn import Budgets
from bot.mood import MoodState

CANDIDATES = 30  # as many as a live turn asks the store for


@dataclass(frozen=True)
class Moment:
    """The point in a conversation a training example's last reply answers."""

    scope: str
    message: str  # the user message just before the reply
    at: datetime
    last_seen: datetime | None  # the user message before that one, if any
    recent_user_texts: list[str]


class HybridSystem:
    """Builds the live-style system message for a moment of history from the memory bank."""

    def __init__(self, bank: MemoryBank, persona: Persona, zone: ZoneInfo, budgets: Budgets | None = None) -> None:
        self.bank = bank
        self.persona = persona
        self.zone = zone
        self.budgets = budgets or Budgets()
        self.memories_used = 0

    async def __call__(self, moment: Moment) -> str:
        where = SearchFilter(scopes=(moment.scope,))
        hits = await self.bank.recall(moment.message, where, CANDIDATES, moment.at, self.zone)
        known = [h for h in hits if h.memory.created_at <= moment.at]
        recalled = rank(known, self.budgets.memory_tokens)
        self.memories_used += len(recalled)
        mood = MoodState(*self.persona.baseline, moment.at)
        intention = choose(
            Situation(moment.message, mood, recalled, moment.last_seen, moment.at, moment.recent_user_texts)
        )
        parts = PromptParts(self.persona, mood, intention, recalled, [], moment.message, moment.at, self.zone)
        return system_prompt(parts, recalled)
