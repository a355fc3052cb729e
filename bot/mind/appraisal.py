"""Appraisal: what a message means to AIKI, as mood events with reasons, in English and Norwegian.

Two readers agree on every message, before any LLM call and with no LLM at all.
- The word rules over a lexicon (bot/mind/appraisal_lexicon.py). In order: irony ("great, another Monday 🙃",
  bot/mind/appraisal_irony.py), fixed idioms over the whole message
  ("can't wait", "no thanks", "passed away"), hidden once read; then, clause by clause, single cues with their
  negation scope ("not sad", "det funker ikke", "vet ikke om"), whom they are about (criticism of AIKI vs of the
  person's code, grief for a being vs a battery), whose feeling it is ("my sister is so stressed" is hers, "my dog
  died" is the person's grief: bot/mind/appraisal_holder.py) and their intensity. Precise when they fire, silent
  otherwise.
- The meaning reader (bot/mind/appraisal_meaning.py): a small learned head over the message's embedding, a few
  structural signs and its closeness to example sentences of each kind (bot/mind/appraisal_head.py, trained for
  each model; the examples alone if its training failed). It hears what no list holds ("we got engaged!").
The rules' readings stand unless a trained head finds their kind very unlikely (praise that was irony); where they
are silent, the meaning reader's closest kind counts if it is clearly closer than the examples of nothing, and beside
them a kind the head is sure of (a mixed message's other half); only as far as the rules allow: criticism must be
aimed at AIKI, a negated joy is a disappointment, "thank god" is no thanks, a phone that died is no grief, a feeling
the words deny or give to someone else is not the person's. Each reason names its reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

from bot.mind import appraisal_lexicon as lex
from bot.mind.appraisal_holder import held_by_other, others_feel
from bot.mind.appraisal_irony import irony
from bot.mind.appraisal_lexicon import Cues, Need
from bot.mind.appraisal_meaning import Sense
from bot.mood import IMPLIES, LONG_ABSENCE, MoodEvent, MoodEventKind

INTENSE, MILD = 1.5, 0.5
# "Not happy" is distress, but a milder one than "unhappy".
NEGATED_WEIGHT = 0.6
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n()]+|\s(?:but|though|although|men|selv om|sjølv om)\s")
_TOKEN = re.compile(r"[\w']+")

_OTHERS_FEELINGS = {MoodEventKind.PERSON_DISTRESSED, MoodEventKind.PERSON_HAPPY, MoodEventKind.PERSON_GRIEVING}
MEANING_REASONS = {
    MoodEventKind.THANKED: "they thanked me",
    MoodEventKind.CRITICISED: "they criticised me",
    MoodEventKind.PERSON_DISTRESSED: "they seem to be having a hard time",
    MoodEventKind.PERSON_GRIEVING: "they lost someone",
    MoodEventKind.PERSON_HAPPY: "they sound happy",
    MoodEventKind.MILESTONE: "they reached something they worked for",
}


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
_IN_PROGRESS = _alternatives(lex.IN_PROGRESS)
_AIKI_GAVE = _alternatives((lex.AIKI_GAVE,))
_DENYING_FRAME = re.compile(r"(?<![\w'])(?:" + "|".join(lex.DENYING_FRAMES) + r")(?![\w'])[^.!?;:,\n()]*")


@dataclass(frozen=True)
class Reading:
    """One thing AIKI read in a message: an event kind, why, and how strongly (0.5 mild .. 1.5 intense)."""

    kind: MoodEventKind
    reason: str
    intensity: float = 1.0


@dataclass(frozen=True)
class Words:
    """What the word rules read in a message, and what they know of it that meaning cannot tell."""

    readings: list[Reading]
    ruled_out: frozenset[MoodEventKind]  # set phrases and irony: "thank god", "no thanks", "said no one ever"
    negated: bool  # a negation outside the idioms: "didn't get the job", "ikke ferdig ennå"
    addressed: bool  # about AIKI: "you", "your answer", "det svaret"
    lifeless: bool  # death words about no person or pet, or denied: "my phone died", "nobody died"
    denied: frozenset[MoodEventKind] = frozenset()  # negated or someone else's: "not tired", "she is stressed"
    beings: bool = False  # a person or a pet is named: grief needs someone to grieve
    in_progress: bool = False  # work still going on: "working on my proxy" is no milestone yet


def read(text: str, sense: Sense | None = None) -> list[Reading]:
    """Every event kind a message brings, strongest reading per kind, in the order first found.

    With a sense of its meaning (bot/mind/appraisal_meaning.py) the meaning reader speaks where the rules are silent.
    """
    words = read_words(text)
    if sense is not None:
        words = replace(words, readings=[r for r in words.readings if not sense.doubts(r.kind)])
    found = words.readings + (_by_meaning(words, sense) if sense is not None else [])
    return _strongest_per_kind([r for r in found if r.kind not in words.ruled_out])


def appraise(text: str, last_seen: datetime | None, now: datetime, sense: Sense | None = None) -> list[MoodEvent]:
    """The events a message from the person brings, each with its reason."""
    events: list[MoodEvent] = []
    if last_seen is not None and now - last_seen >= LONG_ABSENCE:
        days = (now - last_seen).days
        events.append(MoodEvent.of(MoodEventKind.LONG_ABSENCE, f"we had not talked for {days} days", now))
    events += [MoodEvent.of(r.kind, r.reason, now, r.intensity) for r in read(text, sense)]
    return events


def read_words(text: str) -> Words:
    """The word rules alone: irony first, idioms over the whole message (hidden once read), then clause by clause."""
    normal = _normalise(text)
    exclaimed = "!!" in normal
    addressed = _addressed(normal)
    found: list[Reading] = []
    ruled_out: set[MoodEventKind] = set()
    ironic = irony(normal, addressed)
    if ironic is not None:
        ruled_out.update(lex.IRONY_RULES_OUT)
        if ironic.at_aiki:
            found.append(_reading(MoodEventKind.CRITICISED, "they were sarcastic about my help", ironic.cue, 1.0))
    denied: set[MoodEventKind] = set()
    normal = _DENYING_FRAME.sub(lambda m: " " * len(m.group(0)), normal)  # "not that you were unhelpful"
    for compiled in _IDIOMS:
        for match in compiled.pattern.finditer(normal):
            kind = compiled.cues.kind
            if kind is not None and _elsewhere(compiled.cues, normal, match):
                denied.add(kind)
            elif kind is not None:
                found.append(_reading(kind, compiled.cues.reason, match.group(0), 1.0))
            ruled_out.update(compiled.cues.rules_out)
            normal = normal[: match.start()] + " " * (match.end() - match.start()) + normal[match.end() :]
    lifeless = False
    for clause in _CLAUSE_BREAK.split(normal):
        readings, dead_thing, negated_kinds = _read_clause(clause.strip(), exclaimed)
        found += readings
        lifeless = lifeless or dead_thing
        denied |= negated_kinds
    tokens = _TOKEN.findall(normal)
    if others_feel(tokens):
        denied |= _OTHERS_FEELINGS  # the meaning reader must not give someone else's state to the person
    return Words(
        found,
        frozenset(ruled_out),
        negated=any(_is_negator(token) for token in tokens),
        addressed=addressed,
        lifeless=lifeless,
        denied=frozenset(denied),
        beings=_BEING.search(normal) is not None,
        in_progress=_IN_PROGRESS.search(normal) is not None,
    )


def _elsewhere(cues: Cues, normal: str, match: re.Match[str]) -> bool:
    """Whether an idiom read over the whole message is someone else's, judged in its own clause."""
    starts = [m.end() for m in _CLAUSE_BREAK.finditer(normal, 0, match.start())]
    ends = [m.start() for m in _CLAUSE_BREAK.finditer(normal, match.end())]
    before = _TOKEN.findall(normal[starts[-1] if starts else 0 : match.start()])
    after = _TOKEN.findall(normal[match.end() : ends[0] if ends else len(normal)])
    return held_by_other(cues, before, _cue(match.group(0)), after)


