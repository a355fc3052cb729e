"""The memory bank: the embedder and the store together, speaking text instead of vectors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import utcnow
from bot.languages import DEFAULT_LANGUAGE
from bot.memory.embedder import Embedder, clean_text
from bot.memory.hybrid import Mode, Probe
from bot.memory.lexical import check_language
from bot.memory.meaning import embed_memories, meaning_of
from bot.memory.models import (
    Memory,
    MemoryKind,
    ScoredMemory,
    SearchFilter,
    StoreInfo,
    lexicon_id,
    name_keys,
    new_memory_id,
    normalise_id,
)
from bot.memory.port import MemoryStore
from bot.memory.timeparse import TimeWindow, after_event, parse_time
from bot.places import Origin


@dataclass(frozen=True)
class NewMemory:
    scope: str
    text: str
    kind: MemoryKind = MemoryKind.NOTE
    importance: float = 0.5
    origin: Origin = field(default_factory=Origin)
    created_at: datetime | None = None
    id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    superseded_by: str | None = None
    last_recalled_at: datetime | None = None
    speaker: str | None = None
    context: str | None = None

    def build(self) -> Memory:
        if not self.scope:
            raise ValueError("a memory needs a scope")
        return Memory(
            id=normalise_id(self.id) if self.id else new_memory_id(),
            scope=self.scope,
            kind=self.kind,
            text=clean_text(self.text),
            created_at=self.created_at or utcnow(),
            importance=min(1.0, max(0.0, float(self.importance))),
            origin=self.origin,
            meta=dict(self.meta),
            superseded_by=self.superseded_by,
            last_recalled_at=self.last_recalled_at,
            speaker=self.speaker.strip() or None if self.speaker else None,
            context=self.context.strip() or None if self.context else None,
        )


class MemoryBank:
    def __init__(self, store: MemoryStore, embedder: Embedder, language: str = DEFAULT_LANGUAGE) -> None:
        self.store = store
        self.embedder = embedder
        self.language = check_language(language)
        # Each scope's speakers' name keys, read from the store once and kept up to date by `add`: a question is
        # searched by meaning without them (bot/memory/meaning.py). A forgotten speaker may linger: harmless.
        self._speakers: dict[str, set[str]] = {}

    @property
    def built_with(self) -> StoreInfo:
        return StoreInfo(model=self.embedder.model_name, dim=self.embedder.dim, lexical=lexicon_id(self.language))

    async def open(self) -> None:
        await self.store.open(self.built_with)

    async def close(self) -> None:
        await self.store.close()

    async def add(self, new: Sequence[NewMemory]) -> list[Memory]:
        """Embed and store a batch; when this returns, every memory in it is durable."""
        memories = [item.build() for item in new]
        vectors = await embed_memories(self.embedder, memories)
        await self.store.upsert(list(zip(memories, vectors, strict=True)))
        for memory in memories:
            if memory.speaker and memory.scope in self._speakers:
                self._speakers[memory.scope].update(name_keys(memory.speaker))
        return memories

    async def add_one(self, new: NewMemory) -> Memory:
        return (await self.add([new]))[0]

    async def update(self, scope: str, memory_id: str, changed: Memory) -> None:
        """Store a memory's changed payload (importance, superseded_by, last recall); its text and vectors stay."""
        await self.store.update_payload(scope, memory_id, changed)

    async def get(self, scope: str, memory_id: str) -> Memory | None:
        return await self.store.get(scope, memory_id)

    async def count(self, scope: str) -> int:
        return await self.store.count(scope)

    async def list_page(self, scope: str, limit: int, offset: str | None) -> tuple[list[Memory], str | None]:
        """One page of a scope's memories and the offset of the next page (None at the end)."""
        return await self.store.list_page(scope, limit, offset)

    async def delete(self, scope: str, memory_ids: Sequence[str]) -> int:
        """Remove memories from search; `erase_deleted` then removes them from disk."""
        return await self.store.delete(scope, memory_ids)

    async def delete_scope(self, scope: str) -> int:
        self._speakers.pop(scope, None)
        return await self.store.delete_scope(scope)

    async def erase_deleted(self) -> None:
        """Rewrite what the store keeps on disk so deleted memories are in no file (docs/privacy.md: forgetting)."""
        await self.store.erase_deleted()

    async def search(self, query: str, where: SearchFilter, limit: int = 10) -> list[ScoredMemory]:
        """By meaning alone; scores are cosine similarities (fact de-duplication compares them to thresholds)."""
        vector = await self.embedder.embed_query(query)
        return await self.store.search(vector, where, limit)

    async def recall(
        self, query: str, where: SearchFilter, limit: int, now: datetime, zone: ZoneInfo, mode: Mode = Mode.HYBRID
    ) -> list[ScoredMemory]:
        """What a turn remembers: meaning, words, recency, importance and the time asked about, fused in Qdrant."""
        probe = await self.probe(query, where, now, zone, mode)
        return await self.store.query(probe, where, limit)

    async def probe(
        self, query: str, where: SearchFilter, now: datetime, zone: ZoneInfo, mode: Mode = Mode.HYBRID
    ) -> Probe:
        """The question as the store searches for it: its vector, its words, its time and the names in it."""
        reference = parse_time(query, now, zone)
        vector = None
        if mode is not Mode.LEXICAL:  # by meaning: what is asked about, not who is named (bot/memory/meaning.py)
            vector = await self.embedder.embed_query(meaning_of(query, await self._speakers_of(where.scopes)))
        window = reference.window
        if reference.anchor and mode is Mode.HYBRID:
            window = await self._anchor_window(reference.anchor, reference.relation, where, now)
        # Dates are not topic words: the lexical side searches the question without them.
        words = reference.rest if mode is Mode.HYBRID and reference.rest else query
        return Probe(vector, words, now, window, tuple(name_keys(query)), mode)

    async def _speakers_of(self, scopes: Sequence[str]) -> set[str]:
        names: set[str] = set()
        for scope in scopes:
            if scope not in self._speakers:
                self._speakers[scope] = set(await self.store.speakers(scope))
            names |= self._speakers[scope]
        return names

    async def _anchor_window(self, anchor: str, relation: Any, where: SearchFilter, now: datetime) -> TimeWindow | None:
        """'after the rain': when was the rain? The best word match for it, and the days next to it."""
        found = await self.store.query(Probe(None, anchor, now, mode=Mode.LEXICAL), where, 1)
        return after_event(found[0].memory.created_at, relation) if found else None

    async def replace_text(self, scope: str, memory_id: str, text: str) -> Memory | None:
        """Change what a memory says (re-embedded); None if it is not in that scope."""
        found = await self.store.get(scope, memory_id)
        if found is None:
            return None
        changed = found.with_changes(text=clean_text(text))
        vector = (await embed_memories(self.embedder, [changed]))[0]
        await self.store.upsert([(changed, vector)])
        return changed
