"""Coming times in a statement about a plan (bot/memory/timeahead.py) and the events found with them
(bot/mind/plans.py): the dev half of tests/data/followups.jsonl stays found (bench/followups.py
reports the test half)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bench.followups import score
from bot.memory.timeahead import clock_time, parse_ahead
from bot.mind.plans import planned_event

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 1, 7, 10, 0, tzinfo=UTC)  # Wednesday, 11:00 in Oslo


@pytest.mark.parametrize(
    ("text", "first", "end"),
    [
        ("on Friday", date(2026, 1, 9), date(2026, 1, 10)),  # the coming one
        ("on Wednesday", date(2026, 1, 14), date(2026, 1, 15)),  # said on a Wednesday: next week's
        ("i morgen", date(2026, 1, 8), date(2026, 1, 9)),
        ("i overmorgen", date(2026, 1, 9), date(2026, 1, 10)),
        ("neste uke", date(2026, 1, 12), date(2026, 1, 19)),
        ("i helgen", date(2026, 1, 10), date(2026, 1, 12)),
        ("om tre dager", date(2026, 1, 10), date(2026, 1, 11)),
        ("5. januar", date(2027, 1, 5), date(2027, 1, 6)),  # a date gone this year is next year's
        ("on the 12th", date(2026, 1, 12), date(2026, 1, 13)),
        ("til jul", date(2026, 12, 24), date(2026, 12, 27)),
    ],
)
def test_a_coming_time_is_the_next_such_days(text: str, first: date, end: date) -> None:
    ahead = parse_ahead(text, NOW, OSLO)
    assert ahead is not None
    assert (ahead.start.astimezone(OSLO).date(), ahead.end.astimezone(OSLO).date()) == (first, end)


@pytest.mark.parametrize(
    ("text", "hour"),
    [("at 10", time(10)), ("at 7 pm", time(19)), ("kl. 14.30", time(14, 30)), ("klokka 13", time(13)),
     ("18:00", time(18)), ("15.01", None)],
)  # fmt: skip
def test_the_hour_of_an_event(text: str, hour: time | None) -> None:
    assert clock_time(text) == hour


@pytest.mark.parametrize(
    "text",
    ["I had my exam on Friday.", "Jeg har ikke eksamen i morgen.", "Tomorrow is another day.", "Husk å kjøpe melk."],
)
def test_the_past_a_denial_or_no_event_is_no_follow_up(text: str) -> None:
    assert planned_event(text, NOW, OSLO) is None


def test_the_dev_half_of_the_labelled_set_stays_found() -> None:
    found = score("dev")
    assert found.precision == found.recall == found.time_share == 1.0


@pytest.mark.parametrize(
    ("text", "what", "day", "hour"),
    [
        ("I am so tired today, but I start at the new job tomorrow at 9", "new job", date(2026, 1, 8), time(9)),
        ("Jeg er sliten i dag, men i morgen har jeg eksamen kl 9", "eksamen", date(2026, 1, 8), time(9)),
        ("I was nervous all day because my exam is on Friday", "exam", date(2026, 1, 9), None),
        ("today was long; my flight is on friday", "flight", date(2026, 1, 9), None),
        ("Dinner at 18 today, and the interview is tomorrow at 10", "interview", date(2026, 1, 8), time(10)),
    ],
)
def test_the_time_that_goes_with_the_event_is_the_one_nearest_it(
    text: str, what: str, day: date, hour: time | None
) -> None:
    event = planned_event(text, NOW, OSLO)
    assert event is not None
    assert (event.what, event.start.astimezone(OSLO).date()) == (what, day)
    assert (event.at.astimezone(OSLO).time() if event.at else None) == hour
