"""How much a memory matters, scored when it is written (cheap rules, no LLM call on the hot path)."""

from __future__ import annotations

from bot.memory.models import MemoryKind
from bot.mind.cues import names_a_date, weighty_words

_BASE = {
    MemoryKind.IDENTITY: 1.0,
    MemoryKind.PROFILE: 0.8,
    MemoryKind.REFLECTION: 0.7,
    MemoryKind.PROJECT: 0.7,
    MemoryKind.FACT: 0.6,
    MemoryKind.EVENT: 0.6,
    MemoryKind.NOTE: 0.5,
    MemoryKind.EPISODE: 0.3,
}


def score_importance(text: str, kind: MemoryKind, explicit: bool = False) -> float:
    """0..1: the kind sets the base; weighty words, dates and being asked to remember raise it."""
    score = _BASE.get(kind, 0.5)
    score += 0.08 * min(3, weighty_words(text))
    if names_a_date(text):
        score += 0.05
    if explicit:  # the person said "remember this"
        score += 0.25
    if len(text.split()) < 4 and kind is MemoryKind.EPISODE:
        score -= 0.1
    return round(max(0.05, min(1.0, score)), 2)
