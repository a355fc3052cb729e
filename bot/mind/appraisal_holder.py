"""Whose feeling a clause speaks of: the person's ("I'm so stressed", "my dog died") or someone else's.

A rule's hit counts for the person only when the clause names no other holder before it: "my sister is so
stressed", "kompisen min fikk jobben" and "her dog died" are someone else's. Loss of someone close is the person's
own grief ("my mom passed away"); a loss told of another ("my coworker's dad died", "naboens katt døde") is not.
Thanks count for AIKI only when they go to no one else ("thanks to my mom", "takk til mamma", "takke henne").
"""

from __future__ import annotations

import re
from itertools import pairwise

from bot.mind import appraisal_lexicon as lex
from bot.mind.appraisal_lexicon import Cues, Need
from bot.mood import MoodEventKind

_ROOTS = "|".join(word[:-1] + "e?" if word.endswith("e") else word for word in lex.BEINGS)  # "venninne", "venninna"
_BEING = re.compile(r"(?:beste|lille|store|svigers?|step)?(?:" + _ROOTS + r")(?:en|a|et|n|ren|s|'s|ene|ane)?")
_FEELINGS = (MoodEventKind.PERSON_DISTRESSED, MoodEventKind.PERSON_HAPPY)
_WORD = re.compile(r"\w")
_CONTRACTED = re.compile(r"\w's$")
_GENITIVE = re.compile(r"(?:" + _ROOTS + r")(?:en|a|et|n|ren)?(?:s|'s)")
_KIN = re.compile(r"(?:" + "|".join(lex.KIN) + r")(?:en|a|et|n|ren|e)?")
_THIRD_OWNERS = frozenset({"hennes", "hans", "deres"})
_REFLEXIVE_OWNERS = frozenset({"sin", "si", "sitt", "sine"})
_KIN_GENITIVE = re.compile(r"(?:" + "|".join(lex.KIN) + r")(?:en|a|et|n|ren)?(?:s|'s)")


def held_by_other(cues: Cues, before: list[str], cue: str, after: list[str]) -> bool:
    """Whether a cue, with these words before and after it in its clause, is someone else's."""
    if cues.kind is MoodEventKind.THANKED:
        return _thanks_elsewhere(after)
    if cues.kind is MoodEventKind.PERSON_GRIEVING:
        return _loss_of_other(before, cue)
    if cues.kind is MoodEventKind.MILESTONE:
        return _holder(before) == "other"  # "kompisen min fikk jobben"
    if cues.kind not in _FEELINGS or not cues.held or cues.needs is Need.BEING or not _WORD.search(cue):
        return False  # "my mom is in the ER", "my dog is sick", "hun svarte 🥰": the person's own
    at = _holder_at(before)
    if at is None or before[at] in lex.SELF_SUBJECTS:
        return False
    between = before[at:]
    return bool(lex.STATE_VERBS.intersection(between)) or any(_CONTRACTED.search(t) for t in between)


def _holder(before: list[str]) -> str:
    """The nearest holder named before a cue: "self", "other", or "" when none is named."""
    at = _holder_at(before)
    if at is None:
        return ""
    return "self" if before[at] in lex.SELF_SUBJECTS else "other"


def _holder_at(before: list[str]) -> int | None:
    """Where the nearest holder stands among the words before a cue: the person, someone else, or nobody named."""
    for at in range(len(before) - 1, -1, -1):
        token = before[at]
        if token in lex.SELF_SUBJECTS or token in lex.OTHER_HOLDERS or token in lex.OTHER_POSSESSIVES:
            return at
        if _BEING.fullmatch(token):
            return _with_self(before, at)
    return None


def _with_self(before: list[str], at: int) -> int:
    """A being said together with the person holds with them: "jeg og søstera mi er så glade"."""
    near = before[max(0, at - 3) : at]
    if lex.AND.intersection(near):
        for back in range(len(near) - 1, -1, -1):
            if near[back] in lex.SELF_SUBJECTS:
                return max(0, at - 3) + back
    return at


def _loss_of_other(before: list[str], cue: str) -> bool:
    """A death told of someone else's close one ("her dog", "my coworker's dad"), or a loss another suffered."""
    if cue in lex.LOSS_VERBS:
        return _holder(before) == "other"  # "kollegaen min mista faren sin"; "I lost my dad" is the person's
    pairs = pairwise([*before, ""])
    return any((_others(t) and _BEING.fullmatch(n)) or _owned_after(t, n) for t, n in pairs)


def _owned_after(being: str, owner: str) -> bool:
    """A Norwegian possessive after its being: "faren hans", "katten sin" (the subject's own, another's then); a
    close one's ("mamma sin hund") is the person's loss, as "my sister's dog" is."""
    if owner in _THIRD_OWNERS:
        return _BEING.fullmatch(being) is not None
    return owner in _REFLEXIVE_OWNERS and _BEING.fullmatch(being) is not None and not _KIN.fullmatch(being)


def _others(token: str) -> bool:
    """A possessive of someone outside the person's family: "her", "coworker's", "naboens" (not "my sister's")."""
    if token in lex.OTHER_POSSESSIVES:
        return True
    return _GENITIVE.fullmatch(token) is not None and _KIN_GENITIVE.fullmatch(token) is None


def _thanks_elsewhere(after: list[str]) -> bool:
    """Thanks said to someone else: "thanks to my mom", "takk til mamma", "for å takke henne"."""
    if not after:
        return False
    if after[0] in lex.THIRD_OBJECTS:
        return True
    return after[0] in lex.THANKS_ELSEWHERE and not lex.SECOND_PERSON.intersection(after[1:3])


def others_feel(tokens: list[str]) -> bool:
    """A message about someone else's state and not the person's: "søsteren min er helt nedfor etter bruddet"."""
    if lex.SELF_SUBJECTS.intersection(tokens):
        return False
    for at, token in enumerate(tokens):
        if (token in lex.OTHER_HOLDERS or _BEING.fullmatch(token)) and lex.STATE_VERBS.intersection(
            tokens[at + 1 : at + 4]
        ):
            return True
    return False
