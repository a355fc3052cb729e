"""The real offline model through AIKI's embedder: shapes, meaning, long texts, and start-up failures."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastembed.common.model_management import ModelManagement

from bot.errors import EmbeddingModelError, InvalidInputError
from bot.memory.embedder import CHUNK_WORDS, RECENT_QUERIES, FastEmbedder
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


async def test_a_query_asked_again_soon_is_not_embedded_again(embedder: FastEmbedder) -> None:
    """Recall and appraisal read the same message in a turn: one model run (bot/mind/appraisal_meaning.py)."""
    before = embedder.queries_embedded
    first = await embedder.embed_query("The kettle is boiling.")
    again = await embedder.embed_query("  The kettle is boiling. ")  # the same text once cleaned
    assert again == first and embedder.queries_embedded == before + 1
    for number in range(RECENT_QUERIES):
        await embedder.embed_query(f"another message, number {number}")
    assert await embedder.embed_query("The kettle is boiling.") == first  # computed again, alike
    assert embedder.queries_embedded == before + RECENT_QUERIES + 2


async def test_empty_text_is_refused(embedder: FastEmbedder) -> None:
    with pytest.raises(InvalidInputError):
        await embedder.embed_query("  ")


def test_unknown_model_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="AIKI_EMBEDDING_MODEL"):
        FastEmbedder.load("no-such/model", tmp_path)


def test_missing_model_without_a_hub_fails_fast_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """Fast because of the mechanism: one short probe of the hub, and fastembed's ~45 s retry loop never starts."""
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    probes: list[tuple[str, int]] = []
    real_connect = socket.create_connection

    def counted_connect(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        probes.append(address)
        return real_connect(address, *args, **kwargs)

    def no_retry_loop(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("fastembed's download (with its retries) must not start without a hub")

    monkeypatch.setattr(socket, "create_connection", counted_connect)
    monkeypatch.setattr(ModelManagement, "download_model", classmethod(no_retry_loop))
    with pytest.raises(EmbeddingModelError) as caught:
        FastEmbedder.load(TEST_MODEL, tmp_path / "empty-cache")
    assert probes == [("127.0.0.1", 9)]
    message = str(caught.value)
    assert "AIKI_MODEL_CACHE_DIR" in message and "AIKI_EMBEDDING_MODEL" in message and "Fix" in message
    assert "aiki model download" in message
    assert "ERROR" not in capfd.readouterr().err  # fastembed's own lines are folded into AIKI's one message


def test_model_path_that_is_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="AIKI_EMBEDDING_MODEL_PATH"):
        FastEmbedder.load(TEST_MODEL, tmp_path, tmp_path / "nope")


def test_a_model_directory_alone_is_enough_offline(
    tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`aiki model download --to DIR` on a connected machine; on the offline one only AIKI_EMBEDDING_MODEL_PATH."""
    from bot.cli.main import main
    from bot.settings import DEFAULT_EMBEDDING_MODEL

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIKI_EMBEDDING_MODEL", TEST_MODEL)
    monkeypatch.setenv("AIKI_MODEL_CACHE_DIR", str(model_cache))
    assert main(["model", "download", "--to", str(tmp_path / "carried")]) == 0
    assert "AIKI_EMBEDDING_MODEL_PATH" in capsys.readouterr().out

    monkeypatch.delenv("AIKI_EMBEDDING_MODEL")  # the default (multilingual) name stays configured
    monkeypatch.setenv("AIKI_MODEL_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("AIKI_EMBEDDING_MODEL_PATH", str(tmp_path / "carried"))
    assert main(["model", "check"]) == 0
    out = capsys.readouterr().out
    assert TEST_MODEL in out and DEFAULT_EMBEDDING_MODEL not in out and "meaning   : ok" in out


def test_a_model_directory_that_lacks_files_says_which(tmp_path: Path, model_cache: Path) -> None:
    from bot.memory.embedding_models import write_model_dir

    carried = tmp_path / "carried"
    write_model_dir(TEST_MODEL, model_cache, carried)
    (carried / "model.onnx").unlink()
    with pytest.raises(EmbeddingModelError) as caught:
        FastEmbedder.load("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", tmp_path, carried)
    message = str(caught.value)
    assert "lacks model.onnx" in message and TEST_MODEL in message and "aiki model download" in message
