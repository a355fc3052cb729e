"""Text embeddings on fastembed behind a small async interface; the CPU work runs off the event loop."""

from __future__ import annotations

import asyncio
import logging
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from bot.errors import EmbeddingModelError, InvalidInputError
from bot.memory.embedding_models import (
    MANIFEST,
    download_model,
    model_description,
    quiet_fastembed,
    read_manifest,
    required_files,
)
from bot.memory.models import ChunkVectors, Vector

if TYPE_CHECKING:
    from fastembed import TextEmbedding

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
# A turn embeds its message once, for recall; appraisal then reads the same vector (bot/mind/appraisal_meaning.py).
# The last few query vectors are kept so that second look costs nothing, even with several people talking at once.
RECENT_QUERIES = 32


class Embedder(Protocol):
    @property
    def model_name(self) -> str: ...

    @property
    def dim(self) -> int: ...

    async def embed_passages(self, texts: Sequence[str]) -> list[ChunkVectors]:
        """One vector per window of each text (most texts have one window)."""
        ...

    async def embed_query(self, text: str) -> Vector: ...


# Characters that show nothing but are not whitespace to str.strip(): the Hangul fillers and the blank Braille
# pattern people use as "empty" names and messages (format characters, category Cf, are found by category).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_blank(text: str) -> bool:
    """Nothing a person can see: only whitespace and invisible characters (zero-width space, joiners, BOM ...)."""
    return all(ch.isspace() or ch in _BLANK_LETTERS or unicodedata.category(ch) == "Cf" for ch in text)


def clean_text(text: str) -> str:
    """The text that gets embedded and stored; empty or oversized text is refused with a clear reason."""
    cleaned = text.strip()
    if is_blank(cleaned):
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


class FastEmbedder:
    """fastembed's TextEmbedding with length-sorted batching and one worker thread."""

    def __init__(self, model: TextEmbedding, model_name: str, dim: int) -> None:
        self._model = model
        self._model_name = model_name
        self._dim = dim
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedder")
        self._recent: OrderedDict[str, Vector] = OrderedDict()
        self.queries_embedded = 0  # queries the model ran for (not those answered from the recent ones)

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def dim(self) -> int:
        return self._dim

    @classmethod
    def load(cls, model_name: str, cache_dir: Path, model_path: Path | None = None) -> FastEmbedder:
        """Load the model from a model directory, or the cache (downloading it once); fail fast with the fix."""
        from fastembed import TextEmbedding

        quiet_fastembed()
        if model_path is not None:
            return cls._from_directory(model_path, model_name, cache_dir)
        description = model_description(model_name)
        cache_dir.mkdir(parents=True, exist_ok=True)
        try:
            model = TextEmbedding(model_name, cache_dir=str(cache_dir), local_files_only=True)
        except Exception:
            download_model(model_name, cache_dir)
            model = TextEmbedding(model_name, cache_dir=str(cache_dir), local_files_only=True)
        return cls(model, model_name, description.dim)

    @classmethod
    def _from_directory(cls, path: Path, configured: str, cache_dir: Path) -> FastEmbedder:
        """A directory made by `aiki model download` names its model; any other is taken as AIKI_EMBEDDING_MODEL."""
        from fastembed import TextEmbedding

        if not path.is_dir():
            raise EmbeddingModelError(f"AIKI_EMBEDDING_MODEL_PATH={path} is not a directory.")
        named = read_manifest(path)
        model_name = named or configured
        description = model_description(model_name)
        missing = [name for name in required_files(model_name) if not (path / name).is_file()]
        if missing:
            source = f"its {MANIFEST}" if named else f"AIKI_EMBEDDING_MODEL (no {MANIFEST} in it)"
            raise EmbeddingModelError(
                f"AIKI_EMBEDDING_MODEL_PATH={path} lacks {', '.join(missing)} for {model_name!r} (named by {source}). "
                "Make the directory with `aiki model download --to DIR` on a machine with internet and copy it here."
            )
        try:
            model = TextEmbedding(
                model_name, cache_dir=str(cache_dir), local_files_only=True, specific_model_path=str(path)
            )
        except Exception as exc:
            raise EmbeddingModelError(
                f"Could not load {model_name!r} from AIKI_EMBEDDING_MODEL_PATH={path} ({exc.__class__.__name__}): "
                "the files are there but unreadable; make the directory again with `aiki model download`."
            ) from None
        return cls(model, model_name, description.dim)

    def _embed_batch(self, pieces: list[str], query: bool) -> list[Vector]:
        embed = self._model.query_embed if query else self._model.passage_embed
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
        """A query is embedded whole (a search question is short; its first window is what counts).

        The same text asked again soon (recall, then appraisal, in one turn) gets the vector already computed.
        """
        cleaned = " ".join(clean_text(text).split()[:CHUNK_WORDS])
        known = self._recent.get(cleaned)
        if known is not None:
            self._recent.move_to_end(cleaned)
            return list(known)
        vectors = await asyncio.get_running_loop().run_in_executor(self._worker, self._embed_batch, [cleaned], True)
        self.queries_embedded += 1
        self._recent[cleaned] = vectors[0]
        if len(self._recent) > RECENT_QUERIES:
            self._recent.popitem(last=False)
        return list(vectors[0])

    def close(self) -> None:
        self._worker.shutdown(wait=False)
