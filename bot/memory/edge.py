"""Qdrant Edge adapter: the embedded default, an in-process shard in a directory under the data dir."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from qdrant_edge import (
    CountRequest,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeVectorParams,
    FacetRequest,
    FieldCondition,
    Filter,
    HasIdCondition,
    IsEmptyCondition,
    KeywordIndexParams,
    MatchAny,
    MatchValue,
    MultiVectorComparator,
    MultiVectorConfig,
    PayloadSchemaType,
    Point,
    Query,
    QueryRequest,
    RangeDateTime,
    ScrollRequest,
    UpdateOperation,
)

from bot.errors import StoreLockedError, StoreMismatchError
from bot.memory.models import ChunkVectors, Memory, ScoredMemory, SearchFilter, StoreInfo, Vector
from bot.memory.port import PAGE_SIZE
from bot.memory.schema import DENSE, check_store_info, iso_or_none

log = logging.getLogger(__name__)

T = TypeVar("T")
META_FILE = "aiki_store.json"
# Unindexed memories above this are indexed when the store opens (measured: 20k memories take ~10 s,
# and then a search in one person's 20k memories drops from ~9 ms to ~1 ms).
OPTIMIZE_AT_START = 2_000
_LOCK_SIGNS = ("WouldBlock", "already accessed", "Resource temporarily unavailable")


def _scope_is(scope: str) -> FieldCondition:
    return FieldCondition(key="scope", match=MatchValue(scope))


def _filter_for(where: SearchFilter) -> Filter:
    must: list[Any] = [FieldCondition(key="scope", match=MatchAny(list(where.scopes)))]
    if where.kinds:
        must.append(FieldCondition(key="kind", match=MatchAny([kind.value for kind in where.kinds])))
    if where.since or where.until:
        must.append(
            FieldCondition(
                key="created_at",
                range=RangeDateTime(gte=iso_or_none(where.since), lte=iso_or_none(where.until)),
            )
        )
    if not where.include_superseded:
        must.append(IsEmptyCondition("superseded_by"))
    return Filter(must=must)


def _chunks(vector: Any) -> ChunkVectors:
    chunks = vector.get(DENSE) if isinstance(vector, dict) else None
    return [list(chunk) for chunk in chunks or []]


class EdgeMemoryStore:
    """One Qdrant Edge shard. All shard calls run on one worker thread, never on the event loop."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._shard: EdgeShard | None = None
        # One thread: the shard is used serially and the event loop stays free.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qdrant-edge")

    @property
    def location(self) -> str:
        return str(self._path)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, fn, *args)

    @property
    def shard(self) -> EdgeShard:
        if self._shard is None:
            raise RuntimeError("memory store is not open")
        return self._shard

    # -- lifecycle ---------------------------------------------------------

    def _read_meta(self) -> StoreInfo | None:
        meta = self._path / META_FILE
        if not meta.exists():
            return None
        data = json.loads(meta.read_text(encoding="utf-8"))
        return StoreInfo(model=data["model"], dim=int(data["dim"]))

    async def info(self) -> StoreInfo | None:
        return await self._run(self._read_meta)

    def _open_sync(self, expected: StoreInfo) -> None:
        existing = self._read_meta() if (self._path / "edge_config.json").exists() else None
        if existing is not None:
            check_store_info(existing, expected, self.location)
        try:
            if existing is None:
                self._path.mkdir(parents=True, exist_ok=True)
                params = EdgeVectorParams(
                    size=expected.dim,
                    distance=Distance.Cosine,
                    multivector_config=MultiVectorConfig(MultiVectorComparator.MaxSim),
                )
                config = EdgeConfig(vectors={DENSE: params})
                shard = EdgeShard.create(str(self._path), config)
                (self._path / META_FILE).write_text(
                    json.dumps({"model": expected.model, "dim": expected.dim}), encoding="utf-8"
                )
            else:
                shard = EdgeShard.load(str(self._path))
        except Exception as exc:
            if any(sign in str(exc) for sign in _LOCK_SIGNS):
                raise StoreLockedError(
                    f"The memory store at {self._path} is in use by another process (is AIKI running?). "
                    "Stop that process and try again, or move to the server backend "
                    "(AIKI_MEMORY_BACKEND=server) if several programs need the memory at once."
                ) from None
            raise
        for field, schema in (
            ("scope", KeywordIndexParams(is_tenant=True)),
            ("kind", PayloadSchemaType.Keyword),
            ("created_at", PayloadSchemaType.Datetime),
            ("created_ts", PayloadSchemaType.Float),
            ("importance", PayloadSchemaType.Float),
            ("superseded_by", PayloadSchemaType.Keyword),
            ("origin.source", PayloadSchemaType.Keyword),
        ):
            shard.update(UpdateOperation.create_field_index(field, schema))
        self._shard = shard
        info = shard.info()
        log.info("memory store open: qdrant edge at %s (%s points)", self._path, info.points_count)
        if info.points_count - info.indexed_vectors_count > OPTIMIZE_AT_START:
            # Edge only builds its vector index when asked, and the shard is locked meanwhile; at start-up
            # nothing waits for it yet. Without it, search cost grows with the number of memories.
            log.info("building the memory index for %d new memories (once; a few seconds)",
                     info.points_count - info.indexed_vectors_count)
            shard.optimize()

    async def open(self, expected: StoreInfo) -> None:
        await self._run(self._open_sync, expected)

    async def close(self) -> None:
        if self._shard is not None:
            shard, self._shard = self._shard, None
            await self._run(shard.close)
        self._worker.shutdown(wait=True)

    # -- writes ------------------------------------------------------------

    async def upsert(self, items: Sequence[tuple[Memory, ChunkVectors]]) -> None:
        if not items:
            return
        points = [Point(m.id, {DENSE: [list(c) for c in v]}, m.to_payload()) for m, v in items]
        await self._run(self.shard.update, UpdateOperation.upsert_points(points))

    def _update_payload_sync(self, scope: str, memory_id: str, memory: Memory) -> bool:
        if self._get_sync(scope, memory_id, False) is None:
            return False
        payload = memory.with_changes(id=memory_id, scope=scope).to_payload()
        self.shard.update(UpdateOperation.set_payload([memory_id], payload))
        if "superseded_by" not in payload:  # set_payload merges: clear a key the memory no longer has
            self.shard.update(UpdateOperation.delete_payload([memory_id], ["superseded_by"]))
        return True

    async def update_payload(self, scope: str, memory_id: str, memory: Memory) -> bool:
        return await self._run(self._update_payload_sync, scope, memory_id, memory)

    def _delete_by_filter(self, where: Filter) -> int:
        doomed = self.shard.count(CountRequest(filter=where, exact=True))
        if doomed:
            self.shard.update(UpdateOperation.delete_points_by_filter(where))
        return doomed

    async def delete(self, scope: str, memory_ids: Sequence[str]) -> int:
        if not memory_ids:
            return 0
        where = Filter(must=[HasIdCondition(set(memory_ids)), _scope_is(scope)])
        return await self._run(self._delete_by_filter, where)

    async def delete_scope(self, scope: str) -> int:
        return await self._run(self._delete_by_filter, Filter(must=[_scope_is(scope)]))

    # -- reads -------------------------------------------------------------

    async def search(self, vector: Vector, where: SearchFilter, limit: int) -> list[ScoredMemory]:
        request = QueryRequest(
            query=Query.Nearest([list(vector)], using=DENSE),
            filter=_filter_for(where),
            limit=limit,
            with_payload=True,
        )
        hits = await self._run(self.shard.query, request)
        return [ScoredMemory(Memory.from_payload(hit.id, hit.payload or {}), hit.score) for hit in hits]

    def _get_sync(self, scope: str, memory_id: str, with_vector: bool) -> tuple[Memory, ChunkVectors] | None:
        try:
            records = self.shard.retrieve([memory_id], True, [DENSE] if with_vector else False)
        except Exception:  # a malformed id is simply not found
            return None
        for record in records:
            payload = record.payload or {}
            if payload.get("scope") == scope:
                return Memory.from_payload(record.id, payload), _chunks(record.vector)
        return None

    async def get(self, scope: str, memory_id: str) -> Memory | None:
        found = await self._run(self._get_sync, scope, memory_id, False)
        return found[0] if found else None

    async def get_with_vector(self, scope: str, memory_id: str) -> tuple[Memory, ChunkVectors] | None:
        return await self._run(self._get_sync, scope, memory_id, True)

    def _scroll(
        self, scope: str, limit: int, offset: str | None, with_vector: bool
    ) -> tuple[list[tuple[Memory, ChunkVectors]], str | None]:
        records, next_offset = self.shard.scroll(
            ScrollRequest(
                offset=offset,
                limit=limit,
                filter=Filter(must=[_scope_is(scope)]),
                with_payload=True,
                with_vector=[DENSE] if with_vector else False,
            )
        )
        page = []
        for record in records:
            page.append((Memory.from_payload(record.id, record.payload or {}), _chunks(record.vector)))
        return page, str(next_offset) if next_offset is not None else None

    async def list(
        self, scope: str, limit: int = PAGE_SIZE, offset: str | None = None
    ) -> tuple[list[Memory], str | None]:
        page, next_offset = await self._run(self._scroll, scope, limit, offset, False)
        return [memory for memory, _ in page], next_offset

    async def list_with_vectors(
        self, scope: str, limit: int = PAGE_SIZE, offset: str | None = None
    ) -> tuple[list[tuple[Memory, ChunkVectors]], str | None]:
        return await self._run(self._scroll, scope, limit, offset, True)

    async def count(self, scope: str) -> int:
        request = CountRequest(filter=Filter(must=[_scope_is(scope)]), exact=True)
        return await self._run(self.shard.count, request)

    async def scopes(self) -> list[str]:
        response = await self._run(self.shard.facet, FacetRequest(key="scope", limit=1_000_000, exact=True))
        return sorted(str(hit.value) for hit in response.hits)


__all__ = ["EdgeMemoryStore", "StoreMismatchError"]
