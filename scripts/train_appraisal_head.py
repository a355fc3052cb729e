"""Train the appraisal's meaning head (bot/mind/appraisal_head.py) for one embedding model, and save it beside the code.

It learns from every labelled line of the tuning sets (tests/data/appraisal_everyday.jsonl and appraisal_fresh.jsonl,
both halves) and from the example sentences (bot/mind/appraisal_prototypes.py). Deterministic: the same model and
data give the same weights (a test checks the committed file against this script).

    python -m scripts.train_appraisal_head                     # the offline test model
    python -m scripts.train_appraisal_head --model sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2 \\
        --cache-dir "$AIKI_MODEL_CACHE_DIR"                      # the production model
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np

from bot.memory.embedder import FastEmbedder
from bot.mind.appraisal_head import KINDS, Head, Matrix, fit, head_file, inputs
from bot.mind.appraisal_meaning import Prototypes, prototypes_for
from bot.mind.appraisal_meaning import examples as prototype_examples
from bot.mood import MoodEventKind, with_implied
from scripts.test_model import TEST_MODEL, seed_cache

ROOT = Path(__file__).resolve().parent.parent
TRAINING_SETS = (
    ROOT / "tests" / "data" / "appraisal_everyday.jsonl",
    ROOT / "tests" / "data" / "appraisal_fresh.jsonl",
)
# The L2 penalty, chosen by the leave-one-set-out estimate (python -m bench.appraisal --cv), not by fit.
L2 = 30.0

Labelled = tuple[str, frozenset[MoodEventKind], frozenset[MoodEventKind]]  # text, must, may


def prototype_lines() -> list[Labelled]:
    """The example sentences as labelled lines: each brings its kind (none for the examples of nothing)."""
    kinds, texts = prototype_examples()
    return [
        (text, frozenset({kind}) if kind else frozenset(), frozenset()) for kind, text in zip(kinds, texts, strict=True)
    ]


def targets(lines: Iterable[Labelled]) -> tuple[Matrix, Matrix]:
    """Per line and kind: 1 if it must be read (grief is distress, a milestone joy), else 0; weight 0 where "may"."""
    y, mask = [], []
    for _, must, may in lines:
        said, allowed = with_implied(set(must)), with_implied(set(may))
        y.append([float(kind in said) for kind in KINDS])
        mask.append([0.0 if kind in allowed and kind not in said else 1.0 for kind in KINDS])
    return np.asarray(y), np.asarray(mask)


def train(model: str, lines: list[Labelled], vectors: Matrix, prototypes: Prototypes, l2: float = L2) -> Head:
    """The head for these lines and their vectors; `prototypes` give each line's example-sentence leads."""
    texts = [text for text, _, _ in lines]
    y, mask = targets(lines)
    weights, bias = fit(inputs(vectors, texts, leads(prototypes, vectors)), y, mask, l2)
    return Head(model, weights, bias)


def leads(prototypes: Prototypes, vectors: Matrix) -> Matrix:
    """How much closer each vector is to each kind's example sentences than to those of nothing (the head's input)."""
    bare = replace(prototypes, head=None)
    rows = []
    for vector in vectors:
        closeness = bare.sense(vector.astype(np.float32)).closeness
        rows.append([closeness[kind] - closeness[None] for kind in KINDS])
    return np.asarray(rows)


async def embed(embedder: FastEmbedder, texts: list[str]) -> Matrix:
    """Each text's vector as a turn embeds it (these models embed a query and a passage alike)."""
    chunks = await embedder.embed_passages(texts)
    return np.asarray([c[0] for c in chunks], dtype=np.float64)


def tuning_lines() -> list[Labelled]:
    from bench.appraisal import load_set  # the bench reads the sets; it also imports this script for --cv

    return [(e.text, e.must, e.may) for path in TRAINING_SETS for e in load_set(path)] + prototype_lines()


async def trained(embedder: FastEmbedder) -> Head:
    lines = tuning_lines()
    prototypes = await prototypes_for(embedder)
    return train(embedder.model_name, lines, await embed(embedder, [text for text, _, _ in lines]), prototypes)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--model", default=TEST_MODEL)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "test-model")
    args = parser.parse_args()
    cache = seed_cache(args.cache_dir) if args.model == TEST_MODEL else args.cache_dir
    embedder = FastEmbedder.load(args.model, cache)
    try:
        head = asyncio.run(trained(embedder))
    finally:
        embedder.close()
    file = head_file(args.model)
    file.parent.mkdir(exist_ok=True)
    head.save(file)
    print(f"{file.relative_to(ROOT)}: {head.weights.shape[0]} inputs x {len(KINDS)} kinds")


if __name__ == "__main__":
    main()
