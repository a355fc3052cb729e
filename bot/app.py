"""Builders used by the composition roots (the CLI and `aiki run`): settings in, opened parts out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.clock import Clock
from bot.memory.bank import MemoryBank
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.memory.port import MemoryStore
from bot.settings import MemoryBackend, Settings
from bot.state.journal import ForgetJournal
from bot.state.store import StateStore

# The LLM client (openai), the Qdrant server client and the core load only when a command needs them, so
# `aiki memory stats` and a store-in-use error answer at once (bench/startup.py).
if TYPE_CHECKING:
    from bot.checkins.bedtime import SleepWatch
    from bot.llm import OpenAICompatibleLLM
    from bot.memory.server import QdrantServerMemoryStore
    from bot.mind.checkin_hooks import TopicSchedule
    from bot.mind.core import Consciousness
    from bot.mind.turn import Budgets

log = logging.getLogger(__name__)


def server_store(url: str, api_key: str | None, collection: str) -> QdrantServerMemoryStore:
    from qdrant_client import AsyncQdrantClient

    from bot.memory.server import QdrantServerMemoryStore

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
    bank = MemoryBank(build_memory_store(settings), embedder, settings.memory_language)
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


def build_llm(settings: Settings) -> OpenAICompatibleLLM:
    from bot.llm import OpenAICompatibleLLM

    return OpenAICompatibleLLM(
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value(),
        model=settings.llm_model,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        max_reply_tokens=settings.llm_max_reply_tokens,
    )


def turn_budgets(settings: Settings) -> Budgets:
    """What a turn's prompt may hold, from the settings (the live core's, and the hybrid export's)."""
    from bot.mind.turn import Budgets

    return Budgets(context_tokens=settings.prompt_tokens)


@asynccontextmanager
async def open_core(settings: Settings, schedule: TopicSchedule | None = None) -> AsyncIterator[Consciousness]:
    """The whole consciousness layer: memory, state, LLM and persona, opened in order and closed in reverse."""
    from bot.mind.appraisal_meaning import prepare_meaning
    from bot.mind.core import Consciousness
    from bot.mind.persona import read_persona

    persona = read_persona(settings.persona_file)
    async with open_memory(settings) as bank, open_state(settings) as state:
        llm = build_llm(settings)
        budgets = turn_budgets(settings)
        journal = ForgetJournal(settings.forget_journal_path)
        core = Consciousness(
            bank,
            state,
            llm,
            persona,
            settings.zone,
            budgets=budgets,
            schedule=schedule,
            journal=journal,
            follow_up_without_asking=settings.follow_up_without_asking,
            vision=settings.llm_vision,
        )
        try:
            await core.start()
            # Appraisal's example sentences, embedded now (or read from the model cache) rather than in a first turn.
            await prepare_meaning(bank.embedder, Path(settings.model_cache_dir))
            yield core
        finally:
            await core.drain()
            await llm.close()


def sleep_watch(settings: Settings, core: Consciousness, clock: Clock) -> SleepWatch:
    """The scheduler's sleep job (bot/checkins/bedtime.py), from the settings: passes run through the core."""
    from bot.checkins.bedtime import Bedtime, SleepWatch

    bedtime = Bedtime(timedelta(minutes=settings.sleep_after_quiet_minutes), settings.sleep_night_hour)
    return SleepWatch(core, core.state, settings.zone, bedtime, clock)


async def finish_interrupted_forgets(settings: Settings, journal: ForgetJournal, clock: Clock) -> None:
    """Start-up, before any command opens the memory store: finish the forgets a stop cut short (ids in the journal).

    The memory store is opened without the embedding model: deleting and rewriting need none.
    """
    from bot.mind.forgetting import finish_interrupted_forgets as finish

    store = build_memory_store(settings)
    info = await store.info()
    try:
        if info is not None:
            await store.open(info)
        async with open_state(settings) as state:
            await finish(journal, store if info is not None else None, state, clock)
    finally:
        await store.close()
