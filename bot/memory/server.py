"""qdrant-client adapter: a Qdrant server, Qdrant Cloud or a distributed cluster (one collection)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from qdrant_client import AsyncQdrantClient, models

from bot.errors import StoreMismatchError
from bot.memory import hybrid
from bot.memory.hybrid import Leg, Mode, Probe, Signal
from bot.memory.lexical import Lexicon, SparseVector, language_of
from bot.memory.models import ChunkVectors, Memory, ScoredMemory, SearchFilter, StoreInfo, Vector
from bot.memory.port import PAGE_SIZE
from bot.memory.schema import CONTEXT, DENSE, LEXICAL, SPARSE, SPEAKERS_LIMIT, VECTOR_OF, check_store_info
from bot.places import PRIVATE_SOURCES, Audience, OriginSource

log = logging.getLogger(__name__)

_INDEXES: tuple[tuple[str, Any], ...] = (
    ("scope", models.KeywordIndexParams(type=models.KeywordIndexType.KEYWORD, is_tenant=True)),
    ("kind", models.PayloadSchemaType.KEYWORD),
    ("created_at", models.PayloadSchemaType.DATETIME),
    ("created_ts", models.PayloadSchemaType.FLOAT),
    ("importance", models.PayloadSchemaType.FLOAT),
    ("superseded_by", models.PayloadSchemaType.KEYWORD),
    ("origin.source", models.PayloadSchemaType.KEYWORD),
    ("origin.guild_id", models.PayloadSchemaType.INTEGER),
    ("speaker_keys", models.PayloadSchemaType.KEYWORD),
    ("meta.key", models.PayloadSchemaType.KEYWORD),  # what the fact step linked (bot/mind/recollection.py)
    ("meta.keys", models.PayloadSchemaType.KEYWORD),
    ("meta.turn_id", models.PayloadSchemaType.INTEGER),
)


def _scope_is(scope: str) -> models.FieldCondition:
    return models.FieldCondition(key="scope", match=models.MatchValue(value=scope))


def _filter_for(where: SearchFilter) -> models.Filter:
    must: list[Any] = [models.FieldCondition(key="scope", match=models.MatchAny(any=list(where.scopes)))]
    if where.kinds:
        must.append(models.FieldCondition(key="kind", match=models.MatchAny(any=[k.value for k in where.kinds])))
    if where.since or where.until:
        must.append(
            models.FieldCondition(
                key="created_at",
                range=models.DatetimeRange(gte=where.since, lte=where.until),
            )
        )
    if not where.include_superseded:
        must.append(models.IsEmptyCondition(is_empty=models.PayloadField(key="superseded_by")))
    if where.audience is not None and not where.audience.everything:
        must.append(_audience_filter(where.audience))
    return models.Filter(must=must)


def _linked_filter(where: SearchFilter, keys: Sequence[str], turn_ids: Sequence[int]) -> models.Filter:
    """`where` with replaced memories, narrowed to what is linked to `keys` or made from `turn_ids`."""
    should: list[Any] = []
    if keys:
        should += [
            models.FieldCondition(key=f"meta.{field}", match=models.MatchAny(any=list(keys)))
            for field in ("key", "keys")
        ]
    if turn_ids:
        should.append(models.FieldCondition(key="meta.turn_id", match=models.MatchAny(any=list(turn_ids))))
    return models.Filter(must=[_filter_for(replace(where, include_superseded=True)), models.Filter(should=should)])


def _audience_filter(audience: Audience) -> models.Filter:
    """bot/places.py's rule as a Qdrant filter (the same shape the Edge adapter builds)."""
    source = "origin.source"
    should: list[Any] = [models.FieldCondition(key=source, match=models.MatchValue(value=OriginSource.SYSTEM.value))]
    if audience.private:
        private = [s.value for s in PRIVATE_SOURCES]
        should.append(models.FieldCondition(key=source, match=models.MatchAny(any=private)))
    channel = models.FieldCondition(key=source, match=models.MatchValue(value=OriginSource.CHANNEL.value))
    if audience.guilds is None:
        should.append(channel)
    elif audience.guilds:
        guild = models.FieldCondition(key="origin.guild_id", match=models.MatchAny(any=list(audience.guilds)))
        should.append(models.Filter(must=[channel, guild]))
    return models.Filter(should=should)


