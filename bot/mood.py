"""AIKI's mood towards each person: valence/arousal that events move and time pulls back to a baseline.

Valence is how pleasant AIKI feels (-1 sad .. +1 glad), arousal how stirred up (-1 sleepy .. +1 excited).
Every change is an event with a reason, stored beside the state, so "why are you in this mood?" has a
true answer. What AIKI feels has an object too: the latest events name it (concern when the person is hurting,
joy with them when they succeed, gratitude when thanked, hurt when criticised); only when nothing happened
lately does the name come from valence and arousal alone.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

HALF_LIFE = timedelta(hours=12)
# How long the feeling an event brought names the mood (the numbers keep decaying on their own).
FEELING_LASTS = timedelta(hours=6)
LONG_ABSENCE = timedelta(days=3)
NEUTRAL_BAND = 0.15


class MoodEventKind(str, Enum):
    THANKED = "thanked"
    CRITICISED = "criticised"
    PERSON_DISTRESSED = "person_distressed"
    PERSON_GRIEVING = "person_grieving"
    PERSON_HAPPY = "person_happy"
    MILESTONE = "milestone"
    LONG_ABSENCE = "long_absence"
    IGNORED = "ignored"
    NUDGED = "nudged"


# What a stronger event already says: grief is distress, a milestone is joy. Whatever asks whether a person is
# distressed (comfort, the appraisal bench) counts grief too; appraisal keeps only the stronger of the two.
IMPLIES: dict[MoodEventKind, MoodEventKind] = {
    MoodEventKind.PERSON_GRIEVING: MoodEventKind.PERSON_DISTRESSED,
    MoodEventKind.MILESTONE: MoodEventKind.PERSON_HAPPY,
}


def with_implied(kinds: Iterable[MoodEventKind]) -> set[MoodEventKind]:
    """The kinds and what they imply: {person_grieving} is also person_distressed."""
    present = set(kinds)
    return present | {IMPLIES[kind] for kind in present if kind in IMPLIES}


# How much each event moves (valence, arousal).
EVENT_EFFECT: dict[MoodEventKind, tuple[float, float]] = {
    MoodEventKind.THANKED: (0.25, 0.05),
    MoodEventKind.CRITICISED: (-0.30, 0.15),
    MoodEventKind.PERSON_DISTRESSED: (-0.15, 0.15),
    MoodEventKind.PERSON_GRIEVING: (-0.30, -0.05),
    MoodEventKind.PERSON_HAPPY: (0.15, 0.10),
    MoodEventKind.MILESTONE: (0.35, 0.30),
    MoodEventKind.LONG_ABSENCE: (0.10, 0.20),  # glad to see them again, and a little stirred
    MoodEventKind.IGNORED: (-0.15, -0.10),
}


@dataclass(frozen=True)
class Feeling:
    """What AIKI feels about what happened, and how it speaks while it feels so."""

    name: str
    tone: str
    caring: bool = False  # for someone who is hurting: never cheerful, a steadier temperature


FEELINGS: dict[MoodEventKind, Feeling] = {
    MoodEventKind.PERSON_GRIEVING: Feeling(
        "saddened",
        "You share their sorrow: be quiet, warm and unhurried; no cheer, no exclamation marks, no advice unless asked.",
        caring=True,
    ),
    MoodEventKind.PERSON_DISTRESSED: Feeling(
        "concerned",
        "You are concerned for them: be gentle, caring and present; no cheerfulness, no exclamation marks.",
        caring=True,
    ),
    MoodEventKind.MILESTONE: Feeling(
        "proud", "You are proud of them and glad with them: let warmth and enthusiasm show, sincerely."
    ),
    MoodEventKind.CRITICISED: Feeling(
        "hurt",
        "You feel a little hurt by the criticism: stay calm, honest and kind; own a real mistake, never sulk.",
    ),
    MoodEventKind.PERSON_HAPPY: Feeling("glad", "You are glad with them: share their joy warmly, not overdoing it."),
    MoodEventKind.THANKED: Feeling("grateful", "You feel appreciated and grateful: be warm, sincere and modest."),
    MoodEventKind.LONG_ABSENCE: Feeling(
        "happy to see them", "You are glad to hear from them again: be warm and curious about how they have been."
    ),
    MoodEventKind.IGNORED: Feeling("wistful", "You feel a little left out: be warm, never reproachful."),
}
# When one message brings several events, the feeling follows the one that matters most: the same order in which
# bot/mind/intention.py chooses what to do (comfort first, then celebrate), so a reply's mood and intention agree.
FEELING_ORDER = (
    MoodEventKind.PERSON_GRIEVING,
    MoodEventKind.PERSON_DISTRESSED,
    MoodEventKind.MILESTONE,
    MoodEventKind.CRITICISED,
    MoodEventKind.PERSON_HAPPY,
    MoodEventKind.THANKED,
    MoodEventKind.LONG_ABSENCE,
    MoodEventKind.IGNORED,
)


@dataclass(frozen=True)
class MoodState:
    valence: float
    arousal: float
    updated_at: datetime
    feeling: MoodEventKind | None = None  # the event kind whose feeling names the mood, if one does

    def decayed(self, baseline: tuple[float, float], now: datetime) -> MoodState:
        """Pulled back towards the baseline by exponential decay over the time since the last change."""
        elapsed = max(0.0, (now - self.updated_at).total_seconds())
        keep = math.pow(0.5, elapsed / HALF_LIFE.total_seconds())
        base_v, base_a = baseline
        return MoodState(
            valence=base_v + (self.valence - base_v) * keep,
            arousal=base_a + (self.arousal - base_a) * keep,
            updated_at=now,
            feeling=self.feeling,
        )

    def moved(self, d_valence: float, d_arousal: float) -> MoodState:
        return replace(self, valence=_clamp(self.valence + d_valence), arousal=_clamp(self.arousal + d_arousal))

    @property
    def name(self) -> str:
        if self.feeling in FEELINGS:
            return FEELINGS[self.feeling].name
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
        if self.feeling in FEELINGS:
            return FEELINGS[self.feeling].tone
        return TONES[self.name]

    @property
    def caring(self) -> bool:
        return self.feeling in FEELINGS and FEELINGS[self.feeling].caring

    @property
    def temperature(self) -> float:
        """More stirred up, a little more playful; steadier while caring for someone; always within sane bounds."""
        highest = CARING_TEMPERATURE if self.caring else 0.95
        return round(min(highest, max(0.4, 0.7 + 0.2 * self.arousal)), 2)


CARING_TEMPERATURE = 0.6


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
    def of(cls, kind: MoodEventKind, reason: str, at: datetime, intensity: float = 1.0) -> MoodEvent:
        """An event with its kind's usual effect, scaled by how strongly it was meant (0.5 mild .. 1.5 intense)."""
        d_valence, d_arousal = EVENT_EFFECT.get(kind, (0.0, 0.0))
        return cls(kind, reason, round(d_valence * intensity, 3), round(d_arousal * intensity, 3), at)


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, value))


def strongest(kinds: Iterable[MoodEventKind]) -> MoodEventKind | None:
    """The event kind whose feeling wins among those that happened together (see FEELING_ORDER)."""
    present = set(kinds)
    return next((kind for kind in FEELING_ORDER if kind in present), None)


def felt(mood: MoodState, events: Iterable[MoodEvent]) -> MoodState:
    """The mood named by the feeling of its latest events, if they are recent enough (an owner's nudge clears it)."""
    recent = [e for e in events if mood.updated_at - e.created_at < FEELING_LASTS]
    if not recent:
        return replace(mood, feeling=None)
    latest = max(e.created_at for e in recent)
    return replace(mood, feeling=strongest(e.kind for e in recent if e.created_at == latest))


def apply(mood: MoodState, events: list[MoodEvent]) -> tuple[MoodState, list[MoodEvent]]:
    """The mood after events in order, named by their feeling, and each event with the state it left (as stored)."""
    recorded = []
    for event in events:
        mood = mood.moved(event.d_valence, event.d_arousal)
        recorded.append(replace(event, valence_after=mood.valence, arousal_after=mood.arousal))
    return felt(mood, recorded), recorded
