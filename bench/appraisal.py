"""Appraisal benchmark: does AIKI read people right? Precision and recall per event kind on a labelled set.

Each line of a set names the event kinds a message must produce, the ones it must not, and optionally kinds it may
produce without being wrong ("may"). A predicted kind outside "must" and "may" is a false positive; a "must" kind
not predicted is a false negative. A message is fully right when it has every "must" kind and nothing outside
"must" and "may". Grief is distress and a milestone is joy (bot/mood.py IMPLIES) on both sides of the comparison.

The sets, all hand-written and half Norwegian:
- bot/mind/appraisal_data/appraisal_fresh.jsonl (320 lines, issue 23's second round): everyday chat with irony,
  criticism of AIKI, grief, negation, mixed feelings and questions about others' feelings, each line in a "dev" or
  "test" half. Its test half was reported once; the default here.
- bot/mind/appraisal_data/appraisal_everyday.jsonl (440 lines, the first round), appraisal_blind.jsonl (320, the
  third round's blind set), appraisal_blind2.jsonl (240, the fourth round's), appraisal_voices.jsonl (920, the
  fifth round's, by three authors: an "author" field a, b, c), appraisal_voices2.jsonl (915, the sixth round's, by
  three more: d, e, f), appraisal_blind3.jsonl (386, the fifth round's blind set), appraisal_blind4.jsonl (379, the
  sixth round's) and appraisal_voices3.jsonl (the seventh round's, by two more authors: g, h): all reported once or
  written as tuning data, so all tuning data now. The product trains its head from these sets for any model that
  has none committed.
- tests/data/appraisal.jsonl (219) and appraisal_holdout.jsonl (73): the sets the word rules were written against
  (issue 13); the rules score 100 % on the first, which says little about new messages.
- tests/data/appraisal_blind5.jsonl: the seventh round's blind set, run once by the lead at the end of it (spent).
- tests/data/appraisal_blind6.jsonl: the next round's blind set, unopened; the lead runs it once at the end.

It runs the product's own path with the real embedder: each message is embedded as a turn's recall embeds it
(`embed_query`), then `sense_of` (which finds that vector among the embedder's recent ones) and
`bot.mind.appraisal.read`, as `Consciousness._feel` does. Four readers side by side: the keyword rules AIKI used
before issue 13, the word rules alone (what the core does without an embedding), the meaning reader alone, and
the two combined (the product).

    python -m bench.appraisal                      # the test half of the fresh set: report it once, at the end
    python -m bench.appraisal --split dev --wrong  # while tuning: the development half, and what it reads wrong
    python -m bench.appraisal --data bot/mind/appraisal_data/appraisal_everyday.jsonl --split all
    python -m bench.appraisal --data tests/data/appraisal.jsonl
    python -m bench.appraisal --model sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2 --cache-dir DIR
    python -m bench.appraisal --cv                 # leave one set (or author) out: train on the rest, score it

`--cv` is the honest estimate while tuning: the meaning head (bot/mind/appraisal_head.py) is trained as the
product trains it (bot/mind/appraisal_training.py) on every tuning set but one (and the example sentences) and
scored on the one left out, each message read through `Prototypes.sense` and `read` as in a turn; the voices sets
are left out one author at a time. "new authors" pools the folds the word rules were not written against (all but
everyday, fresh and blind: RULES_READ): the word rules were written while reading those, so their share there is fit.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bench.common import machine_line, say
from bot.memory.embedder import FastEmbedder
from bot.mind.appraisal import read
from bot.mind.appraisal_head import KINDS
from bot.mind.appraisal_meaning import Sense, examples_embedded, prototypes_for, sense_of
from bot.mind.appraisal_training import (
    FRESH_SET,
    L2,
    RULES_READ,
    TUNING_SETS,
    WORD_PENALTY,
    WORD_SCALE,
    LabelledLine,
    embed,
    prototype_lines,
    read_lines,
    train,
)
from bot.mood import MoodEventKind, with_implied
from scripts.test_model import TEST_MODEL, seed_cache

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = ROOT / "tests" / "data" / "appraisal.jsonl"

Reader = Callable[[str], set[MoodEventKind]]


@dataclass(frozen=True)
class Example(LabelledLine):
    """A labelled line (the product reads the same lines to train its head), scored."""

    def right(self, predicted: set[MoodEventKind]) -> bool:
        must, may, said = with_implied(self.must), with_implied(self.may), with_implied(predicted)
        return must <= said and said <= must | may and not said & self.must_not


@dataclass
class Score:
    examples: int = 0
    fully_right: int = 0
    by_lang: dict[str, list[int]] = field(default_factory=dict)  # lang -> [right, total]
    by_group: dict[str, list[int]] = field(default_factory=dict)  # group -> [right, total]
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


def load_set(path: Path = DEFAULT_SET, half: str | None = None) -> list[Example]:
    """The labelled lines of a set; of one half only if `half` names it ("dev" or "test")."""
    return [Example(**vars(line)) for line in read_lines(path, half)]


def product_reader(text: str) -> set[MoodEventKind]:
    """The word rules alone: what the core reads with no embedding."""
    return {reading.kind for reading in read(text)}


def score(examples: list[Example], reader: Reader = product_reader) -> Score:
    result = Score()
    for example in examples:
        predicted = reader(example.text) & set(KINDS)
        right = example.right(predicted)
        result.examples += 1
        result.fully_right += right
        tallies = (result.by_lang.setdefault(example.lang, [0, 0]), result.by_group.setdefault(example.group, [0, 0]))
        for tally in tallies:
            tally[0] += right
            tally[1] += 1
        if not right:
            result.wrong.append((example, predicted))
        said, must, may = with_implied(predicted), with_implied(example.must), with_implied(example.may)
        for kind in KINDS:
            if kind in said and kind in must:
                result.tp[kind] += 1
            elif kind in said and kind not in may:
                result.fp[kind] += 1
            elif kind not in said and kind in must:
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


# -- the product's path with the real embedder ----------------------------------------------------------------


@dataclass
class Senses:
    """Each message's sense, found as a turn finds it, and how long each part took per message."""

    of: dict[str, Sense | None]
    embed_ms: float  # the model run for the message (recall pays it in a turn, not appraisal)
    combined_us: float  # sense_of (the vector found again) + read with the rules: appraisal's own work in a turn
    rules_us: float  # read with the rules alone


