"""A dated event ahead in what a person says ("eksamen på fredag", "job interview tomorrow at 10"), so AIKI can ask
how it went once it has passed (bot/mind/checkin_hooks.py keeps it; the check-in planner asks).

Cheap rules, no LLM, English and Norwegian; tuned on the dev half of tests/data/followups.jsonl (bench/followups.py
reports the test half). A statement counts when one clause names a coming time and an event (an exam, a flight,
an appointment; or a plan verb: flying, moving, starting), and nothing in it says the time is over or the event
is not happening.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.memory.timeahead import parse_ahead

# An event at a named hour is asked about this long after it began.
EVENT_LASTS = timedelta(hours=3)

# Things with a date that are worth asking about afterwards. Long stems match inside a word too (Norwegian joins
# words: "jobbintervju", "bursdagsfesten", "tannlegen"); short ones only at a word's start ("date" is no "update").
_EVENT_STEMS = (
    # English
    "exam", "interview", "flight", "appointment", "surgery", "operation", "wedding", "match", "concert",
    "talk", "presentation", "presenting", "meeting", "date", "deadline", "hackathon", "trip", "party", "birthday",
    "funeral", "conference", "thesis", "defence", "defense", "race", "marathon", "audition", "recital", "gig",
    "dentist", "doctor", "test", "game", "new job", "vacation", "holiday", "journey",
    # Norwegian
    "eksamen", "prøve", "oppkjøring", "intervju", "flyet", "timen", "legetime", "tannlege", "lege", "operasjon",
    "bryllup", "kamp", "konsert", "foredrag", "presentasjon", "møte", "frist", "innlevering", "fest",
    "bursdag", "begravelse", "konferanse", "disputas", "ny jobb", "løp", "forestilling", "ferie", "reise",
)  # fmt: skip
# Plans said with a verb: "flyr til Tromsø", "moving to Bergen", "begynner i ny jobb".
_PLAN_VERBS = (
    "fly", "flyr", "flying", "flies", "reiser", "travel", "travelling", "traveling", "moving", "flytter",
    "starting", "start", "begynner", "leaving", "drar", "skal til", "skal på", "going to", "heading to",
)  # fmt: skip
_PAST = re.compile(
    r"\b(?:had|was|were|went|did|yesterday|last|ago|used\s+to|finished|hadde|var|gikk|ble|i\s+går|forrige|"
    r"siden|pleide|sist|ferdig)\b",
    re.I,
)
_NEGATION = re.compile(r"\b(?:no|not|don't|dont|doesn't|won't|never|nothing|ingen|ikke|aldri|ingenting)\b", re.I)
# Sentences ("den 3. kl 12" is one), and the halves of "tired today, but the exam is tomorrow": a past or a
# denial in one half says nothing about the other.
_CLAUSES = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ])|\n+|;\s*|,?\s+(?i:but|men|because|fordi)\s+")
_LONG_STEM = 5


@dataclass(frozen=True)
class PlannedEvent:
    """An event the person said is coming: what (their word for it), when, and the sentence it was said in."""

    what: str
    start: datetime
    end: datetime
    at: datetime | None  # the hour it starts, when they named one
    said: str

    @property
    def due(self) -> datetime:
        """When it has passed, so asking how it went makes sense."""
        return self.at + EVENT_LASTS if self.at is not None else self.end


def _event_word(clause: str) -> tuple[str, int] | None:
    """The event a clause names and where it stands in it."""
    lowered = clause.lower()
    for stem in _EVENT_STEMS:
        pattern = rf"\w*{re.escape(stem)}\w*" if len(stem) >= _LONG_STEM else rf"\b{re.escape(stem)}\w*"
        found = re.search(pattern, lowered)
        if found is not None:
            return found.group(0), found.start()
    for verb in _PLAN_VERBS:
        found = re.search(rf"\b{re.escape(verb)}\b", lowered)
        if found is not None:
            return _plan_phrase(clause, found.start()), found.start()
    return None


def _plan_phrase(clause: str, start: int) -> str:
    """'flyr til Tromsø neste uke' -> 'flyr til Tromsø': the verb and the few words after it."""
    return " ".join(clause[start:].split()[:3]).strip(" ,.!?")


def planned_event(text: str, now: datetime, zone: ZoneInfo) -> PlannedEvent | None:
    """The first event ahead that the text names, or None."""
    for clause in _CLAUSES.split(text.strip()):
        if _PAST.search(clause) or _NEGATION.search(clause):
            continue
        event = _event_word(clause)
        if event is None:
            continue
        what, where = event
        # "nervous today, the exam is tomorrow": the time that goes with the event is the one nearest it.
        ahead = parse_ahead(clause, now, zone, near=where)
        if ahead is None:
            continue
        return PlannedEvent(what, ahead.start, ahead.end, ahead.at, clause.strip())
    return None
