"""How much a memory matters, scored when it is written (cheap rules, no LLM call on the hot path)."""

from __future__ import annotations

import re

from bot.memory.models import MemoryKind

_BASE = {
    MemoryKind.IDENTITY: 1.0,
    MemoryKind.PROJECT: 0.7,
    MemoryKind.FACT: 0.6,
    MemoryKind.NOTE: 0.5,
    MemoryKind.EPISODE: 0.3,
}
# Things people care about over time, in English and Norwegian.
_WEIGHTY = re.compile(
    r"(?<!\w)(always|never|love|hate|afraid|dream|goal|plan|project|deadline|birthday|diagnos\w*|adhd|family|"
    r"sister|brother|mother|father|wife|husband|partner|job|work|moved|alltid|aldri|elsker|hater|redd|drøm|mål|"
    r"prosjekt|frist|bursdag|familie|søster|bror|mor|far|kone|mann|kjæreste|jobb|flyttet)(?!\w)",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(\d{1,2}[./]\d{1,2}|\d{4}-\d{2}-\d{2}|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag)\b",
    re.IGNORECASE,
)


def score_importance(text: str, kind: MemoryKind, explicit: bool = False) -> float:
    """0..1: the kind sets the base; weighty words, dates and being asked to remember raise it."""
    score = _BASE.get(kind, 0.5)
    score += 0.08 * min(3, len(_WEIGHTY.findall(text)))
    if _DATE.search(text):
        score += 0.05
    if explicit:  # the person said "remember this"
        score += 0.25
    if len(text.split()) < 4 and kind is MemoryKind.EPISODE:
        score -= 0.1
    return round(max(0.05, min(1.0, score)), 2)
