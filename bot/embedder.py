"""Text embeddings on fastembed behind a small async interface; the CPU work runs off the event loop."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

import numpy as np

from bot.errors import EmbeddingModelError, InvalidInputError
from bot.memory.models import ChunkVectors, Vector

log = logging.getLogger(__name__)

# Measured on 2 cores (bench/memory.py, bench/retrieval.py on REALTALK turns): with texts sorted by length, batches
# of 16 short texts ran fastest (~350 turns/s; 8: ~340, 32: ~290, 64: ~150); a plain batch of 64 over mixed lengths
# spends most of its time on padding (~50 turns/s). Long texts get smaller batches: a batch holds at most
# BATCH_CHARS characters of its longest text times its size, so a batch of 200-word windows is a few texts.
BATCH_SIZE = 16
BATCH_CHARS = 16 * 160
# The model window is 512 tokens in fastembed's tokenizers (and MiniLM was trained on 256), Norwegian
# runs ~1.5-2 tokens a word: longer texts get one vector per 200-word window instead of being cut off,
# and the store scores a memory by its best window (Qdrant multivector, MaxSim).
CHUNK_WORDS = 200
MAX_TEXT_CHARS = 100_000


class Embedder(Protocol):
    @property
    def model_name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    async def embed_passages(self, texts: Sequence[str]) -> list[ChunkVectors]:
        """One vector per window of each text (most texts have one window)."""
        ...

    async def embed_query(self, text: str) -> Vector: ...


def clean_text(text: str) -> str:
    """The text that gets embedded and stored; empty or oversized text is refused with a clear reason."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInputError("The text is empty: there is nothing to remember.")
    if len(cleaned) > MAX_TEXT_CHARS:
        raise InvalidInputError(
            f"The text is {len(cleaned):,} characters long; a memory can hold at most {MAX_TEXT_CHARS:,}."
        )
    return cleaned


def chunk_words(text: str, size: int = CHUNK_WORDS) -> list[str]:
    words = text.split()
    if len(words) <= size:
        return [text]
    return [" ".join(words[start : start + size]) for start in range(0, len(words), size)]


def length_buckets(pieces: Sequence[str]) -> list[list[int]]:
    """Indexes of `pieces` in batches of similar length (shortest first), so each batch pads as little as it can."""
    order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        longest = len(pieces[index])  # sorted: the newest piece is the longest in the batch
        if current and (len(current) >= BATCH_SIZE or (len(current) + 1) * longest > BATCH_CHARS):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "huggingface.co", port), timeout=timeout_s):
            return True
    except OSError:
        return False


class FastEmbedder:
    """fastembed's TextEmbedding with length-sorted batching and one worker thread."""

    def __init__(self, model: object, model_name: str, dim: int) -> None:
        self._model = model
        self._model_name = model_name
        self._dim = dim
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def dim(self) -> int:
        return self._dim

    @classmethod
    def load(cls, model_name: str, cache_dir: Path, model_path: Path | None = None) -> FastEmbedder:
        """Load the model from the cache (or download it once); fail fast with the setting and the fix."""
        from fastembed import TextEmbedding

        known = {m["model"]: m for m in TextEmbedding.list_supported_models()}
        if model_name not in known:
            raise EmbeddingModelError(
                f"AIKI_EMBEDDING_MODEL={model_name!r} is not a model fastembed knows. "
                'Pick one from `python -c "from fastembed import TextEmbedding; '
                "print([m['model'] for m in TextEmbedding.list_supported_models()])\"`, "
                "e.g. sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2."
            )
        cache_dir.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, object] = {"cache_dir": str(cache_dir)}
        if model_path is not None:
            if not model_path.is_dir():
                raise EmbeddingModelError(f"AIKI_EMBEDDING_MODEL_PATH={model_path} is not a directory.")
            kwargs["specific_model_path"] = str(model_path)
        try:
            model = TextEmbedding(model_name, local_files_only=True, **kwargs)
        except Exception:
            if model_path is not None:
                raise EmbeddingModelError(
                    f"Could not load {model_name!r} from AIKI_EMBEDDING_MODEL_PATH={model_path}: "
                    "the directory must hold the model's ONNX file and tokenizer files."
                ) from None
            model = cls._download(model_name, cache_dir, known[model_name].get("size_in_GB"))
        return cls(model, model_name, int(known[model_name]["dim"]))

    @staticmethod
    def _download(model_name: str, cache_dir: Path, size_gb: object) -> object:
        from fastembed import TextEmbedding

        if not _hub_reachable():
            raise EmbeddingModelError(
                f"The embedding model {model_name!r} (AIKI_EMBEDDING_MODEL) is not in "
                f"AIKI_MODEL_CACHE_DIR={cache_dir} and the model hub cannot be reached. "
                "Fix: start AIKI once with internet access so it can download the model, copy a cache "
                "from another machine into that directory, or point AIKI_EMBEDDING_MODEL_PATH at a "
                "directory with the model files."
            )
        log.info("downloading embedding model %s (%s GB) into %s, once", model_name, size_gb, cache_dir)
        try:
            return TextEmbedding(model_name, cache_dir=str(cache_dir))
        except Exception as exc:
            raise EmbeddingModelError(
                f"Could not download the embedding model {model_name!r} (AIKI_EMBEDDING_MODEL) into "
                f"AIKI_MODEL_CACHE_DIR={cache_dir}: {exc.__class__.__name__}. Check the connection and "
                "the free disk space, then start again."
            ) from None

    def _embed_batch(self, pieces: list[str], query: bool) -> list[Vector]:
        embed = self._model.query_embed if query else self._model.passage_embed  # type: ignore[attr-defined]
        return [np.asarray(v, dtype=np.float32).tolist() for v in embed(pieces, batch_size=len(pieces))]

    async def embed_passages(self, texts: Sequence[str]) -> list[ChunkVectors]:
        """Every window of every text, bucketed by length; one batch at a time on the worker thread.

        Batch by batch, so a turn's query embedding waits for one batch (tens of ms), not for a whole import.
        """
        if not texts:
            return []
        pieces: list[str] = []
        owners: list[int] = []
        for index, text in enumerate(clean_text(text) for text in texts):
            for piece in chunk_words(text):
                pieces.append(piece)
                owners.append(index)
        loop = asyncio.get_running_loop()
        by_piece: list[Vector] = [[] for _ in pieces]
        for batch in length_buckets(pieces):
            vectors = await loop.run_in_executor(self._worker, self._embed_batch, [pieces[i] for i in batch], False)
            for piece_index, vector in zip(batch, vectors, strict=True):
                by_piece[piece_index] = vector
        result: list[ChunkVectors] = [[] for _ in texts]
        for piece_index, owner in enumerate(owners):
            result[owner].append(by_piece[piece_index])
        return result

    async def embed_query(self, text: str) -> Vector:
        """A query is embedded whole (a search question is short; its first window is what counts)."""
        cleaned = " ".join(clean_text(text).split()[:CHUNK_WORDS])
        vectors = await asyncio.get_running_loop().run_in_executor(self._worker, self._embed_batch, [cleaned], True)
        return vectors[0]

    def close(self) -> None:
        self._worker.shutdown(wait=False)
