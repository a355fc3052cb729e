"""Which recalled memories go into a prompt: best first as Qdrant ranked them, no near-duplicates, within a
token budget.

Relevance, recency and importance (Generative Agents) are fused inside Qdrant's query (bot/memory/hybrid.py), so
this only chooses among the ranked candidates; it no longer re-scores them in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.memory.models import ScoredMemory
from bot.tokens import estimate_tokens

DUPLICATE_OVERLAP = 0.8
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Recalled:
    hit: ScoredMemory
    score: float

    @property
    def memory_id(self) -> str:
        return self.hit.memory.id


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _near_duplicate(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= DUPLICATE_OVERLAP


def rank(candidates: list[ScoredMemory], budget_tokens: int, limit: int = 8) -> list[Recalled]:
    """Keep the best (in the store's order) that are not near-duplicates of a better one and fit the budget."""
    chosen: list[Recalled] = []
    chosen_words: list[set[str]] = []
    used = 0
    for hit in candidates:
        words = _words(hit.memory.text)
        if any(_near_duplicate(words, other) for other in chosen_words):
            continue
        cost = estimate_tokens(hit.memory.text) + 12
        if used + cost > budget_tokens:
            continue
        chosen.append(Recalled(hit, hit.score))
        chosen_words.append(words)
        used += cost
        if len(chosen) >= limit:
            break
    return chosen
