"""Appraisal benchmark: does AIKI read people right? Precision and recall per event kind on a labelled set.

Each line of the set (tests/data/appraisal.jsonl, hand-written, half Norwegian) names the event kinds a message
must produce, the ones it must not, and optionally kinds it may produce without being wrong ("may"). A predicted
kind outside "must" and "may" is a false positive; a "must" kind not predicted is a false negative. A message is
fully right when it has every "must" kind and nothing outside "must" and "may".

tests/data/appraisal_holdout.jsonl (73 lines) was written after the rules and run once untouched: 55/73 fully
right, precision 0.86 for thanked and 1.00 for the rest; the words it showed missing were then added, so it is no
longer held out.

It runs the product's own path, `bot.mind.appraisal.read` (what `appraise` calls on every turn), and for comparison the
keyword rules AIKI used before (reconstructed from `git show main:bot/mood.py` as it was before this bench).

    python -m bench.appraisal [--set tests/data/appraisal.jsonl] [--wrong]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.mind.appraisal import read
from bot.mood import MoodEventKind

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = ROOT / "tests" / "data" / "appraisal.jsonl"
KINDS = (
    MoodEventKind.THANKED,
    MoodEventKind.CRITICISED,
    MoodEventKind.PERSON_DISTRESSED,
    MoodEventKind.PERSON_GRIEVING,
    MoodEventKind.PERSON_HAPPY,
    MoodEventKind.MILESTONE,
)

Reader = Callable[[str], set[MoodEventKind]]


@dataclass(frozen=True)
class Example:
    text: str
    lang: str
    must: frozenset[MoodEventKind]
    must_not: frozenset[MoodEventKind]
    may: frozenset[MoodEventKind] = frozenset()

    def right(self, predicted: set[MoodEventKind]) -> bool:
        return self.must <= predicted and predicted <= self.must | self.may and not predicted & self.must_not


@dataclass
class Score:
    examples: int = 0
    fully_right: int = 0
    by_lang: dict[str, list[int]] = field(default_factory=dict)  # lang -> [right, total]
    tp: dict[MoodEventKind, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    fp: dict[MoodEventKind, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    fn: dict[MoodEventKind, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    wrong: list[tuple[Example, set[MoodEventKind]]] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.fully_right / self.examples if self.examples else 0.0

    def precision(self, kind: MoodEventKind) -> float:
        found = self.tp[kind] + self.fp[kind]
        return self.tp[kind] / found if found else 1.0

    def recall(self, kind: MoodEventKind) -> float:
        expected = self.tp[kind] + self.fn[kind]
        return self.tp[kind] / expected if expected else 1.0


def load_set(path: Path = DEFAULT_SET) -> list[Example]:
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        examples.append(
            Example(
                row["text"],
                row["lang"],
                frozenset(MoodEventKind(k) for k in row["must"]),
                frozenset(MoodEventKind(k) for k in row["must_not"]),
                frozenset(MoodEventKind(k) for k in row.get("may", [])),
            )
        )
    return examples


def product_reader(text: str) -> set[MoodEventKind]:
    return {reading.kind for reading in read(text)}


def score(examples: list[Example], reader: Reader = product_reader) -> Score:
    result = Score()
    for example in examples:
        predicted = reader(example.text) & set(KINDS)
        result.examples += 1
        right = example.right(predicted)
        result.fully_right += right
        tally = result.by_lang.setdefault(example.lang, [0, 0])
        tally[0] += right
        tally[1] += 1
        if not right:
            result.wrong.append((example, predicted))
        for kind in KINDS:
            if kind in predicted and kind in example.must:
                result.tp[kind] += 1
            elif kind in predicted and kind not in example.may:
                result.fp[kind] += 1
            elif kind not in predicted and kind in example.must:
                result.fn[kind] += 1
    return result


# -- the keyword rules before issue 13, for comparison --------------------------------------------------------


def _words(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(" + "|".join(phrases) + r")(?!\w)", re.IGNORECASE)


_OLD_RULES = (
    (MoodEventKind.MILESTONE, _words(r"finished", r"shipped", r"launched", r"released", r"it works", r"done with",
                                     r"milestone", r"ferdig", r"fullført", r"lansert", r"det funker", r"det virker",
                                     r"i did it")),
    (MoodEventKind.THANKED, _words(r"thanks?", r"thank you", r"thx", r"takk", r"tusen takk", r"takker")),
    (MoodEventKind.CRITICISED, _words(r"stupid", r"useless", r"you'?re wrong", r"that'?s wrong", r"bad answer",
                                      r"dum", r"ubrukelig", r"feil", r"du tar feil", r"idiot", r"shut up")),
    (MoodEventKind.PERSON_DISTRESSED, _words(r"sad", r"depressed", r"anxious", r"stressed", r"lonely", r"tired of",
                                             r"overwhelmed", r"i can'?t", r"trist", r"lei meg", r"stressa",
                                             r"stresset", r"ensom", r"sliten", r"orker ikke", r"deprimert", r"angst")),
    (MoodEventKind.PERSON_HAPPY, _words(r"happy", r"great news", r"excited", r"glad", r"yay", r"awesome", r"glede",
                                        r"gleder meg", r"så bra", r"kjempebra", r"fantastisk")),
)  # fmt: skip


def old_reader(text: str) -> set[MoodEventKind]:
    return {kind for kind, pattern in _OLD_RULES if pattern.search(text)}


# -- the report ---------------------------------------------------------------------------------------------


def report(name: str, result: Score) -> None:
    print(f"\n{name}")
    print(f"  {'kind':<18} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for kind in KINDS:
        print(
            f"  {kind.value:<18} {result.precision(kind):>9.2f} {result.recall(kind):>7.2f} "
            f"{result.tp[kind]:>4} {result.fp[kind]:>4} {result.fn[kind]:>4}"
        )
    langs = ", ".join(f"{lang} {right}/{total}" for lang, (right, total) in sorted(result.by_lang.items()))
    print(f"  fully right: {result.fully_right}/{result.examples} = {result.share:.1%} ({langs})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="labelled JSONL set")
    parser.add_argument("--wrong", action="store_true", help="list the messages the product reads wrong")
    args = parser.parse_args()
    examples = load_set(args.set)
    print(f"{len(examples)} labelled messages from {args.set}")
    report("keyword rules before issue 13 (baseline)", score(examples, old_reader))
    started = time.perf_counter()
    product = score(examples, product_reader)
    per_message_us = (time.perf_counter() - started) / max(1, len(examples)) * 1e6
    report("bot.mind.appraisal (local rules, no LLM)", product)
    print(f"  time: {per_message_us:.0f} µs per message")
    if args.wrong:
        print("\nread wrong:")
        for example, predicted in product.wrong:
            got = ", ".join(sorted(k.value for k in predicted)) or "-"
            want = ", ".join(sorted(k.value for k in example.must)) or "-"
            print(f"  [{example.lang}] {example.text!r}: got {got}; must {want}")


if __name__ == "__main__":
    main()