async def sense_all(embedder: FastEmbedder, texts: list[str], saved_in: Path | None = None) -> Senses:
    await prototypes_for(embedder, saved_in)  # once per model, at start-up in the product (a model's head too)
    senses: dict[str, Sense | None] = {}
    embed_s = combined_s = rules_s = 0.0
    for text in texts:
        started = time.perf_counter()
        await embedder.embed_query(text)  # what recall does first in a turn
        embedded = time.perf_counter()
        senses[text] = sense = await sense_of(embedder, text)
        read(text, sense)
        combined = time.perf_counter()
        read(text)
        rules_s += time.perf_counter() - combined
        embed_s += embedded - started
        combined_s += combined - embedded
    count = max(1, len(texts))
    return Senses(senses, embed_s / count * 1e3, combined_s / count * 1e6, rules_s / count * 1e6)


def meaning_reader(senses: Senses) -> Reader:
    """The meaning reader alone: the closest kind if it leads the examples of nothing, no rules at all."""

    def reader(text: str) -> set[MoodEventKind]:
        sense = senses.of[text]
        kind = sense.kind() if sense else None
        return {kind} if kind else set()

    return reader


def combined_reader(senses: Senses) -> Reader:
    """The product: the rules and the meaning reader agreeing (bot/mind/appraisal.py)."""
    return lambda text: {reading.kind for reading in read(text, senses.of[text])}


# -- the report ---------------------------------------------------------------------------------------------


def report(name: str, result: Score, groups: bool = False) -> None:
    say(f"\n{name}")
    say(f"  {'kind':<18} {'precision':>9} {'recall':>7} {'tp':>4} {'fp':>4} {'fn':>4}")
    for kind in KINDS:
        say(
            f"  {kind.value:<18} {result.precision(kind):>9.2f} {result.recall(kind):>7.2f} "
            f"{result.tp[kind]:>4} {result.fp[kind]:>4} {result.fn[kind]:>4}"
        )
    langs = ", ".join(f"{lang} {right}/{total}" for lang, (right, total) in sorted(result.by_lang.items()))
    say(f"  fully right: {result.fully_right}/{result.examples} = {result.share:.1%} ({langs})")
    if groups and len(result.by_group) > 1:
        parts = [f"{group} {right}/{total}" for group, (right, total) in result.by_group.items()]
        say(f"  by group: {', '.join(parts)}")


def report_wrong(result: Score, senses: Senses) -> None:
    say("\nread wrong by the product:")
    for example, predicted in result.wrong:
        got = ", ".join(sorted(k.value for k in predicted)) or "-"
        want = ", ".join(sorted(k.value for k in example.must)) or "-"
        reasons = "; ".join(r.reason for r in read(example.text, senses.of[example.text]))
        say(f"  [{example.lang} {example.group}] {example.text!r}: got {got}; must {want}  <{reasons}>")


def load_embedder(args: argparse.Namespace) -> FastEmbedder:
    if args.model == TEST_MODEL:
        return FastEmbedder.load(TEST_MODEL, seed_cache(args.cache_dir))
    return FastEmbedder.load(args.model, args.cache_dir)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--data", "--set", dest="set", type=Path, default=FRESH_SET, help="labelled JSONL set (default: the fresh set)"
    )
    parser.add_argument(
        "--split",
        "--half",
        dest="half",
        choices=("dev", "test", "all"),
        default="test",
        help="which half of a split set",
    )
    parser.add_argument("--wrong", action="store_true", help="list the messages the product reads wrong")
    parser.add_argument("--cv", action="store_true", help="leave one tuning set out: the head's honest estimate")
    parser.add_argument("--l2", type=float, default=L2, help="the head's L2 penalty in --cv")
    parser.add_argument("--word-penalty", type=float, default=WORD_PENALTY, help="the word reader's ridge in --cv")
    parser.add_argument("--word-scale", type=float, default=WORD_SCALE, help="its scores' scale in --cv (0: off)")
    parser.add_argument("--model", default=TEST_MODEL, help="embedding model (default: the offline test model)")
    parser.add_argument(
        "--cache-dir", type=Path, default=ROOT / ".cache" / "test-model", help="model cache (default .cache/test-model)"
    )
    return parser.parse_args()