def _addressed(normal: str) -> bool:
    """Whether a message speaks to AIKI: "you", "your answer", "det svaret"."""
    tokens = _TOKEN.findall(normal)
    if lex.SECOND_PERSON.intersection(tokens):
        return True
    return _AT_AIKI.search(normal) is not None and not lex.OTHER_AGENTS.intersection(tokens)


def _by_meaning(words: Words, sense: Sense) -> list[Reading]:
    """The meaning reader's closest kind where the rules read nothing, else the kinds it is sure of beside theirs; as
    far as what the rules know allows it."""
    if words.readings:
        read_already = {r.kind for r in words.readings}
        sure = [k for k in sense.sure_of() if k not in read_already and _allowed(k, words) is k]
        return [Reading(k, f'{MEANING_REASONS[k]} (meaning: like "{sense.like[k]}")') for k in sure]
    kind = sense.kind()
    if kind is None:
        return []
    checked = _allowed(kind, words)
    if checked is None:
        return []
    like = f'like "{sense.like[kind]}"'
    if checked is not kind:
        return [Reading(checked, f"{MEANING_REASONS[checked]} (meaning: {like}, negated)", NEGATED_WEIGHT)]
    return [Reading(kind, f"{MEANING_REASONS[kind]} (meaning: {like})")]


