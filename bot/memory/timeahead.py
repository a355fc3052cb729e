"""Time expressions about what is coming ("tomorrow at 10", "i morgen kl 9", "neste uke", "on Friday", "om tre
dager"), in English and Norwegian: the future side of bot/memory/timeparse.py, which reads questions about the past.

In a statement about a plan a weekday means the coming one ("exam on Friday", said on a Wednesday, is in two days;
said on a Friday, in a week) and a date without a year the next such date. Cheap rules, no LLM; the first time
named in the text wins, or the one nearest the event when the caller knows where the event is named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.memory.timeparse import (
    _HOLIDAYS,
    _MONTHS,
    _NUMBER_WORDS,
    _UNIT_DAYS,
    _WEEKDAYS,
    TimeWindow,
    _days,
    _full_year,
    _holiday,
    _month_days,
)

_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|\.)?"
_WEEKDAY = "(?P<weekday>" + "|".join(_WEEKDAYS) + ")"
_HOLIDAY_NAMES = sorted({name for names, _, _ in _HOLIDAYS for name in names}, key=len, reverse=True)
_COUNT = r"(?P<count>\d{1,2}|" + "|".join(_NUMBER_WORDS) + ")"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("date", re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b")),
    ("date", re.compile(r"\b(?P<day>\d{1,2})[./](?P<month>\d{1,2})(?:[./](?P<year>(?:20)?\d\d))?\b(?![./]?\d)")),
    ("date", re.compile(r"\b" + _DAY + r"\s+(?:of\s+)?" + _MONTH + r"(?!\w)(?:,?\s+(?P<year>20\d\d))?", re.I)),
    ("date", re.compile(r"\b" + _MONTH + r"\s+" + _DAY + r"(?!\w)(?:,?\s+(?P<year>20\d\d))?", re.I)),
    ("day_of_month", re.compile(r"\b(?:the|den)\s+(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|\.)(?!\w)", re.I)),
    ("after_tomorrow", re.compile(r"\b(?:the\s+day\s+after\s+tomorrow|(?:i\s+)?overmorgen)\b", re.I)),
    ("tomorrow", re.compile(r"\b(?:tomorrow|i\s+morgen)(?!\w)", re.I)),
    ("today", re.compile(
        r"\b(?:tonight|this\s+(?:evening|afternoon)|later\s+today|today|i\s+kveld|i\s+ettermiddag|i\s+dag|"
        r"senere\s+i\s+dag)(?!\w)", re.I)),
    ("in_days", re.compile(r"\b(?:in|om)\s+" + _COUNT + r"\s+(?P<unit>days?|weeks?|dager|dag|døgn|uker|uke)\b", re.I)),
    ("next_week", re.compile(r"\b(?:next\s+week|neste\s+uke)(?!\w)", re.I)),
    ("weekend", re.compile(
        r"\b(?P<next>next\s+|neste\s+)?(?:this\s+|the\s+)?(?:weekend|helg(?:en|a)?)(?!\w)", re.I)),
    ("next_month", re.compile(r"\b(?:next\s+month|neste\s+måned)(?!\w)", re.I)),
    ("weekday", re.compile(
        r"(?:\b(?:on|this|next|coming|på|neste|kommende|til)\s+)?\b" + _WEEKDAY + r"(?!\w)", re.I)),
    ("month", re.compile(r"\b(?:in|i)\s+" + _MONTH + r"(?!\w)", re.I)),
    ("holiday", re.compile(
        r"\b(?:at|for|on|til|på|i|to)\s+(?P<holiday>" + "|".join(map(re.escape, _HOLIDAY_NAMES)) + r")(?!\w)", re.I)),
]  # fmt: skip

# "at 10", "at 7 pm", "kl 9", "kl. 14.30", "klokka 13", "at 18:00", "14:30"
_CLOCK = re.compile(
    r"\b(?:(?:at|kl\.?|klokka|klokken|by)\s*(?P<hour>[01]?\d|2[0-3])(?:[:.](?P<minute>[0-5]\d))?\s*(?P<ampm>[ap]\.?m\.?)?"
    r"|(?P<hour2>[01]?\d|2[0-3]):(?P<minute2>[0-5]\d)|(?P<hour3>1[0-2]|0?[1-9])\s*(?P<ampm3>[ap]\.?m\.?))(?!\w)",
    re.I,
)


@dataclass(frozen=True)
class AheadTime:
    """A coming stretch of time a statement names, [start, end) in the person's zone, and its hour if named."""

    window: TimeWindow
    at: datetime | None = None  # "tomorrow at 10": the moment itself
    span: tuple[int, int] = (0, 0)  # where in the text the time words are

    @property
    def start(self) -> datetime:
        assert self.window.start is not None
        return self.window.start

    @property
    def end(self) -> datetime:
        assert self.window.end is not None
        return self.window.end


