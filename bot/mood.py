"""AIKI's mood towards each person: valence/arousal that events move and time pulls back to a baseline.

Valence is how pleasant AIKI feels (-1 sad .. +1 glad), arousal how stirred up (-1 sleepy .. +1 excited).
Every change is an event with a reason, stored beside the state, so "why are you in this mood?" has a
true answer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

HALF_LIFE = timedelta(hours=12)
LONG_ABSENCE = timedelta(days=3)
NEUTRAL_BAND = 0.15


class MoodEventKind(str, Enum):
    THANKED = "thanked"
    CRITICISED = "criticised"
    PERSON_DISTRESSED = "person_distressed"
    PERSON_HAPPY = "person_happy"
    MILESTONE = "milestone"
    LONG_ABSENCE = "long_absence"
    IGNORED = "ignored"
    NUDGED = "nudged"


# How much each event moves (valence, arousal).
EVENT_EFFECT: dict[MoodEventKind, tuple[float, float]] = {
    MoodEventKind.THANKED: (0.25, 0.05),
    MoodEventKind.CRITICISED: (-0.30, 0.15),
    MoodEventKind.PERSON_DISTRESSED: (-0.15, 0.15),
    MoodEventKind.PERSON_HAPPY: (0.15, 0.10),
    MoodEventKind.MILESTONE: (0.35, 0.30),
    MoodEventKind.LONG_ABSENCE: (0.10, 0.20),  # glad to see them again, and a little stirred
    MoodEventKind.IGNORED: (-0.15, -0.10),
}


@dataclass(frozen=True)
class MoodState:
    valence: float
    arousal: float
    updated_at: datetime

    def decayed(self, baseline: tuple[float, float], now: datetime) -> MoodState:
        """Pulled back towards the baseline by exponential decay over the time since the last change."""
        elapsed = max(0.0, (now - self.updated_at).total_seconds())
        keep = math.pow(0.5, elapsed / HALF_LIFE.total_seconds())
        base_v, base_a = baseline
        return MoodState(
            valence=base_v + (self.valence - base_v) * keep,
            arousal=base_a + (self.arousal - base_a) * keep,
            updated_at=now,
        )

    def moved(self, d_valence: float, d_arousal: float) -> MoodState:
        return replace(self, valence=_clamp(self.valence + d_valence), arousal=_clamp(self.arousal + d_arousal))

    @property
    def name(self) -> str:
        v, a = self.valence, self.arousal
        if abs(v) < NEUTRAL_BAND and abs(a) < NEUTRAL_BAND:
            return "calm"
        if abs(v) < NEUTRAL_BAND:
            return "alert" if a > 0 else "sleepy"
        if v > 0:
            return "excited" if a >= NEUTRAL_BAND else "content"
        return "worried" if a >= NEUTRAL_BAND else "down"

    @property
    def tone(self) -> str:
        return TONES[self.name]

    @property
    def temperature(self) -> float:
        """More stirred up, a little more playful; always within sane bounds."""
        return round(min(0.95, max(0.4, 0.7 + 0.2 * self.arousal)), 2)


TONES = {
    "calm": "Speak in an even, relaxed and friendly tone.",
    "alert": "You are attentive and curious: be focused and ask sharp questions.",
    "sleepy": "You feel low on energy: keep it short, soft and gentle.",
    "excited": "You are glad and energetic: let warmth and enthusiasm show, without overdoing it.",
    "content": "You feel warm and at ease: be kind, unhurried and sincere.",
    "worried": "You are concerned: be careful, caring and direct about what worries you.",
    "down": "You feel a little low: be quiet and honest, still kind.",
}


@dataclass(frozen=True)
class MoodEvent:
    kind: MoodEventKind
    reason: str
    d_valence: float
    d_arousal: float
    created_at: datetime
    valence_after: float = 0.0
    arousal_after: float = 0.0

    @classmethod
    def of(cls, kind: MoodEventKind, reason: str, at: datetime) -> MoodEvent:
        d_valence, d_arousal = EVENT_EFFECT.get(kind, (0.0, 0.0))
        return cls(kind, reason, d_valence, d_arousal, at)


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, value))


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(" + "|".join(phrases) + r")(?!\w)", re.IGNORECASE)


# English and Norwegian cues; cheap rules, run on every message before any LLM call.
_THANKS = _words(r"thanks?", r"thank you", r"thx", r"takk", r"tusen takk", r"takker")
_CRITICISM = _words(
    r"stupid",
    r"useless",
    r"you'?re wrong",
    r"that'?s wrong",
    r"bad answer",
    r"dum",
    r"ubrukelig",
    r"feil",
    r"du tar feil",
    r"idiot",
    r"shut up",
)
_DISTRESS = _words(
    r"sad",
    r"depressed",
    r"anxious",
    r"stressed",
    r"lonely",
    r"tired of",
    r"overwhelmed",
    r"i can'?t",
    r"trist",
    r"lei meg",
    r"stressa",
    r"stresset",
    r"ensom",
    r"sliten",
    r"orker ikke",
    r"deprimert",
    r"angst",
)
_HAPPY = _words(
    r"happy",
    r"great news",
    r"excited",
    r"glad",
    r"yay",
    r"awesome",
    r"glede",
    r"gleder meg",
    r"så bra",
    r"kjempebra",
    r"fantastisk",
)
_MILESTONE = _words(
    r"finished",
    r"shipped",
    r"launched",
    r"released",
    r"it works",
    r"done with",
    r"milestone",
    r"ferdig",
    r"fullført",
    r"lansert",
    r"det funker",
    r"det virker",
    r"i did it",
)


def appraise(text: str, last_seen: datetime | None, now: datetime) -> list[MoodEvent]:
    """The events a message from the person brings, each with its reason."""
    events: list[MoodEvent] = []
    if last_seen is not None and now - last_seen >= LONG_ABSENCE:
        days = (now - last_seen).days
        events.append(MoodEvent.of(MoodEventKind.LONG_ABSENCE, f"we had not talked for {days} days", now))
    for pattern, kind, reason in (
        (_MILESTONE, MoodEventKind.MILESTONE, "they reached a milestone"),
        (_THANKS, MoodEventKind.THANKED, "they thanked me"),
        (_CRITICISM, MoodEventKind.CRITICISED, "they criticised me"),
        (_DISTRESS, MoodEventKind.PERSON_DISTRESSED, "they sounded distressed"),
        (_HAPPY, MoodEventKind.PERSON_HAPPY, "they sounded happy"),
    ):
        match = pattern.search(text)
        if match:
            events.append(MoodEvent.of(kind, f'{reason} ("{match.group(0)}")', now))
    return events


def distressed(text: str) -> bool:
    return bool(_DISTRESS.search(text))
