"""Which recalled memories go into a prompt: best first as Qdrant ranked them, no near-duplicates, little of AIKI's
own words, within a token budget.

Relevance, recency and importance (Generative Agents) are fused inside Qdrant's query (bot/memory/hybrid.py), so
this only chooses among the ranked candidates; it no longer re-scores them in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.memory.models import Memory, ScoredMemory
from bot.tokens import estimate_tokens, shorten

DUPLICATE_OVERLAP = 0.8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Recalled:
    hit: ScoredMemory
    score: float
    # When the prompt's recent history says something newer about this memory's subject (the fact step's link):
    # the memory block then marks this one as earlier, not as the latest (bot/mind/prompt.py).
    newer_in_history: datetime | None = None

    @property
    def memory_id(self) -> str:
        return self.hit.memory.id


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _near_duplicate(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= DUPLICATE_OVERLAP


# Said within this time of each other, two near-identical memories are one conversation, not a repetition later.
REPEAT_GAP = timedelta(minutes=10)
# AIKI's own earlier replies are context, not evidence: what the person said gets the room (issue: with a real
# model, 5 of 8 recalled memories were AIKI's words). At most this many, each shown this short.
AIKI_LINES = 2
AIKI_SHOWN_CHARS = 300


def by_aiki(memory: Memory) -> bool:
    return memory.meta.get("by") == "aiki"


def subject_keys(memory: Memory) -> set[str]:
    """What a memory states about the person, as the fact step linked it: a fact's key, an episode's `keys`."""
    keys = memory.meta.get("keys") or []
    key = memory.meta.get("key")
    return {str(k) for k in (*keys, *([key] if key else []))}


def shown_text(memory: Memory) -> str:
    """A memory's words as a prompt shows them: AIKI's own earlier replies cut short."""
    return shorten(memory.text, AIKI_SHOWN_CHARS) if by_aiki(memory) else memory.text


def rank(candidates: list[ScoredMemory], budget_tokens: int, limit: int = 8) -> list[Recalled]:
    """The best in the store's order (its relevance), without near-duplicates of a better one, within the budget,
    with at most AIKI_LINES of AIKI's own words. The order stays the store's: a prompt trims from the end, and
    the intention brings up the first. Time is shown, not implied by position (bot/mind/prompt.py)."""
    chosen: list[Recalled] = []
    chosen_words: list[set[str]] = []
    used = aiki = 0
    for hit in candidates:
        words = _words(hit.memory.text)
        duplicate = next((i for i, other in enumerate(chosen_words) if _near_duplicate(words, other)), None)
        if duplicate is not None:
            if hit.memory.created_at - chosen[duplicate].hit.memory.created_at > REPEAT_GAP:
                chosen[duplicate] = Recalled(hit, hit.score)  # said again, later: the newer wording stands
                chosen_words[duplicate] = words
            continue
        if by_aiki(hit.memory) and aiki >= AIKI_LINES:
            continue
        cost = estimate_tokens(shown_text(hit.memory)) + 12
        if used + cost > budget_tokens:
            continue
        chosen.append(Recalled(hit, hit.score))
        chosen_words.append(words)
        used += cost
        aiki += by_aiki(hit.memory)
        if len(chosen) >= limit:
            break
    return chosen
