"""Train the appraisal's meaning head for one embedding model and save it beside the code, as a committed head.

The training is the product's (bot/mind/appraisal_training.py), which also trains a head for any model without a
committed one at its first start. Deterministic: the same model and lines give the same weights (a test checks the
committed file against this script). Only the offline test model's head is committed.

    python -m scripts.train_appraisal_head                     # the offline test model
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.memory.embedder import FastEmbedder
from bot.mind.appraisal_head import KINDS, Head, head_file
from bot.mind.appraisal_meaning import examples_embedded
from bot.mind.appraisal_training import trained as trained_for
from bot.mind.appraisal_training import tuning_lines
from scripts.test_model import TEST_MODEL, seed_cache

ROOT = Path(__file__).resolve().parent.parent


async def trained(embedder: FastEmbedder) -> Head:
    """The head the product would train for this embedder's model."""
    return await trained_for(embedder, await examples_embedded(embedder), tuning_lines())


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
