"""Qdrant Edge adapter: the embedded default, an in-process shard in a directory under the data dir."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from qdrant_edge import (
    CountRequest,
    DecayKind,
    Direction,
    Distance,
    EdgeConfig,
    EdgeShard,
    EdgeSparseVectorParams,
    EdgeVectorParams,
    Expression,
    FacetRequest,
    FieldCondition,
    Filter,
    Formula,
    Fusion,
    HasIdCondition,
    IdfParams,
    IsEmptyCondition,
    KeywordIndexParams,
    MatchAny,
    MatchValue,
    Modifier,
    MultiVectorComparator,
    MultiVectorConfig,
    OrderBy,
    PayloadSchemaType,
    Point,
    Prefetch,
    Query,
    QueryRequest,
    RangeDateTime,
    RangeFloat,
    ScrollRequest,
    SearchParams,
    SparseVector,
    UpdateOperation,
)

from bot.clock import to_iso
from bot.diskspace import allocated_bytes, ensure_free_space
from bot.errors import StoreLockedError, StoreMismatchError
from bot.memory import hybrid
from bot.memory.hybrid import Leg, Mode, Probe, Signal
from bot.memory.lexical import Lexicon, language_of
from bot.memory.models import ChunkVectors, Memory, ScoredMemory, SearchFilter, StoreInfo, Vector
from bot.memory.port import PAGE_SIZE
from bot.memory.schema import CONTEXT, DENSE, LEXICAL, SPARSE, SPEAKERS_LIMIT, VECTOR_OF, check_store_info
from bot.memory.swap import remove_leftovers, staging_of, swap_in
from bot.places import PRIVATE_SOURCES, Audience, OriginSource

log = logging.getLogger(__name__)

T = TypeVar("T")
META_FILE = "aiki_store.json"
# Unindexed memories above this are indexed when the store opens (measured: 20k memories take ~10 s,
# and then a search in one person's 20k memories drops from ~9 ms to ~1 ms).
OPTIMIZE_AT_START = 2_000
# Disk Qdrant Edge takes when it opens a shard, through memory maps: on a disk with less free, writing a mapped page
# is a SIGBUS (a `Bus error`, nothing printed), not an error (measured on tmpfs: ~100 MB; its WAL is 32 MB files).
OPEN_SPACE = 100 * 2**20
COPY_PAGE = 512
_LOCK_SIGNS = ("WouldBlock", "already accessed", "Resource temporarily unavailable")


def _scope_is(scope: str) -> FieldCondition:
    return FieldCondition(key="scope", match=MatchValue(scope))


def _scopes_filter(scopes: Sequence[str]) -> Filter:
    """The people searched: the corpus their words' IDF is counted over (one keyword index lookup)."""
    return Filter(must=[FieldCondition(key="scope", match=MatchAny(list(scopes)))])


def _filter_for(where: SearchFilter) -> Filter:
    must: list[Any] = [FieldCondition(key="scope", match=MatchAny(list(where.scopes)))]
    if where.kinds:
        must.append(FieldCondition(key="kind", match=MatchAny([kind.value for kind in where.kinds])))
    if where.since or where.until:
        must.append(
            FieldCondition(
                key="created_at",
                range=RangeDateTime(gte=to_iso(where.since), lte=to_iso(where.until)),
            )
        )
    if not where.include_superseded:
        must.append(IsEmptyCondition("superseded_by"))
    if where.audience is not None and not where.audience.everything:
        must.append(_audience_filter(where.audience))
    return Filter(must=must)


def _linked_filter(where: SearchFilter, keys: Sequence[str], turn_ids: Sequence[int]) -> Filter:
    """`where` with replaced memories, narrowed to what is linked to `keys` or made from `turn_ids`."""
    should: list[Any] = []
    if keys:
        should += [FieldCondition(key=f"meta.{field}", match=MatchAny(list(keys))) for field in ("key", "keys")]
    if turn_ids:
        should.append(FieldCondition(key="meta.turn_id", match=MatchAny(list(turn_ids))))
    return Filter(must=[_filter_for(replace(where, include_superseded=True)), Filter(should=should)])


