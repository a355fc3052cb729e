"""How the appraisal's meaning head (bot/mind/appraisal_head.py) is trained for an embedding model.

It learns from every labelled line of the tuning sets packaged with AIKI (bot/mind/appraisal_data/, both halves of
each) and from the example sentences (bot/mind/appraisal_prototypes.py). Deterministic: the same model and lines give
the same weights. The test model's head is committed (scripts/train_appraisal_head.py); any other model gets its own
at its first start, kept in the model cache (bot/mind/appraisal_meaning.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.memory.embedder import Embedder
from bot.mind.appraisal_head import (
    BUCKETS,
    GRAM_SIZES,
    KINDS,
    LEAD_SCALE,
    STRUCTURE,
    STRUCTURE_SCALE,
    Head,
    Matrix,
    fit,
    grams,
    inputs,
    ridge,
    structure,
)
from bot.mind.appraisal_prototypes import examples
from bot.mood import MoodEventKind, with_implied

if TYPE_CHECKING:
    from bot.mind.appraisal_meaning import Prototypes

DATA_DIR = Path(__file__).resolve().parent / "appraisal_data"
EVERYDAY_SET = DATA_DIR / "appraisal_everyday.jsonl"  # issue 23's first round, 440 lines
FRESH_SET = DATA_DIR / "appraisal_fresh.jsonl"  # issue 23's second round, 320 lines
BLIND_SET = DATA_DIR / "appraisal_blind.jsonl"  # the third round's blind set, 320 lines, reported once: spent
BLIND2_SET = DATA_DIR / "appraisal_blind2.jsonl"  # the fourth round's blind set, 240 lines, reported once: spent
VOICES_SET = DATA_DIR / "appraisal_voices.jsonl"  # the fifth round's, 920 lines by three authors ("author" a, b, c)
VOICES2_SET = DATA_DIR / "appraisal_voices2.jsonl"  # the sixth round's, by three more authors ("author" d, e, f)
BLIND3_SET = DATA_DIR / "appraisal_blind3.jsonl"  # the fifth round's blind set, 386 lines, reported once: spent
BLIND4_SET = DATA_DIR / "appraisal_blind4.jsonl"  # the sixth round's blind set, 379 lines, reported once: spent
VOICES3_SET = DATA_DIR / "appraisal_voices3.jsonl"  # the seventh round's, 751 lines by two more authors (g, h)
TUNING_SETS = (
    EVERYDAY_SET, FRESH_SET, BLIND_SET, BLIND2_SET, VOICES_SET, VOICES2_SET, BLIND3_SET, BLIND4_SET, VOICES3_SET
)  # fmt: skip
# The sets the word rules were written while reading: their share on these is fit, not an estimate for a new author.
RULES_READ = (EVERYDAY_SET, FRESH_SET, BLIND_SET)
# The L2 penalty, chosen by the leave-one-set-out estimate (python -m bench.appraisal --cv), not by fit.
L2 = 100.0
# The word reader (hashed words and pieces of words, bot/mind/appraisal_head.py): a ridge regression per kind, whose
# scores the head weighs beside the embedding. Its penalty and the scale of its scores, chosen the same way.
WORD_PENALTY = 0.3
WORD_SCALE = 20.0
# The head learns how far to trust the word reader from its scores on lines it did not learn from, as on a new one.
WORD_FOLDS = 5

Labelled = tuple[str, frozenset[MoodEventKind], frozenset[MoodEventKind]]  # text, must, may


@dataclass(frozen=True)
class LabelledLine:
    """One line of a labelled set: the kinds a message must bring, must not, and may bring without being wrong."""

    text: str
    lang: str
    must: frozenset[MoodEventKind]
    must_not: frozenset[MoodEventKind]
    may: frozenset[MoodEventKind] = frozenset()
    group: str = ""  # what the line tests: "thanked", "at_others", "negated", "polite", "irony", "nothing" ...
    half: str = ""  # "dev" or "test" in a split set
    author: str = ""  # who wrote it, where a set has several authors


def read_lines(path: Path, half: str | None = None) -> list[LabelledLine]:
    """The labelled lines of a JSONL set; of one half only if `half` names it ("dev" or "test")."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if not raw.strip():
            continue
        row = json.loads(raw)
        if half is not None and row.get("half") != half:
            continue
        lines.append(
            LabelledLine(
                row["text"],
                row["lang"],
                frozenset(MoodEventKind(k) for k in row["must"]),
                frozenset(MoodEventKind(k) for k in row["must_not"]),
                frozenset(MoodEventKind(k) for k in row.get("may", [])),
                row.get("group", ""),
                row.get("half", ""),
                row.get("author", ""),
            )
        )
    return lines