def _expression(node: hybrid.Expr) -> Any:
    """The hybrid plan's formula in qdrant-client's terms (the same tree Qdrant Edge gets)."""
    if isinstance(node, hybrid.Const):
        return node.value
    if isinstance(node, hybrid.Var):
        return node.name
    if isinstance(node, hybrid.Sum):
        return models.SumExpression(sum=[_expression(item) for item in node.items])
    if isinstance(node, hybrid.Mult):
        return models.MultExpression(mult=[_expression(item) for item in node.items])
    if isinstance(node, hybrid.Max):
        return models.MaxExpression(max=[_expression(item) for item in node.items])
    if isinstance(node, hybrid.Decay):
        params = models.DecayParamsExpression(x=_expression(node.x), target=node.target, scale=node.scale, midpoint=0.5)
        if node.kind == "exp":
            return models.ExpDecayExpression(exp_decay=params)
        return models.GaussDecayExpression(gauss_decay=params)
    if isinstance(node, hybrid.Fades):
        return models.Filter(
            must=[
                models.FieldCondition(key="kind", match=models.MatchAny(any=list(node.kinds))),
                models.FieldCondition(key="importance", range=models.Range(lt=node.below)),
                models.IsEmptyCondition(is_empty=models.PayloadField(key="last_recalled_ts")),
            ]
        )
    return models.FieldCondition(key="speaker_keys", match=models.MatchAny(any=list(node.names)))


def _within(where: models.Filter, start: float | None, end: float | None) -> models.Filter:
    if start is None and end is None:
        return where
    return models.Filter(must=[where, models.FieldCondition(key="created_ts", range=models.Range(gte=start, lt=end))])


def _sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=vector.indices, values=vector.values)


def _dense(vector: Any) -> ChunkVectors:
    chunks = vector.get(DENSE) if isinstance(vector, dict) else vector
    return [list(chunk) for chunk in chunks or []]


