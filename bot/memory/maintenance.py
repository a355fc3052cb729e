"""Long jobs over the whole memory store: import, export, migrate between backends, re-embed."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm import tqdm

if TYPE_CHECKING:
    from bot.memory.server import QdrantServerMemoryStore

from bot.errors import AikiError
from bot.languages import DEFAULT_LANGUAGE
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import Embedder
from bot.memory.jsonl import ImportReport, memory_to_line, read_memories
from bot.memory.meaning import embed_memories
from bot.memory.models import ChunkVectors, Memory, StoreInfo, lexicon_id, normalise_id
from bot.memory.port import MemoryStore
from bot.memory.swap import finish_interrupted_swap, staging_of, swap_in

log = logging.getLogger(__name__)

IMPORT_BATCH = 256
COPY_PAGE = 512

Reembed = Callable[[list[Memory]], Awaitable[list[ChunkVectors]]]


async def import_jsonl(bank: MemoryBank, path: Path, default_scope: str | None, progress: bool) -> ImportReport:
    """Stream a JSONL file into memory in batches; bad lines are reported, good ones imported."""
    report = ImportReport()
    batch: list[tuple[int, NewMemory]] = []

    async def flush() -> None:
        fresh: list[tuple[int, NewMemory]] = []
        ids: set[str] = set()
        for number, item in batch:
            if item.id not in ids and not await _stored(bank, item):
                fresh.append((number, item))
            ids.add(item.id or "")
        report.already += len(batch) - len(fresh)
        batch.clear()
        if not fresh:
            return
        try:
            report.imported += len(await bank.add([item for _, item in fresh]))
        except (ValueError, AikiError) as exc:  # one bad item in a batch: retry one by one to keep the good ones
            log.debug("batch rejected (%s); retrying line by line", type(exc).__name__)
            for number, item in fresh:
                try:
                    await bank.add([item])
                    report.imported += 1
                except (ValueError, AikiError) as line_exc:
                    report.rejected.append((number, str(line_exc)))

    with (
        path.open("rb") as handle,
        tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc="import", disable=not progress) as bar,
    ):
        for number, item in read_memories(handle, default_scope, report):
            batch.append((number, item))
            if len(batch) >= IMPORT_BATCH:
                await flush()
                bar.n = handle.tell()
                bar.refresh()
        if batch:
            await flush()
        bar.n = int(bar.total or 0)
        bar.refresh()
    report.rejected.sort()
    return report


def import_space_needed(file_size: int) -> int:
    """Disk an import may take: vectors (384-1024 floats), word index and payload outweigh the JSON a few times."""
    return 4 * file_size


async def _stored(bank: MemoryBank, item: NewMemory) -> bool:
    """Already in the store under the same id (a line imported before): not embedded or counted again."""
    return item.id is not None and await bank.get(item.scope, normalise_id(item.id)) is not None


async def export_jsonl(store: MemoryStore, path: Path, progress: bool) -> int:
    """Write every memory of every scope as JSONL (vectors are not exported: import re-embeds)."""
    written = 0
    temporary = path.with_name(path.name + ".partial")
    try:
        with (
            temporary.open("w", encoding="utf-8") as out,
            tqdm(unit=" memories", desc="export", disable=not progress) as bar,
        ):
            for scope in await store.scopes():
                offset: str | None = None
                while True:
                    page, offset = await store.list_page(scope, COPY_PAGE, offset)
                    for memory in page:
                        out.write(memory_to_line(memory) + "\n")
                    written += len(page)
                    bar.update(len(page))
                    if offset is None:
                        break
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)  # a half-written copy of every memory is not left lying around
        raise
    return written


async def copy_all(
    source: MemoryStore, target: MemoryStore, reembed: Reembed | None, progress: bool, desc: str
) -> dict[str, int]:
    """Copy every scope page by page, re-embedding when asked; returns the source count per scope."""
    counts: dict[str, int] = {}
    scopes = await source.scopes()
    total = 0
    for scope in scopes:
        counts[scope] = await source.count(scope)
        total += counts[scope]
    with tqdm(total=total, unit=" memories", desc=desc, disable=not progress) as bar:
        for scope in scopes:
            offset: str | None = None
            while True:
                page, offset = await source.list_with_vectors(scope, COPY_PAGE, offset)
                if reembed is not None and page:
                    vectors = await reembed([memory for memory, _ in page])
                    page = [(memory, vector) for (memory, _), vector in zip(page, vectors, strict=True)]
                await target.upsert(page)
                bar.update(len(page))
                if offset is None:
                    break
    return counts


async def verify_counts(target: MemoryStore, expected: dict[str, int]) -> None:
    for scope, count in expected.items():
        found = await target.count(scope)
        if found != count:
            raise AikiError(f"copy incomplete for scope {scope}: {found} of {count} memories")


async def migrate(source: MemoryStore, target: MemoryStore, progress: bool) -> dict[str, int]:
    """Embedded store -> server: same vectors, same ids; the source is left as it was."""
    info = await source.info()
    if info is None:
        raise AikiError(f"there is no memory store at {source.location} to migrate")
    await source.open(info)
    try:
        await target.open(info)
        counts = await copy_all(source, target, None, progress, "migrate")
        await verify_counts(target, counts)
    finally:
        await source.close()
        await target.close()
    return counts


def _target(embedder: Embedder, language: str) -> StoreInfo:
    return StoreInfo(model=embedder.model_name, dim=embedder.dim, lexical=lexicon_id(language))


def _reembedding(info: StoreInfo, target: StoreInfo, embedder: Embedder, always: bool) -> Reembed | None:
    """Re-embed when the model changed or when asked (`always`: vectors made by an older AIKI, which embedded the
    speaker's label and one window per memory, bot/memory/meaning.py); a new word index alone reuses the stored
    dense vectors (the store computes BM25 vectors from the text on every upsert)."""
    same_model = info.model == target.model and info.dim == target.dim
    return partial(embed_memories, embedder) if always or not same_model else None


async def reindex_edge(
    path: Path, embedder: Embedder, progress: bool, language: str = DEFAULT_LANGUAGE, reembed: bool = False
) -> dict[str, int]:
    """Rebuild into a staging shard beside the live one (new model, word index), then swap the directories.

    Interrupted before the swap, the live store is untouched and the next run starts the staging
    copy again; interrupted during the swap, `finish_interrupted_swap` completes it at the next start.
    """
    staging_path = staging_of(path)
    finish_interrupted_swap(path)
    shutil.rmtree(staging_path, ignore_errors=True)
    source = EdgeMemoryStore(path)
    info = await source.info()
    if info is None:
        raise AikiError(f"there is no memory store at {path} to re-index")
    staging = EdgeMemoryStore(staging_path)
    target = _target(embedder, language)
    await source.open(info)
    try:
        await staging.open(target)
        counts = await copy_all(source, staging, _reembedding(info, target, embedder, reembed), progress, "reindex")
        await verify_counts(staging, counts)
    finally:
        await source.close()
        await staging.close()
    swap_in(path, staging_path)
    log.info("memory store at %s re-indexed", path)
    return counts


async def reindex_server(
    live: QdrantServerMemoryStore,
    embedder: Embedder,
    progress: bool,
    language: str = DEFAULT_LANGUAGE,
    reembed: bool = False,
) -> dict[str, int]:
    """Rebuild into a staging collection (new model, word index), then rebuild the live collection from it.

    The staging collection is only dropped once the live one holds every memory again, so an
    interruption at any point leaves a complete copy; running the command again resumes from it.
    """
    staging = live.sibling(live.collection + "__reindex")
    new_info = _target(embedder, language)
    info = await live.info()
    staged = await staging.info()
    if staged is not None and info in (None, new_info):
        # A previous run dropped the live collection after a complete staging copy: resume the swap.
        await staging.open(new_info)
        counts = {scope: await staging.count(scope) for scope in await staging.scopes()}
        if info is not None:
            await live.drop()
    elif info is None:
        raise AikiError(f"there is no memory store at {live.location} to re-index")
    elif info == new_info and not reembed:
        await live.open(info)
        return {scope: await live.count(scope) for scope in await live.scopes()}
    else:
        if staged is not None:  # a staging copy that never finished
            await staging.drop()
        await live.open(info)
        await staging.open(new_info)
        counts = await copy_all(live, staging, _reembedding(info, new_info, embedder, reembed), progress, "reindex")
        await verify_counts(staging, counts)
        await live.drop()
    await live.open(new_info)
    await copy_all(staging, live, None, progress, "swap")
    await verify_counts(live, counts)
    await staging.drop()
    return counts
