"""Irony: praise said of something going wrong ("great, another Monday 🙃", "supert, bussen er forsinket igjen").

Praise that opens a message (or closes it on its own) with a mishap or an eye-roll beside it is a complaint: the
joy, thanks and milestone words in it mean their opposite. Aimed at AIKI's help ("strålende forslag, nå er alt
ødelagt", "wow, thanks for the 'help'") it is criticism. Thanks that opens a message is ironic only with a strong
sign (an eye-roll, scare quotes, "helped nothing"): a genuine thanks may well mention a broken build.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.mind import appraisal_lexicon as lex


def _any(words: tuple[str, ...]) -> str:
    return "(?:" + "|".join(words) + ")"


_END = r"(?![\w'])"
_OPENING_PRAISE = re.compile(r"^\W*(" + lex.IRONY_PRAISE + r")" + _END)
_CLOSING_PRAISE = re.compile(r"[.!?,;]\s*(" + lex.IRONY_PRAISE + r")[\s.!🙃🙄😒]*$")
_FRAME = re.compile(r"(?<![\w'])(" + _any(lex.IRONY_FRAMES) + r")" + _END)
_OPENING_THANKS = re.compile(r"^\W*(" + lex.IRONY_THANKS + r")" + _END)
_SIGN = re.compile(r"(?<![\w'])" + _any(lex.IRONY_SIGNS) + r"(?![\w])|[🙃🙄😒😑🤡]")
_MOCKING = re.compile(r"(?<![\w'])" + lex.MOCKING_CONDITION + _END)
_TAKEN_BACK = re.compile(r"(?<![\w'])" + lex.TAKEN_BACK + _END)
_PRAISE_IN_CLAUSE = re.compile(r"(?<![\w'])(" + lex.IRONY_PRAISE + r")" + _END + r"[^.!?]*[.!?]")
_MISHAP = re.compile(r"(?<![\w'])" + _any(lex.IRONY_MISHAPS) + _END)
_HELP = re.compile(r"(?<![\w'])" + _any(lex.HELP_NOUNS) + _END)
_CONSEQUENCE = re.compile(lex.IRONY_CONSEQUENCE)
_TOKEN = re.compile(r"[\w']+")


@dataclass(frozen=True)
class Irony:
    """Praise read as its opposite: the words, and whether they were about AIKI's help."""

    cue: str
    at_aiki: bool


def irony(normal: str, addressed: bool) -> Irony | None:
    """The ironic praise in a lower-cased message, if there is one."""
    mocked = _MOCKING.search(normal)
    if mocked is not None:
        normal = normal[: mocked.start()]  # "the weather is lovely. if you like hail": its "you" is anyone
        praised = _PRAISE_IN_CLAUSE.search(normal + ".")
        if praised is not None:
            return Irony(praised.group(1), _HELP.search(normal) is not None)
    taken_back = _TAKEN_BACK.search(normal)
    if taken_back is not None:
        praised = _PRAISE_IN_CLAUSE.search(normal[: taken_back.start()] + ".")
        if praised is not None:
            return Irony(praised.group(1), addressed or _HELP.search(normal) is not None)
    strong = _SIGN.search(normal) is not None
    praise = _OPENING_PRAISE.search(normal) or _CLOSING_PRAISE.search(normal) or _FRAME.search(normal)
    if praise is not None and (strong or _MISHAP.search(normal) is not None):
        return Irony(praise.group(1), addressed or _HELP.search(normal) is not None)
    thanks = _OPENING_THANKS.search(normal)
    if thanks is not None and (strong or _went_wrong(normal)):
        return Irony(thanks.group(1), True)
    opening = _OPENING_PRAISE.search(normal)
    if opening is not None and _went_wrong(normal):
        return Irony(opening.group(1), addressed or _HELP.search(normal) is not None)
    return None


def _went_wrong(normal: str) -> bool:
    """Whether what came of it ("now ...", "nå ...") is denied or lost: "nå starter ikke pc-en", "now it's gone"."""
    after = _CONSEQUENCE.search(normal)
    if after is None:
        return False
    tokens = _TOKEN.findall(after.group(1))
    return any(t in lex.NEGATORS or t.endswith("n't") or t in lex.IRONY_LOSSES for t in tokens)
