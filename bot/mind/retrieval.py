"""Which recalled memories go into a prompt: best first as Qdrant ranked them, no near-duplicates, within a
token budget.

Relevance, recency and importance (Generative Agents) are fused inside Qdrant's query (bot/memory/hybrid.py), so
this only chooses among the ranked candidates; it no longer re-scores them in Python.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

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


# Words that say nothing about what a statement is about, in English and Norwegian.
_FUNCTION_WORDS = frozenset(
    """the and but for not now then than that this these those with from into onto have has had was were are
    is am be been being you your yours our ours they them their she her his him its who what which when where
    how why there here very just also too so all any some one two new old last next day days aiki
    jeg meg min mitt mine du deg din ditt dine han hun ham henne hans hennes den det de dem deres vi oss vår
    som og men for ikke nå så til fra med på av har hadde var er blir ble være vært skal vil kan kunne
    der her hva hvem hvor når hvordan hvilken hvilket også bare veldig lenger enn etter før""".split()
)
SAME_SUBJECT_SHARE = 0.25
# Said within this time of each other, two statements are one conversation, not an update of one by the other.
UPDATE_GAP = timedelta(minutes=10)


def _subject(memory_text: str) -> set[str]:
    """What a statement is about: the stems of its content words, from the person's own lines only."""
    lines = [line for line in memory_text.splitlines() if not line.startswith("AIKI:")]
    text = " ".join(line.split(":", 1)[1] if ":" in line[:40] else line for line in lines)
    return {w[:5] for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in _FUNCTION_WORDS}


def _same_subject(a: set[str], b: set[str]) -> bool:
    shared = len(a & b)
    return shared > 0 and shared / min(len(a), len(b)) >= SAME_SUBJECT_SHARE


def _later(a: datetime, b: datetime) -> bool:
    return a - b > UPDATE_GAP


def newer_first(chosen: list[Recalled]) -> list[Recalled]:
    """A later statement about the same subject goes before the earlier one ("I moved to Tromsø" before "I live
    in Bergen"), wherever the store ranked them: a knowledge update wins even when no LLM marked the old fact.

    Words nearly all the recalled memories share (the person's name in every fact) say nothing about the subject.
    """
    subjects = [_subject(item.hit.memory.text) for item in chosen]
    if len(chosen) >= 4:
        common = {w for w, n in Counter(w for s in subjects for w in s).items() if n > len(chosen) * 3 / 4}
        subjects = [s - common for s in subjects]
    ordered: list[tuple[Recalled, set[str]]] = []
    for item, subject in zip(chosen, subjects, strict=True):
        created = item.hit.memory.created_at
        slot = next(
            (
                i
                for i, (placed, placed_subject) in enumerate(ordered)
                if _later(created, placed.hit.memory.created_at) and _same_subject(placed_subject, subject)
            ),
            len(ordered),
        )
        ordered.insert(slot, (item, subject))
    return [item for item, _ in ordered]


def rank(candidates: list[ScoredMemory], budget_tokens: int, limit: int = 8) -> list[Recalled]:
    """Keep the best (in the store's order) that are not near-duplicates of a better one and fit the budget;
    of two statements about the same subject, the newer comes first."""
    chosen: list[Recalled] = []
    chosen_words: list[set[str]] = []
    used = 0
    for hit in candidates:
        words = _words(hit.memory.text)
        duplicate = next((i for i, other in enumerate(chosen_words) if _near_duplicate(words, other)), None)
        if duplicate is not None:
            if _later(hit.memory.created_at, chosen[duplicate].hit.memory.created_at):
                chosen[duplicate] = Recalled(hit, hit.score)  # said again, later: the newer wording stands
                chosen_words[duplicate] = words
            continue
        cost = estimate_tokens(hit.memory.text) + 12
        if used + cost > budget_tokens:
            continue
        chosen.append(Recalled(hit, hit.score))
        chosen_words.append(words)
        used += cost
        if len(chosen) >= limit:
            break
    return newer_first(chosen)
