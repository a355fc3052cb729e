"""The real offline model through AIKI's embedder: shapes, meaning, long texts, and start-up failures."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from bot.embedder import CHUNK_WORDS, FastEmbedder
from bot.errors import EmbeddingModelError, InvalidInputError
from scripts.test_model import TEST_MODEL


async def test_vectors_have_the_models_dimension_and_unit_length(embedder: FastEmbedder) -> None:
    [chunks] = await embedder.embed_passages(["Hei, hvordan går det med AIKI-HOME?"])
    assert embedder.dim == 384 and len(chunks) == 1 and len(chunks[0]) == 384
    assert np.linalg.norm(chunks[0]) == pytest.approx(1.0, abs=1e-3)


async def test_similar_meaning_scores_higher(embedder: FastEmbedder) -> None:
    query = np.asarray(await embedder.embed_query("my cat is sick"))
    close, far = await embedder.embed_passages(["the kitten has a fever", "the stock market fell today"])
    assert query @ np.asarray(close[0]) > query @ np.asarray(far[0])


async def test_batch_order_is_kept_whatever_the_lengths(embedder: FastEmbedder) -> None:
    texts = ["short", "a much longer sentence about sailing boats and the wind at sea " * 3, "mid length text here"]
    together = await embedder.embed_passages(texts)
    alone = [(await embedder.embed_passages([t]))[0] for t in texts]
    for got, expected in zip(together, alone, strict=True):
        assert np.allclose(got, expected, atol=1e-4)


async def test_long_text_gets_one_vector_per_window(embedder: FastEmbedder) -> None:
    text = " ".join(["word"] * (CHUNK_WORDS * 2 + 5))
    [chunks] = await embedder.embed_passages([text])
    assert len(chunks) == 3


async def test_empty_text_is_refused(embedder: FastEmbedder) -> None:
    with pytest.raises(InvalidInputError):
        await embedder.embed_query("  ")


def test_unknown_model_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="AIKI_EMBEDDING_MODEL"):
        FastEmbedder.load("no-such/model", tmp_path)


def test_missing_model_without_a_hub_fails_fast_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    started = time.monotonic()
    with pytest.raises(EmbeddingModelError) as caught:
        FastEmbedder.load(TEST_MODEL, tmp_path / "empty-cache")
    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert "AIKI_MODEL_CACHE_DIR" in message and "AIKI_EMBEDDING_MODEL" in message and "Fix" in message


def test_model_path_that_is_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="AIKI_EMBEDDING_MODEL_PATH"):
        FastEmbedder.load(TEST_MODEL, tmp_path, tmp_path / "nope")
