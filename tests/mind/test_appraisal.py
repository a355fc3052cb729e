"""What a message means to AIKI by the word rules alone (bot/mind/appraisal.py `appraise` with no embedding): the
events it brings, with their reasons and strength, in English and Norwegian."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.mind.appraisal import appraise
from bot.mood import LONG_ABSENCE, MoodEventKind
from tests.mind.memories import T0

NOW = T0
K = MoodEventKind


def kinds(text: str) -> list[MoodEventKind]:
    return [e.kind for e in appraise(text, None, NOW)]


def test_a_long_absence_is_felt_first_with_how_long_it_was_then_the_words() -> None:
    events = appraise("Tusen takk for sist!", NOW - timedelta(days=9), NOW)
    assert [(e.kind, e.reason) for e in events] == [(K.LONG_ABSENCE, "we had not talked for 9 days")]
    back = appraise("Thank you so much!", NOW - timedelta(days=9), NOW)
    assert [e.kind for e in back] == [K.LONG_ABSENCE, K.THANKED] and all(e.created_at == NOW for e in back)


def test_a_short_break_is_no_absence() -> None:
    assert appraise("Hei", NOW - LONG_ABSENCE + timedelta(minutes=1), NOW) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thank you so much!", [K.THANKED]),
        ("Tusen takk for hjelpa!", [K.THANKED]),
        ("Takk for sist!", []),  # a greeting, "thanks for last time"
        ("You are wrong about this.", [K.CRITICISED]),
        ("Thanks a lot, you are useless though", [K.THANKED, K.CRITICISED]),
        ("I passed my exam", [K.MILESTONE]),
        ("Min katt døde i dag", [K.PERSON_GRIEVING]),
        ("Jeg er litt lei meg", [K.PERSON_DISTRESSED]),
        ("Vi fikk en datter i går, jeg er så glad!", [K.PERSON_HAPPY]),
        ("Hei, hva skjer?", []),
    ],
)
def test_what_a_message_brings_in_english_and_norwegian(text: str, expected: list[MoodEventKind]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize("text", ["I am not sad", "Jeg er ikke lei meg"])
def test_a_denied_feeling_is_not_felt(text: str) -> None:
    assert kinds(text) == []


@pytest.mark.parametrize("text", ["My laptop died", "Nobody died, relax"])
def test_death_words_about_no_one_are_no_grief(text: str) -> None:
    assert K.PERSON_GRIEVING not in kinds(text)


def test_criticism_of_someone_else_is_no_criticism_of_aiki_but_the_person_is_upset() -> None:
    (event,) = appraise("My boss is an idiot", None, NOW)
    assert event.kind is K.PERSON_DISTRESSED and event.reason == 'they are upset with someone (words: "idiot")'


def test_a_little_sad_moves_the_mood_less_than_sad_and_very_sad_more() -> None:
    said = ("Jeg er litt lei meg", "Jeg er lei meg", "Jeg er så lei meg")
    moves = [appraise(text, None, NOW)[0].d_valence for text in said]
    assert 0 > moves[0] > moves[1] > moves[2]


def test_each_event_says_which_words_it_read() -> None:
    (event,) = appraise("Min katt døde i dag", None, NOW)
    assert event.reason == 'they lost someone (words: "døde")'


def test_without_a_sense_of_meaning_words_no_list_holds_bring_nothing() -> None:
    """The meaning reader hears these (tests/test_appraisal.py); alone, the rules stay silent rather than guess."""
    assert appraise("Grandpa is no longer with us.", None, NOW, None) == []
