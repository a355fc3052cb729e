"""AIKI's mood as numbers and a name (bot/mood.py): events move it, time pulls it home, the latest feeling names it.

tests/test_mood.py holds distress from any baseline, the feeling of the latest events and attune; these add how far
events move the mood, its bounds, decay, and the names a mood has when nothing happened lately.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.mind.intention import IntentionKind, Situation, choose
from bot.mood import (
    CARING_TEMPERATURE,
    FEELING_LASTS,
    HALF_LIFE,
    MoodEvent,
    MoodEventKind,
    MoodState,
    apply,
    felt,
    with_implied,
)
from tests.mind.memories import T0

BASELINE = (0.3, 0.1)
K = MoodEventKind
NUMBER_NAMES = {"calm", "alert", "sleepy", "excited", "content", "worried", "down"}


def event(kind: MoodEventKind, minutes_ago: float = 0, intensity: float = 1.0) -> MoodEvent:
    return MoodEvent.of(kind, "a reason", T0 - timedelta(minutes=minutes_ago), intensity)


def test_events_move_the_mood_in_order_and_each_keeps_the_state_it_left() -> None:
    """The stored events answer "why are you in this mood?" with the state after each."""
    mood, recorded = apply(MoodState(0.0, 0.0, T0), [event(K.THANKED), event(K.CRITICISED)])
    assert [(e.valence_after, e.arousal_after) for e in recorded] == [
        pytest.approx((0.25, 0.05)),
        pytest.approx((-0.05, 0.20)),
    ]
    assert (mood.valence, mood.arousal) == pytest.approx((-0.05, 0.20))


def test_how_strongly_something_was_meant_scales_how_far_it_moves_the_mood() -> None:
    mild, plain, intense = (event(K.PERSON_DISTRESSED, intensity=i) for i in (0.5, 1.0, 1.5))
    assert abs(mild.d_valence) < abs(plain.d_valence) < abs(intense.d_valence)
    assert intense.d_valence == pytest.approx(1.5 * plain.d_valence)


def test_the_mood_never_leaves_its_scale_however_much_happens() -> None:
    up, _ = apply(MoodState(0.9, 0.9, T0), [event(K.MILESTONE)] * 10)
    down, _ = apply(MoodState(-0.9, 0.9, T0), [event(K.CRITICISED)] * 10)
    assert (up.valence, up.arousal) == (1.0, 1.0) and down.valence == -1.0


def test_time_pulls_the_mood_half_way_home_in_a_half_life_and_all_the_way_in_days() -> None:
    stirred = MoodState(1.0, -0.9, T0)
    half = stirred.decayed(BASELINE, T0 + HALF_LIFE)
    assert (half.valence, half.arousal) == pytest.approx((0.65, -0.4))
    settled = stirred.decayed(BASELINE, T0 + timedelta(days=10))
    assert (settled.valence, settled.arousal) == pytest.approx(BASELINE, abs=1e-3)
    assert half.updated_at == T0 + HALF_LIFE


def test_a_clock_that_went_back_does_not_move_the_mood() -> None:
    stirred = MoodState(1.0, -0.9, T0)
    earlier = stirred.decayed(BASELINE, T0 - timedelta(hours=5))
    assert (earlier.valence, earlier.arousal) == (1.0, -0.9)


def test_a_feeling_names_the_mood_while_it_lasts_then_the_numbers_do() -> None:
    grieving = event(K.PERSON_GRIEVING)
    mood, _ = apply(MoodState(*BASELINE, T0), [grieving])
    assert mood.name == "saddened" and mood.caring
    later = mood.decayed(BASELINE, T0 + FEELING_LASTS)
    assert felt(later, [grieving]).feeling is None and felt(later, [grieving]).name in NUMBER_NAMES


@pytest.mark.parametrize(
    ("valence", "arousal", "name"),
    [
        (0.0, 0.0, "calm"),
        (0.05, 0.5, "alert"),
        (0.05, -0.5, "sleepy"),
        (0.6, 0.6, "excited"),
        (0.6, -0.6, "content"),
        (-0.6, 0.6, "worried"),
        (-0.6, -0.6, "down"),
    ],
)
def test_with_no_recent_feeling_the_mood_is_named_by_how_pleasant_and_stirred_it_is(
    valence: float, arousal: float, name: str
) -> None:
    mood = MoodState(valence, arousal, T0)
    assert mood.name == name and mood.tone and not mood.caring


def test_grief_and_a_milestone_together_feel_like_grief_and_the_reply_comforts() -> None:
    """The feeling and the intention follow one order, so a reply never comforts in a cheerful voice."""
    both = [event(K.MILESTONE), event(K.PERSON_GRIEVING)]
    mood, _ = apply(MoodState(*BASELINE, T0), both)
    said = Situation("I passed, but grandpa died.", mood, [], None, T0, [], appraised=(K.MILESTONE, K.PERSON_GRIEVING))
    intention = choose(said)
    assert mood.name == "saddened" and intention.kind is IntentionKind.COMFORT


def test_the_older_of_two_events_no_longer_names_the_mood() -> None:
    mood, _ = apply(MoodState(*BASELINE, T0), [event(K.PERSON_GRIEVING, minutes_ago=5), event(K.THANKED)])
    assert mood.name == "grateful"


@pytest.mark.parametrize("valence", [-1.0, 0.0, 1.0])
@pytest.mark.parametrize("arousal", [-1.0, 0.0, 1.0])
def test_the_reply_temperature_stays_sane_and_steadier_while_caring(valence: float, arousal: float) -> None:
    assert 0.4 <= MoodState(valence, arousal, T0).temperature <= 0.95
    caring = MoodState(valence, arousal, T0, feeling=K.PERSON_DISTRESSED)
    assert caring.temperature <= CARING_TEMPERATURE


def test_grief_counts_as_distress_and_a_milestone_as_joy() -> None:
    assert with_implied([K.PERSON_GRIEVING]) == {K.PERSON_GRIEVING, K.PERSON_DISTRESSED}
    assert with_implied([K.MILESTONE, K.THANKED]) == {K.MILESTONE, K.PERSON_HAPPY, K.THANKED}
