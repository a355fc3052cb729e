"""Memories into AIKI's memory bank: ChatGPT's saved memories as facts, and another Qdrant collection's memories.

Only memories not stored yet are embedded (a re-import costs a lookup per memory, not an embedding), in
batches; the point ids are deterministic, so importing twice adds nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

from tqdm import tqdm

from bot.errors import InvalidInputError
from bot.jsonlines import Bounded
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.models import MemoryKind, normalise_id
from bot.places import Origin, OriginSource
from bot.training import chatgpt
from bot.training.qdrant_source import FieldMap, Record, read_dump, scroll, to_memory
from bot.training.report import DataReport
from bot.training.writer import ALREADY

MEMORY_BATCH = 64  # memories embedded per call


async def add_saved_memories(bank: MemoryBank, saved: list[chatgpt.SavedMemory], scope: str) -> tuple[int, int]:
    """ChatGPT's saved memories as facts in the owner's scope; returns (added, already there)."""
    new = [
        NewMemory(
            scope=scope,
            text=m.text,
            kind=MemoryKind.FACT,
            importance=0.6,
            origin=Origin(OriginSource.IMPORT),
            created_at=m.created_at,
            id=f"chatgpt-memory:{' '.join(m.text.lower().split())}",
            meta={"imported_from": "chatgpt-memory"},
        )
        for m in saved
    ]
    return await add_new(bank, new, None)


async def add_new(bank: MemoryBank, items: list[NewMemory], bar: tqdm[NoReturn] | None) -> tuple[int, int]:
    """Add the memories not stored yet, in embedding batches; returns (added, already there)."""
    fresh = []
    for item in items:
        if await bank.get(item.scope, normalise_id(item.id or "")) is None:
            fresh.append(item)
    for start in range(0, len(fresh), MEMORY_BATCH):
        await bank.add(fresh[start : start + MEMORY_BATCH])
        if bar is not None:
            bar.update(len(fresh[start : start + MEMORY_BATCH]))
    if bar is not None:
        bar.update(len(items) - len(fresh))
    return len(fresh), len(items) - len(fresh)


async def import_qdrant(
    bank: MemoryBank,
    pages: AsyncIterator[list[Record]],
    total: int | None,
    scope: str,
    collection: str,
    fields: FieldMap,
    zone: ZoneInfo,
    progress: bool,
) -> DataReport:
    """Memories from another collection (a dump or the server), mapped with `fields`, embedded in batches."""
    report = DataReport(unit="memories")
    unmapped: dict[str, int] = {}
    with tqdm(total=total, unit=" memories", desc="memories", disable=not progress) as bar:
        async for page in pages:
            batch: list[NewMemory] = []
            for where, point_id, payload in page:
                try:
                    memory, old_kind = to_memory(point_id, payload, scope, collection, fields, zone)
                except ValueError as exc:
                    report.reject(where, str(exc))
                    bar.update(1)
                    continue
                if old_kind is not None:
                    unmapped[old_kind] = unmapped.get(old_kind, 0) + 1
                batch.append(memory)
            added, already = await add_new(bank, batch, bar)
            report.imported += added
            report.skip(ALREADY, already)
    for old_kind, count in sorted(unmapped.items()):
        report.notes.append(
            f"kind {old_kind!r} ({count:,} memories) became 'note'; map it with --kind-map {old_kind}=fact (or another)"
        )
    return report


async def import_qdrant_dump(
    bank: MemoryBank, path: Path, scope: str, collection: str, fields: FieldMap, zone: ZoneInfo, progress: bool
) -> DataReport:
    """Memories from a JSONL dump of another collection; bad lines are reported by number, the rest imported."""
    errors: list[tuple[int, str]] = Bounded()
    with path.open("rb") as handle:
        pages = _pages(read_dump(handle, errors))
        report = await import_qdrant(bank, pages, None, scope, collection, fields, zone, progress)
    for number, reason in errors:
        report.reject(f"line {number}", reason)
    report.rejected.sort(key=lambda item: int(item[0].split()[-1]) if item[0].startswith("line ") else 0)
    return report


async def import_qdrant_collection(
    bank: MemoryBank, client: Any, collection: str, scope: str, fields: FieldMap, zone: ZoneInfo, progress: bool
) -> DataReport:
    """Memories straight from a collection on a Qdrant server (or qdrant-client's local mode), read-only."""
    if not await client.collection_exists(collection):
        names = sorted(c.name for c in (await client.get_collections()).collections)
        raise InvalidInputError(f"There is no collection {collection!r} there; it has: {', '.join(names) or 'none'}")
    total = (await client.count(collection, exact=True)).count
    return await import_qdrant(bank, scroll(client, collection), total, scope, collection, fields, zone, progress)


async def _pages(records: Iterator[Record], page: int = 256) -> AsyncIterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= page:
            yield batch
            batch = []
    if batch:
        yield batch
