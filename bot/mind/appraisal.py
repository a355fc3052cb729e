"""Appraisal: what a message means to AIKI, as mood events with reasons, in English and Norwegian.

Rules over a lexicon (bot/mind/appraisal_lexicon.py), run on every message before any LLM call and with no LLM at
all. In order: fixed idioms over the whole message ("can't wait", "no thanks", "passed away"), hidden once read;
then, clause by clause, single cues with their negation scope ("not sad", "det funker ikke"), whom they are about
(criticism of AIKI vs of the person's code, grief for a being vs a battery) and their intensity.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.mind import appraisal_lexicon as lex
from bot.mind.appraisal_lexicon import Cues, Need
from bot.mood import LONG_ABSENCE, MoodEvent, MoodEventKind

INTENSE, MILD = 1.5, 0.5
# "Not happy" is distress, but a milder one than "unhappy".
NEGATED_WEIGHT = 0.6
# What a stronger event already says: grief is distress, a milestone is joy.
SUBSUMES = {
    MoodEventKind.PERSON_GRIEVING: MoodEventKind.PERSON_DISTRESSED,
    MoodEventKind.MILESTONE: MoodEventKind.PERSON_HAPPY,
}
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n()]+|\s(?:but|though|although|men|selv om|sjølv om)\s")
_TOKEN = re.compile(r"[\w']+")


def _alternatives(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w'])(?:" + "|".join(words) + r")(?![\w'])")


@dataclass(frozen=True)
class _Compiled:
    cues: Cues
    pattern: re.Pattern[str]


def _compile(groups: tuple[Cues, ...]) -> tuple[_Compiled, ...]:
    return tuple(_Compiled(group, _alternatives(group.words)) for group in groups)


_IDIOMS = _compile(lex.IDIOMS)
_WORDS = _compile(lex.WORD_CUES)
_WHOLE = tuple(_Compiled(g, re.compile(r"(?:" + "|".join(g.words) + r")")) for g in lex.WHOLE_CLAUSE)
_BEING = _alternatives(tuple(rf"{word}(?:en|a|et|n|ren|s|'s)?" for word in lex.BEINGS))
_AT_AIKI = _alternatives(lex.AT_AIKI)


@dataclass(frozen=True)
class Reading:
    """One thing AIKI read in a message: an event kind, why, and how strongly (0.5 mild .. 1.5 intense)."""

    kind: MoodEventKind
    reason: str
    intensity: float = 1.0


def read(text: str) -> list[Reading]:
    """Every event kind a message brings, strongest reading per kind, in the order first found."""
    normal = _normalise(text)
    exclaimed = "!!" in normal
    found: list[Reading] = []
    for compiled in _IDIOMS:
        for match in compiled.pattern.finditer(normal):
            if compiled.cues.kind is not None:
                found.append(_reading(compiled.cues.kind, compiled.cues.reason, match.group(0), 1.0))
            normal = normal[: match.start()] + " " * (match.end() - match.start()) + normal[match.end() :]
    for clause in _CLAUSE_BREAK.split(normal):
        found += _read_clause(clause.strip(), exclaimed)
    return _strongest_per_kind(found)


def appraise(text: str, last_seen: datetime | None, now: datetime) -> list[MoodEvent]:
    """The events a message from the person brings, each with its reason."""
    events: list[MoodEvent] = []
    if last_seen is not None and now - last_seen >= LONG_ABSENCE:
        days = (now - last_seen).days
        events.append(MoodEvent.of(MoodEventKind.LONG_ABSENCE, f"we had not talked for {days} days", now))
    events += [MoodEvent.of(r.kind, r.reason, now, r.intensity) for r in read(text)]
    return events


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return re.sub(r"[ \t]+", " ", text)


def _read_clause(clause: str, exclaimed: bool) -> list[Reading]:
    if not clause:
        return []
    tokens = _TOKEN.findall(clause)
    found: list[Reading] = []
    for compiled in _WHOLE:
        if compiled.pattern.fullmatch(clause) and compiled.cues.kind is not None:
            found.append(_reading(compiled.cues.kind, compiled.cues.reason, clause, 1.0))
    for compiled in _WORDS:
        cues = compiled.cues
        for match in compiled.pattern.finditer(clause):
            before = _TOKEN.findall(clause[: match.start()])
            after = _TOKEN.findall(clause[match.end() :])
            if not _about(cues.needs, clause, tokens, before, after):
                continue
            if _negated(before, after):
                if cues.negated is not None:
                    weight = NEGATED_WEIGHT * _intensity(before, exclaimed)
                    found.append(_reading(cues.negated, f"they are not {_cue(match.group(0))}", "", weight))
                continue
            if cues.kind is not None:
                found.append(_reading(cues.kind, cues.reason, match.group(0), _intensity(before, exclaimed)))
    return found


def _about(needs: Need, clause: str, tokens: list[str], before: list[str], after: list[str]) -> bool:
    """Whether a cue is about whom it must be about (see Need)."""
    if needs is Need.NOTHING:
        return True
    if needs is Need.SELF:
        return bool(lex.FIRST_PERSON.intersection(tokens)) or len(before) < 2
    if needs is Need.BEING:
        return _BEING.search(clause) is not None
    # AIKI: addressed to it, and not about something of the person's own ("you said my code was wrong").
    near = before[-3:] + after[:3]
    if lex.OWN.intersection(near):
        return False
    return bool(lex.SECOND_PERSON.intersection(tokens)) or _AT_AIKI.search(clause) is not None


def _negated(before: list[str], after: list[str]) -> bool:
    """A negator within three words before the cue, or right after it (Norwegian: "det virker ikke")."""
    if any(_is_negator(token) for token in before[-3:]):
        return True
    if after and _is_negator(after[0]):
        return True
    return len(after) > 1 and after[0] in lex.BETWEEN_VERB_AND_NEGATION and _is_negator(after[1])


def _is_negator(token: str) -> bool:
    return token in lex.NEGATORS or token.endswith("n't")


def _intensity(before: list[str], exclaimed: bool) -> float:
    near = before[-2:]
    if lex.DIMINISHERS.intersection(near):
        return MILD
    if exclaimed or lex.INTENSIFIERS.intersection(near):
        return INTENSE
    return 1.0


def _cue(words: str) -> str:
    return " ".join(words.split())


def _reading(kind: MoodEventKind, reason: str, cue: str, intensity: float) -> Reading:
    quoted = f' ("{_cue(cue)}")' if cue else ""
    return Reading(kind, f"{reason}{quoted}", round(intensity, 2))


def _strongest_per_kind(found: list[Reading]) -> list[Reading]:
    best: dict[MoodEventKind, Reading] = {}
    for reading in found:
        if reading.kind not in best or reading.intensity > best[reading.kind].intensity:
            best[reading.kind] = reading
    for stronger, weaker in SUBSUMES.items():
        if stronger in best:
            best.pop(weaker, None)
    return sorted(best.values(), key=lambda r: found.index(r))