class QdrantServerMemoryStore:
    """One collection on a Qdrant server (or qdrant-client's local mode, which speaks the same API)."""

    def __init__(self, client: AsyncQdrantClient, collection: str, location: str, owns_client: bool = True) -> None:
        self._client = client
        self._collection = collection
        self._location = location
        self._owns_client = owns_client
        self._lexicon: Lexicon | None = None  # None for a collection built before the word index (reindex it)

    def sibling(self, collection: str) -> QdrantServerMemoryStore:
        """Another collection on the same server and connection (used as re-index staging)."""
        return QdrantServerMemoryStore(self._client, collection, self._location, owns_client=False)

    @property
    def collection(self) -> str:
        return self._collection

    async def drop(self) -> None:
        await self._client.delete_collection(self._collection)

    @property
    def location(self) -> str:
        return f"{self._location} (collection {self._collection!r})"

    async def info(self) -> StoreInfo | None:
        if not await self._client.collection_exists(self._collection):
            return None
        config = (await self._client.get_collection(self._collection)).config
        meta = config.metadata or {}
        vectors = config.params.vectors
        dim = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors else int(meta.get("dim", 0))
        sparse = config.params.sparse_vectors or {}
        lexical = meta.get("lexical") if all(name in sparse for name in SPARSE) else None
        return StoreInfo(model=str(meta.get("model", "unknown")), dim=int(dim), lexical=lexical)

    async def open(self, expected: StoreInfo) -> None:
        existing = await self.info()
        if existing is not None:
            check_store_info(existing, expected, self.location)
        else:
            await self._client.create_collection(
                self._collection,
                vectors_config={
                    DENSE: models.VectorParams(
                        size=expected.dim,
                        distance=models.Distance.COSINE,
                        multivector_config=models.MultiVectorConfig(comparator=models.MultiVectorComparator.MAX_SIM),
                    )
                },
                sparse_vectors_config={name: models.SparseVectorParams(modifier=models.Modifier.IDF) for name in SPARSE}
                if expected.lexical
                else None,
                metadata={"model": expected.model, "dim": expected.dim, "lexical": expected.lexical},
            )
            for field, schema in _INDEXES:
                await self._client.create_payload_index(self._collection, field, schema)
        language = language_of((existing or expected).lexical)
        self._lexicon = Lexicon(language) if language else None
        log.info("memory store open: qdrant server %s", self.location)

    async def close(self) -> None:
        if self._owns_client:
            await self._client.close()

    async def upsert(self, items: Sequence[tuple[Memory, ChunkVectors]]) -> None:
        if not items:
            return
        points = []
        for memory, chunks in items:
            vectors: dict[str, Any] = {DENSE: [list(c) for c in chunks]}
            if self._lexicon is not None:  # the same BM25 vectors as Qdrant Edge, computed from the text
                own, around = self._lexicon.memory_vectors(memory)
                vectors[LEXICAL], vectors[CONTEXT] = _sparse(own), _sparse(around)
            points.append(models.PointStruct(id=memory.id, vector=vectors, payload=memory.to_payload()))
        await self._client.upsert(self._collection, points=points, wait=True)

    async def update_payload(self, scope: str, memory_id: str, memory: Memory) -> bool:
        if await self.get(scope, memory_id) is None:
            return False
        payload = memory.with_changes(id=memory_id, scope=scope).to_payload()
        await self._client.overwrite_payload(self._collection, payload=payload, points=[memory_id], wait=True)
        return True

    async def _delete_where(self, where: models.Filter) -> int:
        doomed = (await self._client.count(self._collection, count_filter=where, exact=True)).count
        if doomed:
            await self._client.delete(self._collection, points_selector=models.FilterSelector(filter=where), wait=True)
        return doomed

    async def erase_deleted(self) -> None:
        """Nothing more to do from a client: a Qdrant server offers no "vacuum now" or WAL truncation call.

        Deleted points leave search and scroll at once (wait=True); the server drops their bytes from segments when
        its vacuum optimizer runs (by default once 20 % of a segment is deleted) and from its WAL when a 32 MB WAL
        segment rolls over. Snapshots taken before keep them. docs/privacy.md: forgetting.
        """

    async def delete(self, scope: str, memory_ids: Sequence[str]) -> int:
        if not memory_ids:
            return 0
        where = models.Filter(must=[models.HasIdCondition(has_id=list(memory_ids)), _scope_is(scope)])
        return await self._delete_where(where)

    async def delete_scope(self, scope: str) -> int:
        return await self._delete_where(models.Filter(must=[_scope_is(scope)]))

    async def search(self, vector: Vector, where: SearchFilter, limit: int) -> list[ScoredMemory]:
        response = await self._client.query_points(
            self._collection,
            query=[list(vector)],
            using=DENSE,
            query_filter=_filter_for(where),
            limit=limit,
            with_payload=True,
        )
        return [ScoredMemory(Memory.from_payload(p.id, p.payload or {}), p.score) for p in response.points]

    def _signal(self, signal: Signal, probe: Probe, corpus: models.Filter) -> dict[str, Any]:
        """The query, vector name, parameters and threshold of one signal, as query_points / Prefetch take them."""
        if signal == "dense":
            return {"query": [list(probe.vector or [])], "using": DENSE, "score_threshold": hybrid.MIN_DENSE}
        if self._lexicon is None:
            raise StoreMismatchError(
                f"The memory store at {self.location} has no word index: run `aiki memory reindex`."
            )
        # IDF from the memories of the people searched, not from everyone's (as on Qdrant Edge).
        params = models.SearchParams(idf=models.IdfCorpusParams(corpus=corpus))
        return {"query": _sparse(self._lexicon.query(probe.text)), "using": VECTOR_OF[signal], "params": params}

    def _usable(self, probe: Probe) -> list[Signal]:
        signals = [s for s in hybrid.signals_for(probe.mode) if s != "dense" or probe.vector is not None]
        if self._lexicon is None or not self._lexicon.query(probe.text).indices:
            signals = [s for s in signals if s == "dense"]
        return signals

    def _leg(self, leg: Leg, probe: Probe, where: models.Filter, corpus: models.Filter) -> models.Prefetch:
        """One signal's candidates, normalised by a one-list DBSF fusion so the formula can weigh them."""
        signal = self._signal(leg.signal, probe, corpus)
        if leg.start is not None or leg.end is not None:
            signal.pop("score_threshold", None)  # a question about a day wants that day's memories, however faint
        found = models.Prefetch(**signal, filter=_within(where, leg.start, leg.end), limit=hybrid.PREFETCH)
        return models.Prefetch(
            prefetch=[found], query=models.FusionQuery(fusion=models.Fusion.DBSF), limit=hybrid.PREFETCH
        )

    async def query(self, probe: Probe, where: SearchFilter, limit: int) -> list[ScoredMemory]:
        condition = _filter_for(where)
        corpus = models.Filter(must=[models.FieldCondition(key="scope", match=models.MatchAny(any=list(where.scopes)))])
        signals = self._usable(probe)
        if not signals:
            return []
        if probe.mode is not Mode.HYBRID:  # one signal, plain nearest (the benchmark's baselines)
            single = self._signal(signals[0], probe, corpus)
            single.pop("score_threshold", None)
            if "params" in single:
                single["search_params"] = single.pop("params")
            response = await self._client.query_points(
                self._collection, **single, query_filter=condition, limit=limit, with_payload=True
            )
            return self._scored(response.points)
        plan = hybrid.plan(probe, signals)
        if plan is None:
            return []
        response = await self._client.query_points(
            self._collection,
            prefetch=[self._leg(leg, probe, condition, corpus) for leg in plan.legs],
            query=models.FormulaQuery(formula=_expression(plan.formula), defaults=plan.defaults),
            query_filter=condition,
            limit=limit,
            with_payload=True,
        )
        return self._scored(response.points)

    @staticmethod
    def _scored(points: Sequence[Any]) -> list[ScoredMemory]:
        return [ScoredMemory(Memory.from_payload(p.id, p.payload or {}), p.score) for p in points]

    async def get_with_vector(self, scope: str, memory_id: str) -> tuple[Memory, ChunkVectors] | None:
        try:
            records = await self._client.retrieve(
                self._collection, ids=[memory_id], with_payload=True, with_vectors=[DENSE]
            )
        except (ValueError, TypeError):  # a malformed id is simply not found
            return None
        for record in records:
            if (record.payload or {}).get("scope") == scope:
                return Memory.from_payload(record.id, record.payload or {}), _dense(record.vector)
        return None

    async def linked(
        self, where: SearchFilter, keys: Sequence[str], turn_ids: Sequence[int], limit: int
    ) -> list[Memory]:
        if not keys and not turn_ids:
            return []
        records, _ = await self._client.scroll(
            self._collection,
            scroll_filter=_linked_filter(where, keys, turn_ids),
            limit=limit,
            with_payload=True,
            order_by=models.OrderBy(key="created_ts", direction=models.Direction.DESC),  # the newest, when bounded
        )
        return [Memory.from_payload(r.id, r.payload or {}) for r in records]

    async def get(self, scope: str, memory_id: str) -> Memory | None:
        found = await self.get_with_vector(scope, memory_id)
        return found[0] if found else None

    async def list_with_vectors(
        self, scope: str, limit: int = PAGE_SIZE, offset: str | None = None
    ) -> tuple[list[tuple[Memory, ChunkVectors]], str | None]:
        records, next_offset = await self._client.scroll(
            self._collection,
            scroll_filter=models.Filter(must=[_scope_is(scope)]),
            limit=limit,
            offset=offset,
            with_payload=True,
            with_vectors=[DENSE],
        )
        page = [(Memory.from_payload(r.id, r.payload or {}), _dense(r.vector)) for r in records]
        return page, str(next_offset) if next_offset is not None else None

    async def list_page(
        self, scope: str, limit: int = PAGE_SIZE, offset: str | None = None
    ) -> tuple[list[Memory], str | None]:
        page, next_offset = await self.list_with_vectors(scope, limit, offset)
        return [memory for memory, _ in page], next_offset

    async def count(self, scope: str) -> int:
        where = models.Filter(must=[_scope_is(scope)])
        return (await self._client.count(self._collection, count_filter=where, exact=True)).count

    async def speakers(self, scope: str) -> list[str]:
        where = models.Filter(must=[_scope_is(scope)])
        response = await self._client.facet(
            self._collection, key="speaker_keys", facet_filter=where, limit=SPEAKERS_LIMIT, exact=True
        )
        return sorted(str(hit.value) for hit in response.hits if hit.count > 0)

    async def scopes(self) -> list[str]:
        response = await self._client.facet(self._collection, key="scope", limit=1_000_000, exact=True)
        return sorted(str(hit.value) for hit in response.hits if hit.count > 0)
