"""AIKI's mood towards each person: what it is now (drifting back to the persona's baseline, coloured by what
happened lately), and the events that moved it, stored with their causes (bot/mood.py holds the rules)."""

from __future__ import annotations

from datetime import timedelta

from bot.mind.faculties import Faculties
from bot.mind.turn import MoodReport, Person
from bot.mood import FEELING_LASTS, MoodEvent, MoodEventKind, MoodState, apply, felt


class Feelings:
    def __init__(self, mind: Faculties) -> None:
        self.mind = mind

    async def now(self, scope: str) -> MoodState:
        state, now = self.mind.state, self.mind.clock()
        baseline = self.mind.persona.baseline
        stored = await state.mood(scope)
        if stored is None:
            return MoodState(*baseline, now)
        recent = await state.mood_events(scope, now - FEELING_LASTS, limit=10)
        return felt(stored.decayed(baseline, now), recent)

    async def feel(self, scope: str, events: list[MoodEvent]) -> MoodState:
        """Apply events in order and persist the state with the events that moved it."""
        mood = await self.now(scope)
        if not events:
            return mood
        mood, recorded = apply(mood, events)
        await self.mind.state.save_mood(scope, mood, recorded)
        return mood

    async def report(self, person: Person, days: int = 7) -> MoodReport:
        since = self.mind.clock() - timedelta(days=days)
        return MoodReport(await self.now(person.scope), await self.mind.state.mood_events(person.scope, since))

    async def set(self, person: Person, valence: float, arousal: float, reason: str) -> MoodState:
        mood = await self.now(person.scope)
        event = MoodEvent(
            MoodEventKind.NUDGED, reason, valence - mood.valence, arousal - mood.arousal, self.mind.clock()
        )
        return await self.feel(person.scope, [event])