def _allowed(kind: MoodEventKind, words: Words) -> MoodEventKind | None:
    """What the rules make of the meaning reader's kind: itself, its opposite under negation, or nothing."""
    checked = _turned(kind, words)
    return None if checked is None or checked in words.ruled_out or checked in words.denied else checked


def _turned(kind: MoodEventKind, words: Words) -> MoodEventKind | None:
    if kind in words.ruled_out:
        return None
    if kind in (MoodEventKind.MILESTONE, MoodEventKind.PERSON_HAPPY) and words.negated:
        return MoodEventKind.PERSON_DISTRESSED  # "I didn't get the job", "testene går ikke grønt"
    if kind is MoodEventKind.THANKED and words.negated:
        return MoodEventKind.CRITICISED if words.addressed else None  # "you're not helping"
    if kind is MoodEventKind.CRITICISED and not words.addressed:
        return None  # "my boss is an idiot" is not about AIKI
    if kind is MoodEventKind.MILESTONE and words.in_progress:
        return None  # "I spent the day working on my proxy": nothing reached yet
    if kind is MoodEventKind.PERSON_GRIEVING and (words.lifeless or not words.beings):
        return None  # "my phone died", "I miss home so much": no one to grieve
    return kind


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return re.sub(r"[ \t]+", " ", text)


def _read_clause(clause: str, exclaimed: bool) -> tuple[list[Reading], bool, set[MoodEventKind]]:
    """The clause's readings, whether it speaks of death about no being (or denies one), and the kinds it denies."""
    if not clause:
        return [], False, set()
    tokens = _TOKEN.findall(clause)
    found: list[Reading] = []
    lifeless = False
    denied: set[MoodEventKind] = set()
    for compiled in _WHOLE:
        if compiled.pattern.fullmatch(clause) and compiled.cues.kind is not None:
            found.append(_reading(compiled.cues.kind, compiled.cues.reason, clause, 1.0))
    gave = _AIKI_GAVE.search(clause)
    if gave is not None and _failed(tokens):
        found.append(_reading(MoodEventKind.CRITICISED, "what I gave them did not work", gave.group(0), 1.0))
    for compiled in _WORDS:
        cues = compiled.cues
        for match in compiled.pattern.finditer(clause):
            before = _TOKEN.findall(clause[: match.start()])
            after = _TOKEN.findall(clause[match.end() :])
            about = _about(cues.needs, clause, tokens, before, after)
            denies = _negated(before, after)
            someone_else = cues.needs is Need.SELF and not about and _BEING.search(clause) is not None
            if cues.kind is not None and (held_by_other(cues, before, _cue(match.group(0)), after) or _unreal(before)):
                denied.add(cues.kind)  # "my sister is so stressed", "vet ikke om jeg har bestått": not the person's
                continue
            if cues.kind is not None and (denies or someone_else):
                denied.add(cues.kind)  # "not that tired", "my coworker is stressed": meaning must not read it either
            negated = about and denies
            lifeless = lifeless or (cues.needs is Need.BEING and (negated or not about))
            if not about:
                found += _aimed_elsewhere(cues, clause, match.group(0))
            elif negated:
                if cues.negated is not None:
                    weight = NEGATED_WEIGHT * _intensity(before, exclaimed)
                    found.append(_reading(cues.negated, f"they are not {_cue(match.group(0))}", "", weight))
            elif cues.kind is not None:
                found.append(_reading(cues.kind, cues.reason, match.group(0), _intensity(before, exclaimed)))
    return found, lifeless, denied