def _next_date(month: int, day: int, today: date) -> date | None:
    """The first such date that is today or later."""
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def _date(match: re.Match[str], today: date) -> date | None:
    raw = match.group("month").lower().rstrip(".")
    month = int(raw) if raw.isdigit() else _MONTHS.get(raw)
    day = int(match.group("day"))
    if not month or not 1 <= month <= 12:
        return None
    year = _full_year(match.group("year"))
    if year is None:
        return _next_date(month, day, today)
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _window(kind: str, match: re.Match[str], today: date, zone: ZoneInfo) -> TimeWindow | None:
    if kind == "date":
        day = _date(match, today)
        return _days(day, 1, zone) if day is not None and day >= today else None
    if kind == "day_of_month":
        first = today.replace(day=1)
        for month_start in (first, (first + timedelta(days=32)).replace(day=1)):
            try:
                day = month_start.replace(day=int(match.group("day")))
            except ValueError:
                continue
            if day >= today:
                return _days(day, 1, zone)
        return None
    if kind in ("today", "tomorrow", "after_tomorrow"):
        return _days(today + timedelta(days=("today", "tomorrow", "after_tomorrow").index(kind)), 1, zone)
    if kind == "in_days":
        raw = match.group("count").lower()
        count = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        return _days(today + timedelta(days=count * _UNIT_DAYS[match.group("unit").lower()]), 1, zone)
    monday = today - timedelta(days=today.weekday())
    if kind == "next_week":
        return _days(monday + timedelta(days=7), 7, zone)
    if kind == "weekend":
        saturday = monday + timedelta(days=5 + 7 * bool(match.group("next")))
        return _days(saturday, 2, zone)
    if kind == "next_month":
        first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        return _days(first, _month_days(first.year, first.month), zone)
    if kind == "weekday":
        ahead = (_WEEKDAYS[match.group("weekday").lower()] - today.weekday()) % 7 or 7
        return _days(today + timedelta(days=ahead), 1, zone)
    if kind == "month":
        month = _MONTHS[match.group("month").lower().rstrip(".")]
        year = today.year + (month <= today.month)
        return _days(date(year, month, 1), _month_days(year, month), zone)
    if kind == "holiday":
        (month, number), length = _holiday(match.group("holiday"))
        begins = _next_date(month, number, today)
        return _days(begins, length, zone) if begins is not None else None
    return None


def clock_time(text: str, near: int = 0) -> time | None:
    """The hour a statement names ("at 7 pm", "kl. 14.30"), if any: the one nearest `near` when it names several."""
    matches = list(_CLOCK.finditer(text))
    if not matches:
        return None
    match = min(matches, key=lambda found: abs(found.start() - near))
    hour = int(match.group("hour") or match.group("hour2") or match.group("hour3"))
    minute = int(match.group("minute") or match.group("minute2") or 0)
    ampm = (match.group("ampm") or match.group("ampm3") or "").lower()
    if ampm.startswith("p") and hour < 12:
        hour += 12
    elif ampm.startswith("a") and hour == 12:
        hour = 0
    return time(hour, minute)


def parse_ahead(text: str, now: datetime, zone: ZoneInfo, near: int | None = None) -> AheadTime | None:
    """The first coming time the text names, or the one nearest position `near` (the hour with it, when a single
    day is named), or None."""
    today = now.astimezone(zone).date()
    found: list[tuple[int, int, TimeWindow]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            window = _window(kind, match, today, zone)
            if window is not None:
                found.append((match.start(), match.end(), window))
                break
    if not found:
        return None
    start, end, window = min(found, key=lambda item: item[0] if near is None else abs(item[0] - near))
    assert window.start is not None and window.end is not None
    hour = clock_time(text, near=start) if window.end - window.start <= timedelta(days=1, hours=1) else None
    at = datetime.combine(window.start.date(), hour, zone) if hour is not None else None
    return AheadTime(window, at, (start, end))