def _audience_filter(audience: Audience) -> Filter:
    """bot/places.py's rule as a Qdrant Edge filter (Audience.sees is the reference)."""
    source = "origin.source"
    should: list[Any] = [FieldCondition(key=source, match=MatchValue(OriginSource.SYSTEM.value))]
    if audience.private:
        should.append(FieldCondition(key=source, match=MatchAny([s.value for s in PRIVATE_SOURCES])))
    channel = FieldCondition(key=source, match=MatchValue(OriginSource.CHANNEL.value))
    if audience.guilds is None:
        should.append(channel)
    elif audience.guilds:
        should.append(
            Filter(must=[channel, FieldCondition(key="origin.guild_id", match=MatchAny(list(audience.guilds)))])
        )
    return Filter(should=should)


def _expression(node: hybrid.Expr) -> Expression:
    """The hybrid plan's formula in Qdrant Edge's terms."""
    if isinstance(node, hybrid.Const):
        return Expression.Constant(node.value)
    if isinstance(node, hybrid.Var):
        return Expression.Variable(node.name)
    if isinstance(node, hybrid.Sum):
        return Expression.Sum([_expression(item) for item in node.items])
    if isinstance(node, hybrid.Mult):
        return Expression.Mult([_expression(item) for item in node.items])
    if isinstance(node, hybrid.Max):
        return Expression.Max([_expression(item) for item in node.items])
    if isinstance(node, hybrid.Decay):
        kind = DecayKind.Exp if node.kind == "exp" else DecayKind.Gauss
        return Expression.Decay(kind, _expression(node.x), Expression.Constant(node.target), 0.5, node.scale)
    if isinstance(node, hybrid.Fades):
        fades: list[Any] = [
            FieldCondition(key="kind", match=MatchAny(list(node.kinds))),
            FieldCondition(key="importance", range=RangeFloat(lt=node.below)),
            IsEmptyCondition("last_recalled_ts"),
        ]
        return Expression.Condition(Filter(must=fades))
    return Expression.Condition(FieldCondition(key="speaker_keys", match=MatchAny(list(node.names))))


def _within(where: Filter, start: float | None, end: float | None) -> Filter:
    if start is None and end is None:
        return where
    return Filter(must=[where, FieldCondition(key="created_ts", range=RangeFloat(gte=start, lt=end))])


def _sparse(vector: Any) -> SparseVector:
    return SparseVector(vector.indices, vector.values)


def _chunks(vector: Any) -> ChunkVectors:
    chunks = vector.get(DENSE) if isinstance(vector, dict) else None
    return [list(chunk) for chunk in chunks or []]


