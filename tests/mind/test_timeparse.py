"""The time a question is about, in English and Norwegian (bot/memory/timeparse.py), in the person's own time zone.

tests/test_retrieval.py holds the dates, "yesterday", "last week" and the anchors; these add the rest of what people
say (nights, weekends, months, years, holidays), the zone, and which questions ask how things were.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.memory.timeparse import Relation, TimeWindow, about_the_past, parse_time

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 1, 7, 10, 0, tzinfo=UTC)  # a Wednesday


def days(window: TimeWindow | None) -> tuple[date | None, date | None]:
    """The window as the person's dates, [first, end)."""
    assert window is not None
    return (
        window.start.astimezone(OSLO).date() if window.start else None,
        window.end.astimezone(OSLO).date() if window.end else None,
    )


@pytest.mark.parametrize(
    ("question", "first", "end"),
    [
        ("what did we do last weekend?", date(2026, 1, 3), date(2026, 1, 5)),
        ("hva gjorde vi i helgen?", date(2026, 1, 3), date(2026, 1, 5)),  # the weekend just gone, asked midweek
        ("hva gjorde vi forrige helg?", date(2026, 1, 3), date(2026, 1, 5)),
        ("what have I done this week?", date(2026, 1, 5), date(2026, 1, 12)),
        ("hva har jeg gjort denne uka?", date(2026, 1, 5), date(2026, 1, 12)),
        ("what did I read last month?", date(2025, 12, 1), date(2026, 1, 1)),
        ("hva leste jeg forrige måned?", date(2025, 12, 1), date(2026, 1, 1)),
        ("where did I travel last year?", date(2025, 1, 1), date(2026, 1, 1)),
        ("hvor reiste jeg i fjor?", date(2025, 1, 1), date(2026, 1, 1)),
        ("what happened a week ago?", date(2025, 12, 31), date(2026, 1, 1)),
        ("hva skjedde for en uke siden?", date(2025, 12, 31), date(2026, 1, 1)),
        ("hva gjorde vi i jula?", date(2025, 12, 24), date(2025, 12, 27)),
        ("what did we eat at Christmas?", date(2025, 12, 24), date(2025, 12, 27)),
        ("hvem besøkte oss i romjula?", date(2025, 12, 27), date(2025, 12, 31)),
        ("what did I do on New Year's Day?", date(2026, 1, 1), date(2026, 1, 2)),
        ("hva gjorde vi på 17. mai?", date(2025, 5, 17), date(2025, 5, 18)),
        ("hvor var vi på sankthans?", date(2025, 6, 23), date(2025, 6, 25)),
        ("what did I do in March?", date(2025, 3, 1), date(2025, 4, 1)),  # the latest March, not the coming one
        ("hva gjorde jeg i februar?", date(2026, 2, 1), date(2026, 3, 1)),  # less than a month ahead: a plan
    ],
)
def test_the_times_people_name_become_the_days_they_mean(question: str, first: date, end: date) -> None:
    reference = parse_time(question, NOW, OSLO)
    assert reference.relation is Relation.ON
    assert days(reference.window) == (first, end)


@pytest.mark.parametrize("question", ["what did I dream last night?", "hva drømte jeg i natt?"])
def test_last_night_is_the_evening_before_and_the_small_hours(question: str) -> None:
    window = parse_time(question, NOW, OSLO).window
    assert window == TimeWindow(datetime(2026, 1, 6, 18, tzinfo=OSLO), datetime(2026, 1, 7, 8, tzinfo=OSLO))


def test_yesterday_is_the_persons_yesterday_not_utcs() -> None:
    just_after_midnight_in_oslo = datetime(2026, 1, 6, 23, 30, tzinfo=UTC)  # still 6 January in UTC
    window = parse_time("what did I do yesterday?", just_after_midnight_in_oslo, OSLO).window
    assert days(window) == (date(2026, 1, 6), date(2026, 1, 7))
    assert window is not None and window.start == datetime(2026, 1, 6, tzinfo=OSLO)


@pytest.mark.parametrize(
    ("question", "relation", "first", "end"),
    [
        ("what did I do until 5 January?", Relation.BEFORE, None, date(2026, 1, 5)),
        ("hva gjorde jeg fram til 5. januar?", Relation.BEFORE, None, date(2026, 1, 5)),
        ("what happened before Christmas?", Relation.BEFORE, None, date(2025, 12, 24)),
        ("hva skjedde etter nyttår?", Relation.AFTER, date(2026, 1, 2), None),
        ("what happened after last week?", Relation.AFTER, date(2025, 12, 29), None),  # a week counts from its start
    ],
)
def test_before_and_after_open_the_window_on_one_side(
    question: str, relation: Relation, first: date | None, end: date | None
) -> None:
    reference = parse_time(question, NOW, OSLO)
    assert reference.relation is relation and days(reference.window) == (first, end)


@pytest.mark.parametrize(
    ("question", "rest"),
    [
        ("what did we eat at Christmas?", "what did we eat?"),
        ("what did I eat on 29 December?", "what did I eat?"),  # "eat" ends in a lead word, and stays
        ("Hva kjøpte Kari 29. desember?", "Hva kjøpte Kari?"),  # and "Kari" in "i"
        ("Hva gjorde Mari i jula?", "Hva gjorde Mari?"),
        ("hva gjorde vi forrige helg?", "hva gjorde vi?"),
        ("how is the cat doing?", "how is the cat doing?"),
    ],
)
def test_the_time_words_leave_the_question_and_the_words_around_them_stay_whole(question: str, rest: str) -> None:
    """What is left is what the word search looks for: a name or a verb cut short finds nothing."""
    assert parse_time(question, NOW, OSLO).rest == rest


@pytest.mark.parametrize("question", ["Hva sa min fetter 29. desember?", "Hva la jeg ut på nettsiden 29. desember?"])
def test_a_word_ending_like_before_or_after_does_not_turn_a_day_into_a_side(question: str) -> None:
    """The cousin, "fetter", ends in "etter" (after); the website, "nettsiden", in "siden" (since)."""
    reference = parse_time(question, NOW, OSLO)
    assert reference.relation is Relation.ON and days(reference.window) == (date(2025, 12, 29), date(2025, 12, 30))


@pytest.mark.parametrize(
    "question",
    [
        "Where did I live before?",
        "Hvor bodde jeg før?",
        "Which city was it I used to live in?",
        "Hva pleide jeg å spise til frokost?",
        "what was my job in November?",  # a time that is over
        "hva jobbet jeg med i fjor?",
        "Tidligere jobbet jeg hvor?",
        "What was my previous address?",
        "what did I say before my exam?",  # before an event
        "Where did I use to work?",
        "What was I doing back in January?",
        "Hva jobbet jeg med helt i starten?",
        "what did I do in the beginning?",
    ],
)
def test_a_question_about_how_things_were_asks_about_the_past(question: str) -> None:
    """Such questions are answered by replaced facts too (bot/mind/recollection.py)."""
    assert about_the_past(question, NOW, OSLO)


@pytest.mark.parametrize(
    "question",
    [
        "Where do I live?",
        "Hvor bor jeg nå?",
        "what did I eat today?",
        "what am I doing this week?",
        "what is happening beforehand?",  # "before" inside a word is no "before"
        "hvem er føreren?",
        "am I back in Oslo now?",
        "hva gjør jeg i starten av neste uke?",
    ],
)
def test_a_question_about_now_does_not_ask_about_the_past(question: str) -> None:
    assert not about_the_past(question, NOW, OSLO)
