"""What AIKI remembers for a prompt: one recipe for every caller (a turn, a check-in, `aiki recall`, a training
example rebuilt for its moment), so what the model is shown can never differ between them.

filter (the person, the places visible here) → recall (meaning, words, time; bot/memory/bank.py) → leave out what
the prompt already holds (its history, the message itself) and, for a moment in the past, whatever came later →
rank (best evidence first, bot/mind/retrieval.py).

Facts that were replaced stay out of ordinary recall, but a question about the past ("where did I live before?",
"what was my job in December?") finds them: they are the answer there, shown as replaced (bot/mind/prompt.py).

What AIKI understands about the person (their profile, built in a sleep pass: bot/mind/profile.py) comes first when
it may be shown here and fits half the budget; the facts it rests on then give way to it, and everything else keeps
the store's order.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.memory.bank import MemoryBank
from bot.memory.hybrid import Probe
from bot.memory.models import Memory, MemoryKind, ScoredMemory, SearchFilter
from bot.memory.timeparse import about_the_past
from bot.mind.derived import rests_on
from bot.mind.retrieval import Recalled, rank
from bot.tokens import estimate_tokens

# Candidates asked of the store per recall: the ranking then picks what fits the budget.
CANDIDATES = 30
# The profile is shown when it takes at most this share of the memories' budget (the rest is for evidence).
PROFILE_SHARE = 0.5


@dataclass(frozen=True)
class Held:
    """What a prompt already holds, so memories of it are not shown again (tokens, and no echo)."""

    turn_ids: Collection[int] = ()
    said: Collection[str] = ()  # the words of the history's turns and of the message itself
    before: datetime | None = None  # only memories made strictly before this moment (a rebuilt past prompt)

    def holds(self, memory: Memory) -> bool:
        if self.before is not None and memory.created_at >= self.before:
            return True
        return memory.meta.get("turn_id") in self.turn_ids or _words_of(memory.text) in self.said


async def recollect(
    bank: MemoryBank,
    query: str,
    where: SearchFilter,
    now: datetime,
    zone: ZoneInfo,
    budget_tokens: int,
    held: Held = Held(),
    limit: int = 8,
) -> list[Recalled]:
    """The memories a prompt about `query` shows, best evidence first, within `budget_tokens`."""
    if about_the_past(query, now, zone):
        where = replace(where, include_superseded=True)
    if held.before is not None and where.until is None:  # the store's range is inclusive: strictly before
        where = replace(where, until=held.before - timedelta(microseconds=1))
    probe = await bank.probe(query, where, now, zone)  # the one embedding serves both store calls
    hits = await bank.store.query(probe, where, CANDIDATES)
    kept = [hit for hit in hits if not held.holds(hit.memory) and hit.memory.kind is not MemoryKind.PROFILE]
    profile = await _profile(bank, probe, where, held)
    cost = estimate_tokens(profile.text) + 12 if profile is not None else 0
    if profile is None or limit < 2 or cost > budget_tokens * PROFILE_SHARE:
        return rank(kept, budget_tokens, limit)
    covered = rests_on(profile)
    rest = rank([hit for hit in kept if hit.memory.id not in covered], budget_tokens - cost, limit - 1)
    return [Recalled(ScoredMemory(profile, 1.0), 1.0), *rest]


async def _profile(bank: MemoryBank, probe: Probe, where: SearchFilter, held: Held) -> Memory | None:
    """The person's profile if it may be shown here: the place filter holds it to where all its facts may be."""
    if probe.vector is None:
        return None
    only = replace(where, kinds=(MemoryKind.PROFILE,), include_superseded=False)
    found = [hit.memory for hit in await bank.store.search(probe.vector, only, 3) if not held.holds(hit.memory)]
    return max(found, key=lambda m: m.created_at) if found else None


def _words_of(memory_text: str) -> str:
    """A conversation memory's words without its "Name: " (or "(about topic) Name: ") label."""
    return memory_text.split(": ", 1)[1].strip() if ": " in memory_text[:80] else memory_text.strip()