class EdgeMemoryStore:
    """One Qdrant Edge shard. All shard calls run on one worker thread, never on the event loop."""

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._shard: EdgeShard | None = None
        self._lexicon: Lexicon | None = None  # None for a store built before the word index (reindex it)
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
        return StoreInfo(model=data["model"], dim=int(data["dim"]), lexical=data.get("lexical"))

    async def info(self) -> StoreInfo | None:
        return await self._run(self._read_meta)

    def _open_sync(self, expected: StoreInfo, build_index: bool = True) -> None:
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
                sparse = {name: EdgeSparseVectorParams(modifier=Modifier.Idf) for name in SPARSE}
                config = EdgeConfig(vectors={DENSE: params}, sparse_vectors=sparse if expected.lexical else None)
                shard = EdgeShard.create(str(self._path), config)
                meta = {"model": expected.model, "dim": expected.dim, "lexical": expected.lexical}
                (self._path / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
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
            ("origin.guild_id", PayloadSchemaType.Integer),
            ("speaker_keys", PayloadSchemaType.Keyword),
            ("meta.key", PayloadSchemaType.Keyword),  # what the fact step linked (bot/mind/recollection.py)
            ("meta.keys", PayloadSchemaType.Keyword),
            ("meta.turn_id", PayloadSchemaType.Integer),
        ):
            shard.update(UpdateOperation.create_field_index(field, schema))
        self._shard = shard
        language = language_of((existing or expected).lexical)
        self._lexicon = Lexicon(language) if language else None
        info = shard.info()
        log.info("memory store open: qdrant edge at %s (%s points)", self._path, info.points_count)
        # Sparse (BM25) vectors are always indexed and counted too; what is left unindexed is dense.
        vectors_per_point = 1 + (len(SPARSE) if (existing or expected).lexical else 0)
        unindexed = info.points_count * vectors_per_point - info.indexed_vectors_count
        if build_index and unindexed > OPTIMIZE_AT_START:
            # Edge only builds its vector index when asked, and the shard is locked meanwhile; at start-up
            # nothing waits for it yet. Without it, search cost grows with the number of memories.
            log.info("building the memory index for about %d new memories (once; a few seconds)", unindexed)
            started = time.monotonic()
            shard.optimize()
            log.info("memory index built in %.1f s", time.monotonic() - started)

    def _open_checked(self, expected: StoreInfo) -> None:
        ensure_free_space(self._path, OPEN_SPACE)  # before anything is created or mapped
        self._open_sync(expected)
        remove_leftovers(self._path)  # with the store's lock held: no other process is building a copy now

    async def open(self, expected: StoreInfo) -> None:
        await self._run(self._open_checked, expected)

    async def close(self) -> None:
        if self._shard is not None:
            shard, self._shard = self._shard, None
            await self._run(shard.close)
        self._worker.shutdown(wait=True)

    # -- writes ------------------------------------------------------------

    async def upsert(self, items: Sequence[tuple[Memory, ChunkVectors]]) -> None:
        if not items:
            return
        await self._run(self._upsert_sync, items)

    def _upsert_sync(self, items: Sequence[tuple[Memory, ChunkVectors]]) -> None:
        points = []
        for memory, chunks in items:
            vectors: dict[str, Any] = {DENSE: [list(c) for c in chunks]}
            if self._lexicon is not None:  # computed here, from the text, so a re-index recomputes it too
                own, around = self._lexicon.memory_vectors(memory)
                vectors[LEXICAL], vectors[CONTEXT] = _sparse(own), _sparse(around)
            points.append(Point(memory.id, vectors, memory.to_payload()))
        self.shard.update(UpdateOperation.upsert_points(points))

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

    async def erase_deleted(self) -> None:
        await self._run(self._erase_sync)

    def _erase_sync(self) -> None:
        """Rewrite the shard from the points it still holds, then swap directories.

        A delete in Qdrant Edge only marks points: their payload stays in the segment pages until a vacuum, and the
        write-ahead log keeps every upsert in 32 MB files it does not rewrite. A vacuum cleans the pages, but the
        WAL cannot be emptied from outside without breaking the shard's operation numbers (measured: later updates
        to old points were silently ignored). So a forget copies what remains into a fresh shard beside this one,
        as `aiki memory reindex` does, and swaps it in (bot/memory/swap.py finishes or clears a swap cut short; the
        forget's journal, bot/mind/forgetting.py, runs the whole erase again at the next start).
        Cost (bench/erase.py, 2 busy cores): 2-4 s at 1k-5k memories, ~10 s at 20k; every memory call waits
        meanwhile. The new shard's vector index is built at the next start (searches scan until then).
        """
        info = self._read_meta()
        if info is None:
            return
        started = time.monotonic()
        staging_path = staging_of(self._path)
        shutil.rmtree(staging_path, ignore_errors=True)
        # The copy takes about what the live shard takes; refused here, the forget's journal finishes it later.
        ensure_free_space(staging_path, OPEN_SPACE + allocated_bytes(self._path))
        staging = EdgeMemoryStore(staging_path)
        try:
            staging._open_sync(info, build_index=False)
            copied = self._copy_into(staging)
            if staging.shard.count(CountRequest(exact=True)) != copied:
                raise RuntimeError("the rewritten memory store does not hold every memory; the old one is kept")
            staging.shard.close()
            staging._shard = None
        finally:
            staging._worker.shutdown(wait=False)
            if staging._shard is not None:
                staging._shard.close()
        self.shard.close()
        self._shard = None
        swap_in(self._path, staging_path)
        # No index build now (tens of seconds at 20k memories, with every memory call waiting): searches scan until
        # the next start builds it, ~9 ms instead of ~1 ms at 20k memories of one person.
        copy_s = time.monotonic() - started
        self._open_sync(info, build_index=False)
        log.info(
            "memory store rewritten without deleted memories: %d kept, copied in %.2f s, %.2f s in all",
            copied,
            copy_s,
            time.monotonic() - started,
        )

    def _copy_into(self, staging: EdgeMemoryStore) -> int:
        copied = 0
        offset: Any = None
        while True:
            records, offset = self.shard.scroll(
                ScrollRequest(offset=offset, limit=COPY_PAGE, with_payload=True, with_vector=[DENSE])
            )
            page = [(Memory.from_payload(r.id, r.payload or {}), _chunks(r.vector)) for r in records]
            if page:
                staging._upsert_sync(page)
            copied += len(page)
            if offset is None:
                return copied

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

    async def query(self, probe: Probe, where: SearchFilter, limit: int) -> list[ScoredMemory]:
        return await self._run(self._query_sync, probe, where, limit)

    def _leg(self, leg: Leg, probe: Probe, where: Filter, corpus: Filter) -> Prefetch:
        """One signal's candidates, normalised by a one-list DBSF fusion so the formula can weigh them."""
        query, params, threshold = self._signal(leg.signal, probe, corpus)
        if leg.start is not None or leg.end is not None:
            threshold = None  # a question about a day wants that day's memories, however faint the match
        found = Prefetch(hybrid.PREFETCH, query, params=params, filter=_within(where, leg.start, leg.end),
                         score_threshold=threshold)  # fmt: skip
        # The stub types Fusion.Dbsf() as a class of its own; the engine takes it as the Fusion it is.
        return Prefetch(hybrid.PREFETCH, Fusion.Dbsf(), prefetches=[found])  # type: ignore[arg-type]

    def _signal(self, signal: Signal, probe: Probe, corpus: Filter) -> tuple[Query, SearchParams | None, float | None]:
        if signal == "dense":
            return Query.Nearest([list(probe.vector or [])], using=DENSE), None, hybrid.MIN_DENSE
        if self._lexicon is None:
            raise StoreMismatchError(f"The memory store at {self._path} has no word index: run `aiki memory reindex`.")
        # IDF from the memories of the people searched, not from everyone's: one person's everyday words are not
        # telling for them, whatever others talk about (~0.5 points of recall on REALTALK, ten people in one store).
        params = SearchParams(idf=IdfParams(corpus=corpus))
        return Query.Nearest(_sparse(self._lexicon.query(probe.text)), using=VECTOR_OF[signal]), params, None

    def _usable(self, probe: Probe) -> list[Signal]:
        signals = [s for s in hybrid.signals_for(probe.mode) if s != "dense" or probe.vector is not None]
        if self._lexicon is None or not self._lexicon.query(probe.text).indices:
            signals = [s for s in signals if s == "dense"]
        return signals

    def _query_sync(self, probe: Probe, where: SearchFilter, limit: int) -> list[ScoredMemory]:
        condition, corpus = _filter_for(where), _scopes_filter(where.scopes)
        signals = self._usable(probe)
        if probe.mode is not Mode.HYBRID:  # one signal, plain nearest (the benchmark's baselines)
            if not signals:
                return []
            query, params, _ = self._signal(signals[0], probe, corpus)
            request = QueryRequest(limit, query=query, params=params, filter=condition, with_payload=True)
            return self._scored(self.shard.query(request))
        plan = hybrid.plan(probe, signals)
        if plan is None:
            return []
        request = QueryRequest(
            limit,
            prefetches=[self._leg(leg, probe, condition, corpus) for leg in plan.legs],
            query=Formula(_expression(plan.formula), defaults=plan.defaults),
            filter=condition,
            with_payload=True,
        )
        return self._scored(self.shard.query(request))

    @staticmethod
    def _scored(hits: Sequence[Any]) -> list[ScoredMemory]:
        return [ScoredMemory(Memory.from_payload(hit.id, hit.payload or {}), hit.score) for hit in hits]

    def _linked_sync(self, where: Filter, limit: int) -> list[Memory]:
        newest = OrderBy("created_ts", Direction.Desc)  # a bounded lookup keeps the newest statements
        request = ScrollRequest(limit=limit, filter=where, with_payload=True, with_vector=False, order_by=newest)
        records, _ = self.shard.scroll(request)
        return [Memory.from_payload(record.id, record.payload or {}) for record in records]

    async def linked(
        self, where: SearchFilter, keys: Sequence[str], turn_ids: Sequence[int], limit: int
    ) -> list[Memory]:
        if not keys and not turn_ids:
            return []
        return await self._run(self._linked_sync, _linked_filter(where, keys, turn_ids), limit)

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

    async def list_page(
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

    async def speakers(self, scope: str) -> list[str]:
        where = Filter(must=[_scope_is(scope)])
        request = FacetRequest(key="speaker_keys", limit=SPEAKERS_LIMIT, exact=True, filter=where)
        response = await self._run(self.shard.facet, request)
        return sorted(str(hit.value) for hit in response.hits if hit.count > 0)

    async def scopes(self) -> list[str]:
        response = await self._run(self.shard.facet, FacetRequest(key="scope", limit=1_000_000, exact=True))
        return sorted(str(hit.value) for hit in response.hits if hit.count > 0)


__all__ = ["EdgeMemoryStore", "StoreMismatchError"]