def prototype_lines() -> list[Labelled]:
    """The example sentences as labelled lines: each brings its kind (none for the examples of nothing)."""
    kinds, texts = examples()
    return [
        (text, frozenset({kind}) if kind else frozenset(), frozenset()) for kind, text in zip(kinds, texts, strict=True)
    ]


def tuning_lines() -> list[Labelled]:
    """Everything the head learns from: every tuning set, both halves, then the example sentences."""
    return [(line.text, line.must, line.may) for path in TUNING_SETS for line in read_lines(path)] + prototype_lines()


def targets(lines: Iterable[Labelled]) -> tuple[Matrix, Matrix]:
    """Per line and kind: 1 if it must be read (grief is distress, a milestone joy), else 0; weight 0 where "may"."""
    y, mask = [], []
    for _, must, may in lines:
        said, allowed = with_implied(set(must)), with_implied(set(may))
        y.append([float(kind in said) for kind in KINDS])
        mask.append([0.0 if kind in allowed and kind not in said else 1.0 for kind in KINDS])
    return np.asarray(y), np.asarray(mask)


def train(
    model: str,
    lines: list[Labelled],
    vectors: Matrix,
    prototypes: Prototypes,
    l2: float = L2,
    word_penalty: float = WORD_PENALTY,
    word_scale: float = WORD_SCALE,
) -> Head:
    """The head for these lines and their vectors; `prototypes` give each line's example-sentence leads.

    The word reader's weights are folded into the head's, so a message is read with one product.
    """
    texts = [text for text, _, _ in lines]
    y, mask = targets(lines)
    soft = np.where(mask == 0.0, 0.5, y)  # "may": neither yes nor no for the word reader
    words = grams(texts)
    single = words.astype(np.float32)  # four times faster, and the ridge's penalty keeps its solve well conditioned
    kernel = (single @ single.T).astype(np.float64)
    heard = word_scores(kernel, soft, word_penalty) * word_scale
    weights, bias = fit(np.hstack([inputs(vectors, texts, leads(prototypes, vectors)), heard]), y, mask, l2)
    dual, mean = ridge(kernel, soft, word_penalty)
    on_words = weights[-len(KINDS) :] * word_scale
    folded = np.vstack([weights[: -len(KINDS)], words.T @ dual @ on_words])
    return Head(model, folded, bias + mean @ on_words, fingerprint(model, vectors.shape[1], lines))


def word_scores(kernel: Matrix, y: Matrix, penalty: float) -> Matrix:
    """Each line's word-reader scores from a ridge fit on the other folds: what the head will see of a new message."""
    scores = np.zeros_like(y)
    fold = np.arange(len(y)) % WORD_FOLDS
    for k in range(WORD_FOLDS):
        out, kept = fold == k, fold != k
        dual, mean = ridge(kernel[np.ix_(kept, kept)], y[kept], penalty)
        scores[out] = kernel[np.ix_(out, kept)] @ dual + mean
    return scores


def leads(prototypes: Prototypes, vectors: Matrix) -> Matrix:
    """How much closer each vector is to each kind's example sentences than to those of nothing (the head's input)."""
    bare = replace(prototypes, head=None)
    rows = []
    for vector in vectors:
        closeness = bare.sense(vector.astype(np.float32).tolist()).closeness
        rows.append([closeness[kind] - closeness[None] for kind in KINDS])
    return np.asarray(rows)


async def embed(embedder: Embedder, texts: Sequence[str]) -> Matrix:
    """Each text's vector as a turn embeds it (these models embed a query and a passage alike)."""
    chunks = await embedder.embed_passages(texts)
    return np.asarray([c[0] for c in chunks], dtype=np.float64)


async def trained(embedder: Embedder, prototypes: Prototypes, lines: list[Labelled]) -> Head:
    """The head for this embedder's model: the lines embedded by it, then the fit, both off the event loop."""
    vectors = await embed(embedder, [text for text, _, _ in lines])
    return await asyncio.to_thread(train, embedder.model_name, lines, vectors, prototypes)


def fingerprint(model: str, dim: int, lines: list[Labelled]) -> str:
    """What decides the weights, short of the model's own vectors: a new line, label, example or sign makes a new one.

    The structural signs of each line are in it because the lexicon they come from changes between rounds: a head
    trained on other signs would read with inputs it never learned.
    """
    what = [model, dim, L2, LEAD_SCALE, STRUCTURE_SCALE, list(STRUCTURE), BUCKETS, list(GRAM_SIZES)]
    what += [WORD_PENALTY, WORD_SCALE, WORD_FOLDS]
    for text, must, may in lines:
        what.append([text, sorted(must), sorted(may), structure(text).tolist()])
    return hashlib.sha256(json.dumps(what, ensure_ascii=False).encode()).hexdigest()[:16]
