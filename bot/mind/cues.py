"""Language cues, English and Norwegian, for everything but mood (its lexicon is bot/mind/appraisal_lexicon.py).

Cheap rules read on the hot path: is this a question, which words make a memory weigh more, is a date named,
which project did the person name. One place, so a new word or language is added once.
"""

from __future__ import annotations

import re

_QUESTION = re.compile(
    r"\?\s*$|^(what|why|how|when|where|who|which|can|could|do|does|did|is|are|will|would|should|hva|hvorfor|"
    r"hvordan|når|hvor|hvem|hvilken|kan|kunne|vil|skal|er|har)\b",
    re.IGNORECASE,
)
# Things people care about over time.
_WEIGHTY = re.compile(
    r"(?<!\w)(always|never|love|hate|afraid|dream|goal|plan|project|deadline|birthday|diagnos\w*|adhd|family|"
    r"sister|brother|mother|father|wife|husband|partner|job|work|moved|alltid|aldri|elsker|hater|redd|drøm|mål|"
    r"prosjekt|frist|bursdag|familie|søster|bror|mor|far|kone|mann|kjæreste|jobb|flyttet)(?!\w)",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(\d{1,2}[./]\d{1,2}|\d{4}-\d{2}-\d{2}|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|mandag|tirsdag|onsdag|torsdag|fredag|lørdag|søndag)\b",
    re.IGNORECASE,
)
# "I'm working on AIKI-HOME", "jobber med Hyttebok": a named project worth offering check-ins about.
_PROJECT = re.compile(
    r"(?:working on|my project|building|jobber (?:med|på)|prosjektet mitt|holder på med|bygger på)\s+"
    r"(?:the |my |a |an |på |med |mitt |min )?([A-ZÆØÅ][\w-]{2,}(?:[ -][A-ZÆØÅ][\w-]+)?)"
)


def is_question(text: str) -> bool:
    return _QUESTION.search(text.strip()) is not None


def weighty_words(text: str) -> int:
    """How many words of lasting weight (family, goals, deadlines, ...) the text holds."""
    return len(_WEIGHTY.findall(text))


def names_a_date(text: str) -> bool:
    return _DATE.search(text) is not None


def named_project(text: str) -> str | None:
    """The project the person says they work on ("working on AIKI-HOME"), if any."""
    match = _PROJECT.search(text)
    return match.group(1).strip(" -") if match else None