def _aimed_elsewhere(cues: Cues, clause: str, cue: str) -> list[Reading]:
    """Criticism of someone else is no criticism of AIKI, but it says the person is upset: "my boss is an idiot"."""
    if cues.needs is Need.AIKI and _BEING.search(clause) is not None:
        return [_reading(MoodEventKind.PERSON_DISTRESSED, "they are upset with someone", cue, MILD)]
    return []


def _about(needs: Need, clause: str, tokens: list[str], before: list[str], after: list[str]) -> bool:
    """Whether a cue is about whom it must be about (see Need)."""
    if needs is Need.NOTHING:
        return True
    if needs is Need.SELF:
        if lex.SELF_SUBJECTS.intersection(tokens):
            return True
        if _BEING.search(" ".join(before)) is not None:
            return False  # "my coworker seems stressed", "søstera mi er stressa": someone else's feeling
        return bool(lex.FIRST_PERSON.intersection(tokens)) or len(before) < 2
    if needs is Need.BEING:
        return _BEING.search(clause) is not None
    # AIKI: addressed to it, and not about something of the person's own ("you said my code was wrong").
    near = before[-3:] + after[:3]
    if lex.OWN.intersection(near):
        return False
    if lex.OTHER_AGENTS.intersection(tokens) and not lex.SECOND_PERSON.intersection(tokens):
        return False  # "ChatGPT gave me a wrong answer"
    return bool(lex.SECOND_PERSON.intersection(tokens)) or _AT_AIKI.search(clause) is not None


def _negated(before: list[str], after: list[str]) -> bool:
    """A negator within three words before the cue, or right after it (Norwegian: "det virker ikke")."""
    if any(_is_negator(token) for token in before[-3:]):
        return True
    if after and _is_negator(after[0]):
        return True
    return len(after) > 1 and after[0] in lex.BETWEEN_VERB_AND_NEGATION and _is_negator(after[1])


def _failed(tokens: list[str]) -> bool:
    """A clause that says something failed: "funker ikke", "doesn't even compile", "is dead" (not "if it works")."""
    if lex.SUPPOSING.intersection(tokens):
        return False
    negated = any(_is_negator(token) for token in tokens)
    if negated:
        return bool(lex.WORKS.intersection(tokens))
    return bool(lex.FAILED.intersection(tokens))


def _unreal(before: list[str]) -> bool:
    """A cue in a clause that only supposes or wonders: "if I pass", "vet ikke om jeg har bestått"."""
    for at, token in enumerate(before):
        if token in lex.SUPPOSING:
            return True
        if token in lex.WONDERING and any(_is_negator(t) for t in before[max(0, at - 2) : at]):
            return True
    return False


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
    said = f'words: "{_cue(cue)}"' if cue else "words"
    return Reading(kind, f"{reason} ({said})", round(intensity, 2))


def _strongest_per_kind(found: list[Reading]) -> list[Reading]:
    best: dict[MoodEventKind, Reading] = {}
    for reading in found:
        if reading.kind not in best or reading.intensity > best[reading.kind].intensity:
            best[reading.kind] = reading
    for stronger, weaker in IMPLIES.items():
        if stronger in best:
            best.pop(weaker, None)
    return sorted(best.values(), key=lambda r: found.index(r))
