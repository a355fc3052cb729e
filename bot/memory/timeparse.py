"""Time expressions in a question ("on 29 December", "i går", "before 10.01.2024", "after the rain"), in English
and Norwegian, turned into the stretch of time a memory search should favour.

Cheap rules, no LLM: this runs on every turn. A question names at most one time here; the first match wins.
Dates without a year mean the latest such date that is not more than a month ahead (people ask about the past,
and sometimes about plans a few weeks out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

_MONTHS = {
    # English
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
    # Norwegian
    "januar": 1, "februar": 2, "mars": 3, "mai": 5, "juni": 6, "juli": 7, "oktober": 10, "desember": 12,
    "okt": 10, "des": 12,
}  # fmt: skip
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
    "mandag": 0, "tirsdag": 1, "onsdag": 2, "torsdag": 3, "fredag": 4, "lørdag": 5, "søndag": 6,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = "(?P<weekday>" + "|".join(_WEEKDAYS) + ")"
_DAY = r"(?P<day>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th|\.)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "en": 1, "ett": 1, "ei": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "sju": 7}  # fmt: skip
_UNIT_DAYS = {"day": 1, "days": 1, "dag": 1, "dager": 1, "døgn": 1, "week": 7, "weeks": 7, "uke": 7, "uker": 7}

# Words that relate the question to a time: "before 23 December", "etter jul", "since Monday". Whole words from a
# word boundary on, for them and the lead words after them: "fetter" holds no "etter", "eat" no "at", "Kari" no "i".
_RELATION = r"\b(?:(?P<relation>before|after|since|until|prior\s+to|før|etter|siden|fram\s+til|frem\s+til)\s+)?"
_LEAD = r"(?:(?:on|in|at|during|from|the|of|på|i|den|fra|under|om)\s+)*"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 2023-12-29
    ("iso", re.compile(_RELATION + _LEAD + r"\b(?P<year>(?:19|20)\d\d)-(?P<month>\d\d)-(?P<day>\d\d)\b", re.I)),
    # 29.12.2023, 29/12/2023, 29.12.23 (day first, as in Norway and most of Europe)
    ("numeric", re.compile(
        _RELATION + _LEAD + r"\b(?P<day>\d{1,2})[./](?P<month>\d{1,2})[./](?P<year>(?:19|20)?\d\d)\b", re.I)),
    # 29.12. (a Norwegian date without a year ends with a dot)
    ("numeric", re.compile(_RELATION + _LEAD + r"\b(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?!\d)", re.I)),
    # 29 December 2023, 29. desember, 5th of January
    ("text", re.compile(_RELATION + _LEAD + r"\b" + _DAY + r"\s+(?:of\s+)?" + _MONTH + r"(?!\w)" + _YEAR, re.I)),
    # December 29th, 2023
    ("text", re.compile(_RELATION + _LEAD + r"\b" + _MONTH + r"\s+" + _DAY + r"(?!\w)" + _YEAR, re.I)),
    # in January 2024, i desember, January 2024 ("may", "jan" and friends are words too: they need the lead word
    # or the year)
    ("month", re.compile(
        _RELATION + r"(?:\b(?:in|during|i|under)\s+" + _MONTH + r"(?!\w)(?:\s+(?P<year>(?:19|20)\d\d))?|\b"
        + _MONTH.replace("month", "month2") + r"\s+(?P<year2>(?:19|20)\d\d))\b", re.I)),
    # yesterday, i går, today, the day before yesterday, i forgårs
    ("relative", re.compile(
        _RELATION + r"\b(?P<word>the\s+day\s+before\s+yesterday|yesterday|today|tonight|this\s+morning|"
        r"last\s+night|i\s+forgårs|i\s+går(?:\s+kveld)?|i\s+dag|i\s+kveld|i\s+morges|i\s+natt)(?!\w)", re.I)),
    # 3 days ago, for tre dager siden, a week ago
    ("ago", re.compile(
        r"\b(?:for\s+)?(?P<count>\d{1,3}|" + "|".join(_NUMBER_WORDS) + r")\s+(?P<unit>days?|weeks?|dager|dag|døgn|"
        r"uker|uke)\s+(?:ago|siden)\b", re.I)),
    # last week, forrige uke, this week, last weekend, i helgen
    ("week", re.compile(
        _RELATION + r"\b(?P<word>(?:last|this|past)\s+week(?:end)?|(?:i\s+)?forrige\s+(?:uke|helg)|"
        r"denne\s+uk[ae]n?|i\s+helgen|last\s+month|forrige\s+måned|last\s+year|i\s*fjor)(?!\w)", re.I)),
    # Christmas, nyttårsaften, New Year's Day: fixed-date holidays people name instead of dates
    ("holiday", re.compile(
        _RELATION + _LEAD + r"\b(?P<holiday>christmas\s+eve|christmas\s+day|christmas|xmas|new\s+year'?s\s+eve|"
        r"new\s+year(?:'?s)?(?:\s+day)?|julaften|første\s+juledag|juledag|jula?|romjula?|nyttårsaften|nyttårsdag|nyttår|"
        r"halloween|valentine'?s(?:\s+day)?|17\.\s*mai|grunnlovsdagen|sankthans(?:aften)?|midsummer)(?!\w)", re.I)),
    # on Friday, last Tuesday, på fredag
    ("weekday", re.compile(
        _RELATION + r"(?:(?:on|last|this|past|på|sist|forrige)\s+)?\b" + _WEEKDAY + r"s?(?!\w)", re.I)),
]  # fmt: skip

# "after the rain", "before my exam", "etter festen": a relation and a short name of an event that ends the
# question (or the clause) is an event to look up. Longer phrases ("after the time he knew her") are rarely one
# event that a word search finds, and a wrong anchor favours the wrong days: they are left alone.
# The event is named as a definite thing: "the rain", "my exam", or a Norwegian definite noun ("festen", "regnet").
_ANCHOR = re.compile(
    r"\b(?P<relation>after|before|etter|før)\s+(?P<anchor>(?:the|my|our)\s+(?!(?:time|first|second|last)\b)\w[\w'-]*"
    r"(?:\s+\w[\w'-]*)?|(?!(?:den|det|dette|denne|tiden|tida)\b)\w{2,}(?:en|et|a|ene))\s*(?:[?.!,;]|$)",
    re.I,
)


class Relation(str, Enum):
    ON = "on"  # the memory is from that time
    BEFORE = "before"
    AFTER = "after"


@dataclass(frozen=True)
class TimeWindow:
    """A stretch of time, [start, end); an open side is None."""

    start: datetime | None
    end: datetime | None


@dataclass(frozen=True)
class TimeReference:
    """What a question says about time: a window it is about, or an event to look up first."""

    window: TimeWindow | None = None
    # "after the rain": the event is searched for first and its time becomes the window.
    anchor: str | None = None
    relation: Relation = Relation.ON
    # The question with the time words taken out, for the lexical search (dates are not topic words).
    rest: str = ""

    @property
    def empty(self) -> bool:
        return self.window is None and self.anchor is None


def _relation(word: str | None) -> Relation:
    word = (word or "").lower()
    if word.startswith(("before", "prior", "før", "until", "fram", "frem")):
        return Relation.BEFORE
    if word.startswith(("after", "since", "etter", "siden")):
        return Relation.AFTER
    return Relation.ON


def _year_for(month: int, day: int, today: date) -> int:
    """The latest year in which the date is not more than a month ahead of today."""
    for year in (today.year + 1, today.year, today.year - 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today + timedelta(days=31):
            return year
    return today.year - 1


def _full_year(raw: str | None) -> int | None:
    if not raw:
        return None
    year = int(raw)
    return year + 2000 if year < 100 else year


def _days(first: date, count: int, zone: ZoneInfo) -> TimeWindow:
    start = datetime.combine(first, time(0), zone)
    return TimeWindow(start, datetime.combine(first + timedelta(days=count), time(0), zone))


def _month_days(year: int, month: int) -> int:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return (following - date(year, month, 1)).days


def _window(kind: str, match: re.Match[str], today: date, zone: ZoneInfo) -> TimeWindow | None:
    groups = match.groupdict()
    if kind in ("iso", "numeric", "text"):
        month_raw = groups["month"].lower().rstrip(".")
        month = _MONTHS.get(month_raw) if not month_raw.isdigit() else int(month_raw)
        day = int(groups["day"])
        if not month or not 1 <= month <= 12:
            return None
        year = _full_year(groups.get("year")) or _year_for(month, day, today)
        try:
            return _days(date(year, month, day), 1, zone)
        except ValueError:
            return None
    if kind == "month":
        month = _MONTHS[(groups["month"] or groups["month2"]).lower().rstrip(".")]
        year = _full_year(groups.get("year") or groups.get("year2")) or _year_for(month, 1, today)
        return _days(date(year, month, 1), _month_days(year, month), zone)
    if kind == "relative":
        word = " ".join(groups["word"].lower().split())
        back = (
            2 if "before yesterday" in word or "forgårs" in word else 1 if "yesterday" in word or "går" in word else 0
        )
        if word in ("last night", "i natt"):  # the evening before and the small hours of today
            start = datetime.combine(today - timedelta(days=1), time(18), zone)
            return TimeWindow(start, start + timedelta(hours=14))
        return _days(today - timedelta(days=back), 1, zone)
    if kind == "ago":
        raw = groups["count"].lower()
        count = int(raw) if raw.isdigit() else _NUMBER_WORDS[raw]
        back = count * _UNIT_DAYS[groups["unit"].lower()]
        return _days(today - timedelta(days=back), 1, zone)
    if kind == "week":
        word = " ".join(groups["word"].lower().split())
        monday = today - timedelta(days=today.weekday())
        if "year" in word or "fjor" in word:
            return _days(date(today.year - 1, 1, 1), 365 + (today.year % 4 == 1), zone)
        if "month" in word or "måned" in word:
            first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
            return _days(first, _month_days(first.year, first.month), zone)
        if "weekend" in word or "helg" in word:
            saturday = (
                monday - timedelta(days=2)
                if word.startswith(("last", "forrige", "i forrige"))
                else monday + timedelta(days=5)
            )
            if saturday > today:
                saturday -= timedelta(days=7)
            return _days(saturday, 2, zone)
        if word.startswith(("this", "denne")):
            return _days(monday, 7, zone)
        return _days(monday - timedelta(days=7), 7, zone)
    if kind == "holiday":
        (month, day), days = _holiday(groups["holiday"])
        return _days(date(_year_for(month, day, today), month, day), days, zone)
    if kind == "weekday":
        weekday = _WEEKDAYS[groups["weekday"].lower()]
        back = (today.weekday() - weekday) % 7 or 7  # "on Friday" asked on a Friday means last Friday
        return _days(today - timedelta(days=back), 1, zone)
    return None


_HOLIDAYS: list[tuple[tuple[str, ...], tuple[int, int], int]] = [
    (("christmas eve", "julaften"), (12, 24), 1),
    (("christmas day", "første juledag", "juledag"), (12, 25), 1),
    (("christmas", "xmas", "jul", "jula"), (12, 24), 3),
    (("romjul", "romjula"), (12, 27), 4),
    (("new year's eve", "new years eve", "nyttårsaften"), (12, 31), 1),
    (("nyttår",), (12, 31), 2),
    (("new year", "new years", "new year's", "new year's day", "new years day", "nyttårsdag"), (1, 1), 1),
    (("halloween",), (10, 31), 1),
    (("valentine", "valentines", "valentine's", "valentine's day", "valentines day"), (2, 14), 1),
    (("17. mai", "17.mai", "grunnlovsdagen"), (5, 17), 1),
    (("sankthans", "sankthansaften", "midsummer"), (6, 23), 2),
]


def _holiday(name: str) -> tuple[tuple[int, int], int]:
    key = " ".join(name.lower().replace("’", "'").split())
    for names, first, days in _HOLIDAYS:
        if key in names:
            return first, days
    return (12, 24), 3


def _reference_date(text: str, today: date, zone: ZoneInfo) -> date | None:
    """An explicit date after 'before'/'after', so 'the Friday before 10.01.2024' counts back from it."""
    for kind, pattern in _PATTERNS[:5]:
        for match in pattern.finditer(text):
            if match.groupdict().get("relation"):
                window = _window(kind, match, today, zone)
                if window and window.start:
                    return window.start.date()
    return None


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([?.!,;])", r"\1", " ".join(text.split()))
    return text.strip(" ,")


def parse_time(text: str, now: datetime, zone: ZoneInfo) -> TimeReference:
    """The time a question is about, if it names one; `rest` is the question without the time words."""
    today = now.astimezone(zone).date()
    weekday = _PATTERNS[-1][1].search(text)
    if weekday and not weekday.group("relation"):
        reference = _reference_date(text, today, zone)
        if reference is not None:  # "on Friday before 10.01.2024": the weekday is counted back from that date
            window = _window("weekday", weekday, reference, zone)
            rest = _strip_dates(text[: weekday.start()] + text[weekday.end() :])
            return TimeReference(window, relation=Relation.ON, rest=rest)
    for kind, pattern in _PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        window = _window(kind, match, today, zone)
        if window is None:
            continue
        relation = _relation(match.groupdict().get("relation"))
        if relation is Relation.BEFORE:
            window = TimeWindow(None, window.start)
        elif relation is Relation.AFTER:
            window = TimeWindow(window.end if kind != "week" else window.start, None)
        return TimeReference(window, relation=relation, rest=_tidy(text[: match.start()] + text[match.end() :]))
    anchor = _ANCHOR.search(text)
    if anchor:
        phrase = anchor.group("anchor").strip()
        # The event's words stay in the question: often they are its topic too ("rest after a back injury").
        return TimeReference(anchor=phrase, relation=_relation(anchor.group("relation")), rest=text.strip())
    return TimeReference(rest=text.strip())


def _strip_dates(text: str) -> str:
    for _, pattern in _PATTERNS[:5]:
        text = pattern.sub(" ", text)
    return _tidy(re.sub(r"\b(?:before|after|før|etter)\s*(?=[?.!,;]|$)", "", text, flags=re.I))


def after_event(moment: datetime, relation: Relation, span: timedelta = timedelta(days=2)) -> TimeWindow:
    """The window next to an event found in memory: 'after the rain' is the days after it."""
    if relation is Relation.BEFORE:
        return TimeWindow(moment - span, moment)
    if relation is Relation.AFTER:
        return TimeWindow(moment, moment + span)
    return TimeWindow(moment - span / 2, moment + span / 2)


# Words that ask about how things were, not how they are: "where did I live before?", "hva pleide jeg å ...".
# "back in January", "did I use to", "helt i starten" ("i starten av neste uke" is ahead: not with "av"/"of").
_PAST = re.compile(
    r"\b(?:before|used\s+to|use\s+to|earlier|previous(?:ly)?|formerly|originally|at\s+first|first|back\s+then|"
    r"back\s+when|back\s+in\s+(?:the\s+day|(?:19|20)\d\d|" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")|"
    r"in\s+the\s+beginning|at\s+the\s+start(?!\s+of)|i\s+starten(?!\s+av)|i\s+begynnelsen(?!\s+av)|"
    r"my\s+old|før|pleide|pleid|tidligere|først|opprinnelig|den\s+gang(?:en)?|forrige|gamle)\b",
    re.I,
)
ABOUT_NOW = timedelta(days=1)  # a window that ends this close to now is about the present


def about_the_past(text: str, now: datetime, zone: ZoneInfo) -> bool:
    """The question asks how things were: it names a time that is over, or uses words like "before" or "pleide"."""
    reference = parse_time(text, now, zone)
    window = reference.window
    if window is not None and window.end is not None and window.end < now - ABOUT_NOW:
        return True
    return reference.relation is Relation.BEFORE or _PAST.search(text) is not None