async def run(args: argparse.Namespace) -> None:
    half = None if args.half == "all" else args.half
    examples = load_set(args.set, half)
    if not examples:  # a set with no halves: all of it
        examples = load_set(args.set)
    say(f"{len(examples)} labelled messages from {args.set.name} (half: {half or 'all'}); {machine_line()}")
    embedder = load_embedder(args)
    try:
        senses = await sense_all(embedder, [e.text for e in examples], args.cache_dir)
    finally:
        embedder.close()
    say(f"embedding model: {embedder.model_name}")
    report("keyword rules before issue 13", score(examples, old_reader))
    report("word rules alone (bot.mind.appraisal.read without a sense)", score(examples, product_reader), True)
    report("meaning reader alone (closest examples, no rules)", score(examples, meaning_reader(senses)), True)
    product = score(examples, combined_reader(senses))
    report("rules + meaning (the product)", product, True)
    say(
        f"\ntime per message: rules alone {senses.rules_us:.0f} µs; rules + meaning {senses.combined_us:.0f} µs "
        f"with the embedding computed (recall's); the embedding itself {senses.embed_ms:.1f} ms"
    )
    if args.wrong:
        report_wrong(product, senses)


# -- leave one set out ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fold:
    """One tuning set, or one author of a set written by several (the honest proxy for a new author)."""

    name: str
    examples: list[Example]
    new: bool  # written by someone whose lines the word rules were not written against


def folds() -> list[Fold]:
    found: list[Fold] = []
    for path in TUNING_SETS:
        examples = load_set(path)
        for author in sorted({e.author for e in examples}):
            name = path.stem.removeprefix("appraisal_") + (f"/{author}" if author else "")
            found.append(Fold(name, [e for e in examples if e.author == author], path not in RULES_READ))
    return found


async def cross_validate(args: argparse.Namespace) -> None:
    """Train the head without one fold, read that fold as a turn would, and pool the held-out readings."""
    sets = folds()
    say(f"leave one set out over {' + '.join(str(len(f.examples)) for f in sets)} labelled messages; {machine_line()}")
    embedder = load_embedder(args)
    try:
        before = await examples_embedded(embedder)  # no head: a committed or cached one saw every set
        extra = prototype_lines()
        texts = [e.text for fold in sets for e in fold.examples] + [text for text, _, _ in extra]
        vectors = dict(zip(texts, await embed(embedder, texts), strict=True))
    finally:
        embedder.close()
    held_out: dict[str, Sense | None] = {}
    say(f"\n  {'held out':<12} {'lines':>5} {'rules':>7} {'meaning':>8} {'both':>7}")
    unseen: list[Example] = []  # lines the word rules were not written against
    for held in sets:
        name, examples = held.name, held.examples
        lines = [(e.text, e.must, e.may) for other in sets if other is not held for e in other.examples] + extra
        training = np.asarray([vectors[text] for text, _, _ in lines])
        head = train(embedder.model_name, lines, training, before, args.l2, args.word_penalty, args.word_scale)
        fold = replace(before, head=head)
        senses = Senses({e.text: fold.sense(vectors[e.text], e.text) for e in examples}, 0.0, 0.0, 0.0)
        held_out |= senses.of
        shares = [score(examples, r).share for r in (product_reader, meaning_reader(senses), combined_reader(senses))]
        say(f"  {name:<12} {len(examples):>5} " + " ".join(f"{s:>7.1%}" for s in shares))
        unseen += examples if held.new else []
    senses = Senses(held_out, 0.0, 0.0, 0.0)
    shares = [score(unseen, r).share for r in (product_reader, meaning_reader(senses), combined_reader(senses))]
    say(f"  {'new authors':<12} {len(unseen):>5} " + " ".join(f"{s:>7.1%}" for s in shares))
    pooled = [e for fold in sets for e in fold.examples]
    report_cv(pooled, unseen, senses, args.wrong)


def report_cv(pooled: list[Example], unseen: list[Example], after: Senses, wrong: bool) -> None:
    report("word rules alone (fit on everyday, fresh, blind)", score(pooled, product_reader), True)
    report("meaning alone: the head, held out", score(pooled, meaning_reader(after)), True)
    product = score(pooled, combined_reader(after))
    report("both: rules + the head, held out, all folds", product, True)
    report("both: rules + the head, held out, new authors (the estimate)", score(unseen, combined_reader(after)), True)
    if wrong:
        report_wrong(product, after)


def main() -> None:
    args = parse_args()
    asyncio.run(cross_validate(args) if args.cv else run(args))


if __name__ == "__main__":
    main()
