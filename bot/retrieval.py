"""Which memories go into a prompt: relevance, recency and importance (Generative Agents), no near-duplicates,
within a token budget."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.memory.models import ScoredMemory

# Recency decays per hour since the memory was last recalled (or made): 0.995/h halves in ~6 days.
RECENCY_DECAY_PER_HOUR = 0.995
WEIGHTS = {"relevance": 1.0, "recency": 0.35, "importance": 0.35}
# Below this cosine similarity a memory is not about the message at all, however recent or important.
MIN_RELEVANCE = 0.2
DUPLICATE_OVERLAP = 0.8
_WORD = re.compile(r"\w+")


def estimate_tokens(text: str) -> int:
    """~4 characters a token for English, a little less for Norwegian; cheap and good enough for budgets."""
    return len(text) // 3 + 1


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


def _minmax(values: list[float]) -> list[float]:
    low, high = min(values), max(values)
    if high - low < 1e-9:
        return [1.0 for _ in values]
    return [(v - low) / (high - low) for v in values]


def rank(candidates: list[ScoredMemory], now: datetime, budget_tokens: int, limit: int = 8) -> list[Recalled]:
    """Score, drop near-duplicates, and keep the best that fit the budget (best first)."""
    relevant = [c for c in candidates if c.score >= MIN_RELEVANCE]
    if not relevant:
        return []
    hours = [
        max(0.0, (now - (c.memory.last_recalled_at or c.memory.created_at)).total_seconds() / 3600) for c in relevant
    ]
    recency = _minmax([RECENCY_DECAY_PER_HOUR**h for h in hours])
    importance = _minmax([c.memory.importance for c in relevant])
    relevance = _minmax([c.score for c in relevant])
    scored = sorted(
        (
            Recalled(
                c,
                WEIGHTS["relevance"] * rel + WEIGHTS["recency"] * rec + WEIGHTS["importance"] * imp,
            )
            for c, rel, rec, imp in zip(relevant, relevance, recency, importance, strict=True)
        ),
        key=lambda r: r.score,
        reverse=True,
    )
    chosen: list[Recalled] = []
    chosen_words: list[set[str]] = []
    used = 0
    for item in scored:
        words = _words(item.hit.memory.text)
        if any(_near_duplicate(words, other) for other in chosen_words):
            continue
        cost = estimate_tokens(item.hit.memory.text) + 12
        if used + cost > budget_tokens:
            continue
        chosen.append(item)
        chosen_words.append(words)
        used += cost
        if len(chosen) >= limit:
            break
    return chosen
