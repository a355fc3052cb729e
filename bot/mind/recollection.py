"""What AIKI remembers for a prompt: one recipe for every caller (a turn, a check-in, `aiki recall`, a training
example rebuilt for its moment), so what the model is shown can never differ between them.

filter (the person, the places visible here) → recall (meaning, words, time; bot/memory/bank.py) → leave out what
the prompt already holds (its history, the message itself) and, for a moment in the past, whatever came later →
rank (best evidence first, bot/mind/retrieval.py).

Facts that were replaced stay out of ordinary recall, but a question about the past ("where did I live before?",
"what was my job in December?") finds them: they are the answer there, shown as replaced (bot/mind/prompt.py).

Statements about one thing come together: when a memory shown here, or a message the prompt's recent history shows,
is linked by the fact step to other statements about the same thing (a fact's `key`, an episode's `keys`:
bot/mind/learning.py, bot/mind/facts.py), the others come along, so an update is shown with what it replaced ("I
moved to Oslo" with "I live in Bergen", marked earlier) even when only one side was recalled, and a question about
the past gets the earlier statement. A payload lookup (no embedding), at most LINKED of them, within the budget,
after the recalled ones: a prompt that must shrink drops them first.

What AIKI understands about the person (their profile, built in a sleep pass: bot/mind/profile.py) comes first when
it may be shown here and fits half the budget; the facts it rests on then give way to it, and everything else keeps
the store's order.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.memory.bank import MemoryBank
from bot.memory.hybrid import Probe
from bot.memory.models import Memory, MemoryKind, ScoredMemory, SearchFilter
from bot.memory.port import MemoryStore
from bot.memory.timeparse import about_the_past
from bot.mind.derived import rests_on
from bot.mind.retrieval import Recalled, rank, shown_text, subject_keys
from bot.tokens import estimate_tokens

# Candidates asked of the store per recall: the ranking then picks what fits the budget.
CANDIDATES = 30
# The profile is shown when it takes at most this share of the memories' budget (the rest is for evidence).
PROFILE_SHARE = 0.5
# Statements brought along by the fact step's links, at most, and the memories one link lookup reads.
LINKED = 4
LINK_LOOKUP = 32


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
    if profile is None or limit < 2 or _cost(profile) > budget_tokens * PROFILE_SHARE:
        chosen, covered = rank(kept, budget_tokens, limit), set[str]()
    else:
        covered = rests_on(profile)
        rest = rank([hit for hit in kept if hit.memory.id not in covered], budget_tokens - _cost(profile), limit - 1)
        chosen = [Recalled(ScoredMemory(profile, 1.0), 1.0), *rest]
    return await _with_linked(bank.store, where, chosen, held, budget_tokens, covered)


def _cost(memory: Memory) -> int:
    """What a memory's line costs of the budget (as `rank` counts it)."""
    return estimate_tokens(shown_text(memory)) + 12


async def _with_linked(
    store: MemoryStore, where: SearchFilter, chosen: list[Recalled], held: Held, budget: int, covered: set[str]
) -> list[Recalled]:
    """The chosen memories, then the statements the fact step linked to them or to the history's messages, each
    marked where the history says something newer about its subject."""
    history = await store.linked(where, (), sorted(held.turn_ids), 2 * len(held.turn_ids) + 2)
    keys = list(dict.fromkeys(k for m in [r.hit.memory for r in chosen] + history for k in sorted(subject_keys(m))))
    if not keys:
        return chosen
    found = await store.linked(where, keys, (), LINK_LOOKUP)
    # A statement is one message: its episode and the facts learned from it (`said_in`) are shown once.
    in_history = {m.id for m in history} | {m.id for m in found if held.holds(m)}
    in_history |= {m.id for m in found if m.meta.get("said_in") in in_history}
    shown = {r.memory_id for r in chosen} | covered | {str(r.hit.memory.meta.get("said_in")) for r in chosen}
    shown |= {m.id for m in found if m.meta.get("said_in") in shown}
    with_fact = {str(m.meta.get("said_in")) for m in found if m.kind is MemoryKind.FACT}
    brought = [
        m
        for m in found
        if m.id not in shown | in_history | with_fact and m.kind in (MemoryKind.FACT, MemoryKind.EPISODE)
    ]
    # The subjects of the best-ranked memories first, then the history's; newest first within a subject.
    order = {key: n for n, key in enumerate(keys)}
    brought.sort(key=lambda m: (min(order.get(k, len(order)) for k in subject_keys(m)), -m.created_at.timestamp()))
    room = budget - sum(_cost(r.hit.memory) for r in chosen)
    extra: list[Recalled] = []
    for memory in brought:
        if len(extra) < LINKED and _cost(memory) <= room:
            extra.append(Recalled(ScoredMemory(memory, 0.0), 0.0))
            room -= _cost(memory)
    newer = _newest_by_key([*history, *(m for m in found if m.id in in_history)])
    return [_marked(item, newer) for item in [*chosen, *extra]]


def _newest_by_key(memories: Iterable[Memory]) -> dict[str, datetime]:
    newest: dict[str, datetime] = {}
    for memory in memories:
        for key in subject_keys(memory):
            newest[key] = max(newest.get(key, memory.created_at), memory.created_at)
    return newest


def _marked(item: Recalled, newer: dict[str, datetime]) -> Recalled:
    """The item, noting the history's newest statement about its subject when that is newer than it."""
    memory = item.hit.memory
    later = max((newer[k] for k in subject_keys(memory) if k in newer), default=None)
    return replace(item, newer_in_history=later) if later is not None and later > memory.created_at else item


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
