"""The memory store port: one Protocol, one adapter per Qdrant backend (Edge in-process, qdrant-client server)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.memory.hybrid import Probe
from bot.memory.models import ChunkVectors, Memory, ScoredMemory, SearchFilter, StoreInfo, Vector

PAGE_SIZE = 256


class Pages(Protocol):
    """What reads a scope page by page: the store, or the bank in front of it."""

    async def list_page(self, scope: str, limit: int, offset: str | None) -> tuple[list[Memory], str | None]: ...


async def every_memory(source: Pages, scope: str) -> list[Memory]:
    """All of a scope's memories, read page by page (the store's order)."""
    found: list[Memory] = []
    offset: str | None = None
    while True:
        page, offset = await source.list_page(scope, PAGE_SIZE, offset)
        found += page
        if offset is None:
            return found


class MemoryStore(Protocol):
    """Vectors and payloads in Qdrant. Every read, search, update and delete names a scope."""

    @property
    def location(self) -> str:
        """Where the store lives (a path or a URL + collection), for messages."""
        ...

    async def open(self, expected: StoreInfo) -> None:
        """Create the store, or open it and fail with StoreMismatchError if it was built differently."""
        ...

    async def close(self) -> None: ...

    async def info(self) -> StoreInfo | None:
        """What the store was built with, or None if it has never been created."""
        ...

    async def upsert(self, items: Sequence[tuple[Memory, ChunkVectors]]) -> None:
        """Add or replace memories; when this returns, they are durable."""
        ...

    async def search(self, vector: Vector, where: SearchFilter, limit: int) -> list[ScoredMemory]:
        """Nearest by the dense vector alone; scores are cosine similarities."""
        ...

    async def query(self, probe: Probe, where: SearchFilter, limit: int) -> list[ScoredMemory]:
        """Hybrid retrieval (bot/memory/hybrid.py): every signal and boost fused inside Qdrant, best first."""
        ...

    async def linked(
        self, where: SearchFilter, keys: Sequence[str], turn_ids: Sequence[int], limit: int
    ) -> list[Memory]:
        """Memories in `where`, replaced ones too, that the fact step linked to one of `keys` (a fact's `key`, an
        episode's `keys`) or that were made from one of `turn_ids`: a payload lookup, no vectors, at most `limit`."""
        ...

    async def get(self, scope: str, memory_id: str) -> Memory | None: ...

    async def get_with_vector(self, scope: str, memory_id: str) -> tuple[Memory, ChunkVectors] | None: ...

    async def list_page(
        self, scope: str, limit: int = PAGE_SIZE, offset: str | None = None
    ) -> tuple[list[Memory], str | None]:
        """One page of a scope's memories, and the offset of the next page (None at the end)."""
        ...

    async def list_with_vectors(
        self, scope: str, limit: int = PAGE_SIZE, offset: str | None = None
    ) -> tuple[list[tuple[Memory, ChunkVectors]], str | None]: ...

    async def update_payload(self, scope: str, memory_id: str, memory: Memory) -> bool:
        """Replace a memory's payload (not its vector). False if no such memory in that scope."""
        ...

    async def delete(self, scope: str, memory_ids: Sequence[str]) -> int:
        """Delete these memories if they are in `scope`; returns how many were deleted."""
        ...

    async def delete_scope(self, scope: str) -> int: ...

    async def erase_deleted(self) -> None:
        """Make what was deleted unreadable from disk (WAL, segment pages, scope list), as far as the backend can."""
        ...

    async def count(self, scope: str) -> int: ...

    async def speakers(self, scope: str) -> list[str]:
        """The name keys of everyone whose words a scope holds (`speaker_keys`: the person, AIKI, imported
        speakers), from the payload index: no memory is read."""
        ...

    async def scopes(self) -> list[str]:
        """Every scope that holds memories now (for stats, export and migration); a forgotten one is not listed."""
        ...
