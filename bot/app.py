"""Builders used by the composition roots (the CLI and `aiki run`): settings in, opened parts out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.embedder import FastEmbedder
from bot.memory.bank import MemoryBank
from bot.memory.edge import EdgeMemoryStore
from bot.memory.port import MemoryStore
from bot.memory.server import QdrantServerMemoryStore
from bot.settings import MemoryBackend, Settings
from bot.state.store import StateStore

log = logging.getLogger(__name__)


def server_store(url: str, api_key: str | None, collection: str) -> QdrantServerMemoryStore:
    from qdrant_client import AsyncQdrantClient

    client = AsyncQdrantClient(url=url, api_key=api_key, timeout=10)
    return QdrantServerMemoryStore(client, collection, url)


def build_memory_store(settings: Settings) -> MemoryStore:
    """The configured backend, not yet opened."""
    if settings.memory_backend is MemoryBackend.SERVER:
        assert settings.qdrant_url is not None  # checked by Settings
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        return server_store(settings.qdrant_url, api_key, settings.qdrant_collection)
    return EdgeMemoryStore(settings.edge_path)


async def load_embedder(settings: Settings) -> FastEmbedder:
    """Load the embedding model in a thread: it reads ~100 MB from disk and builds an ONNX session."""
    return await asyncio.to_thread(
        FastEmbedder.load, settings.embedding_model, Path(settings.model_cache_dir), settings.embedding_model_path
    )


@asynccontextmanager
async def open_memory(settings: Settings, embedder: FastEmbedder | None = None) -> AsyncIterator[MemoryBank]:
    """The memory bank, opened and checked against the embedding model; closed on exit."""
    owns_embedder = embedder is None
    embedder = embedder or await load_embedder(settings)
    bank = MemoryBank(build_memory_store(settings), embedder)
    try:
        await bank.open()
        yield bank
    finally:
        await bank.close()
        if owns_embedder:
            embedder.close()


@asynccontextmanager
async def open_state(settings: Settings) -> AsyncIterator[StateStore]:
    state = StateStore(settings.database_path)
    await state.open()
    try:
        yield state
    finally:
        await state.close()
