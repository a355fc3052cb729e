"""Importing into AIKI's conversation history and memory: streamed, batched, idempotent, with a report.

Conversations go to SQLite (`turns`, status 'imported', in the owner's scope); facts (ChatGPT's saved memories,
another Qdrant's memories) go through the memory bank, embedded in batches. Importing the same source twice
adds nothing: turns carry the source's message id (unique), memories a deterministic point id.
"""

from __future__ import annotations

import asyncio
import logging
import zipfile
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import ijson
from tqdm import tqdm

from bot.errors import ConfigError, InvalidInputError
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.models import MemoryKind, Origin, OriginSource, normalise_id
from bot.state.store import StateStore
from bot.state.training import ImportedConversation, ImportedTurn
from bot.training import chatgpt, sessions
from bot.training.qdrant_source import FieldMap, Record, read_dump, scroll, to_memory
from bot.training.report import DataReport

log = logging.getLogger(__name__)

TURN_BATCH = 2_000  # turns written per transaction
MEMORY_BATCH = 64  # memories embedded per call
ALREADY = "already imported"


@dataclass(frozen=True)
class Source:
    """One file to read: a path, or a member of a zip archive."""

    label: str
    size: int
    open: Callable[[], AbstractContextManager[IO[bytes]]]


class _Writer:
    """Collects imported turns and writes them a batch (one transaction) at a time.

    A batch is written while the next one is being parsed (SQLite works in aiosqlite's thread), so at most
    two batches are in memory; `flush()` waits for both.
    """

    def __init__(self, state: StateStore, report: DataReport) -> None:
        self.state = state
        self.report = report
        self.conversations: dict[str, ImportedConversation] = {}
        self.turns: list[ImportedTurn] = []
        self._writing: asyncio.Task[None] | None = None

    async def add(self, conversation: ImportedConversation, turns: list[ImportedTurn]) -> None:
        self.conversations.setdefault(conversation.id, conversation)  # the first message dates a conversation
        self.turns += turns
        if len(self.turns) >= TURN_BATCH:
            await self._send()

    async def _send(self) -> None:
        await self._wait()
        if self.conversations or self.turns:
            batch = (list(self.conversations.values()), self.turns)
            self.conversations, self.turns = {}, []
            self._writing = asyncio.create_task(self._write(*batch))
        await self.breathe()

    @staticmethod
    async def breathe() -> None:
        """Let the batch being written move on to its next statement while parsing goes on."""
        await asyncio.sleep(0)

    async def _write(self, conversations: list[ImportedConversation], turns: list[ImportedTurn]) -> None:
        new = await self.state.training.add_imported(conversations, turns)
        self.report.imported += new
        self.report.skip(ALREADY, len(turns) - new)

    async def _wait(self) -> None:
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    async def flush(self) -> None:
        await self._send()
        await self._wait()


def _bar(total: int, desc: str, progress: bool) -> tqdm:
    return tqdm(total=total, unit="B", unit_scale=True, desc=desc, disable=not progress)


# -- ChatGPT ---------------------------------------------------------------------


def chatgpt_sources(paths: list[Path]) -> list[Source]:
    """conversations.json, its split parts, a folder holding them, or the export's .zip as it was downloaded."""
    found: list[Source] = []
    for path in paths:
        if path.is_dir():
            files = sorted(path.glob("conversations*.json"))
            if not files:
                raise InvalidInputError(f"{path} holds no conversations*.json")
            found += [Source(str(f), f.stat().st_size, lambda f=f: f.open("rb")) for f in files]
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                members = sorted(
                    (i for i in archive.infolist() if Path(i.filename).name.startswith("conversations")),
                    key=lambda i: i.filename,
                )
                members = [i for i in members if i.filename.endswith(".json")]
            if not members:
                raise InvalidInputError(f"{path} has no conversations*.json inside")
            found += [
                Source(f"{path}:{i.filename}", i.file_size, lambda p=path, n=i.filename: _ZipMember(p, n))
                for i in members
            ]
        elif path.is_file():
            found.append(Source(str(path), path.stat().st_size, lambda p=path: p.open("rb")))
        else:
            raise InvalidInputError(f"No such file: {path}")
    return found


@dataclass
class _ZipMember(AbstractContextManager[IO[bytes]]):
    path: Path
    name: str

    def __enter__(self) -> IO[bytes]:
        self._stack = ExitStack()
        archive = self._stack.enter_context(zipfile.ZipFile(self.path))
        return self._stack.enter_context(archive.open(self.name))

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


async def import_chatgpt(
    state: StateStore, sources: list[Source], scope: str, progress: bool
) -> tuple[DataReport, list[chatgpt.SavedMemory]]:
    """Every conversation's kept branch into history; returns the report and ChatGPT's saved memories."""
    report = DataReport()
    writer = _Writer(state, report)
    memories = chatgpt.SavedMemories()
    seen = 0
    try:
        with _bar(sum(s.size for s in sources), "chatgpt", progress) as bar:
            for source in sources:
                done = bar.n
                with source.open() as handle:
                    seen += await _read_chatgpt_file(source, handle, scope, writer, memories, bar, done)
                bar.n = done + source.size
                bar.refresh()
    finally:
        await writer.flush()  # what was read is kept, even when something stops the import
    if seen == 0 and not report.rejected:
        raise InvalidInputError("the export holds no conversations (an empty list): is it the right file?")
    report.extra.append(f"{seen:,} conversations read")
    return report, memories.result()


async def _read_chatgpt_file(
    source: Source,
    handle: IO[bytes],
    scope: str,
    writer: _Writer,
    memories: chatgpt.SavedMemories,
    bar: tqdm,
    start: int,
) -> int:
    report = writer.report
    index = 0
    try:
        for index, data in enumerate(chatgpt.read_export(handle), start=1):  # noqa: B007 (used after the loop)
            where = f"{source.label}, conversation {index}"
            try:
                parsed = chatgpt.parse_conversation(data)
            except chatgpt.BrokenConversation as exc:
                title = data.get("title") if isinstance(data, dict) else None
                report.reject(f"{where}{f' ({title!r})' if title else ''}", str(exc))
                continue
            report.notes += [f"{where} ({parsed.title!r}): {note}" for note in parsed.notes]
            for reason, count in parsed.skipped.items():
                report.skip(reason, count)
            memories.add(parsed)
            if not parsed.messages:
                report.skip("conversations with no messages")
                continue
            await writer.add(*_conversation_rows(parsed, scope))
            await writer.breathe()
            if index % 16 == 0:
                bar.n = start + handle.tell()
                bar.refresh()
    except ijson.JSONError as exc:
        report.reject(
            f"{source.label}, after conversation {index}",
            f"not valid JSON near byte {handle.tell():,} ({str(exc).splitlines()[0][:120]}); the rest of this file "
            "was not read",
        )
    except InvalidInputError as exc:
        report.reject(source.label, str(exc))
    return index


def _conversation_rows(
    parsed: chatgpt.ParsedConversation, scope: str
) -> tuple[ImportedConversation, list[ImportedTurn]]:
    conversation_id = f"{chatgpt.ORIGIN}:{parsed.id}"
    conversation = ImportedConversation(conversation_id, chatgpt.ORIGIN, scope, parsed.title[:200], parsed.created_at)
    turns = [
        ImportedTurn(conversation_id, position, m.external_id, m.role, m.content, m.created_at)
        for position, m in enumerate(parsed.messages)
    ]
    return conversation, turns


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
    return await _add_new(bank, new, None)


async def _add_new(bank: MemoryBank, items: list[NewMemory], bar: tqdm | None) -> tuple[int, int]:
    """Add the memories not stored yet, in embedding batches; returns (added, already there)."""
    fresh = []
    for item in items:
        if await bank.store.get(item.scope, normalise_id(item.id or "")) is None:
            fresh.append(item)
    for start in range(0, len(fresh), MEMORY_BATCH):
        await bank.add(fresh[start : start + MEMORY_BATCH])
        if bar is not None:
            bar.update(len(fresh[start : start + MEMORY_BATCH]))
    if bar is not None:
        bar.update(len(items) - len(fresh))
    return len(fresh), len(items) - len(fresh)


# -- session logs ----------------------------------------------------------------


async def import_sessions(
    state: StateStore, files: list[Path], scope: str, speakers: sessions.Speakers, zone: ZoneInfo, progress: bool
) -> DataReport:
    """Every session log file into history, one transaction per batch; bad lines are reported by number."""
    report = DataReport()
    writer = _Writer(state, report)
    registered: dict[str, int] = {}  # conversation id -> next position
    try:
        with _bar(sum(f.stat().st_size for f in files), "sessions", progress) as bar:
            for path in files:
                mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                if path.suffix.lower() == ".jsonl":
                    await _jsonl_session_file(path, scope, speakers, zone, mtime, writer, registered)
                else:
                    await _markdown_session_file(path, scope, speakers, zone, mtime, writer, registered)
                bar.update(path.stat().st_size)
    finally:
        await writer.flush()
    report.extra.append(f"{len(registered):,} sessions read from {len(files):,} files")
    return report


async def _jsonl_session_file(
    path: Path,
    scope: str,
    speakers: sessions.Speakers,
    zone: ZoneInfo,
    mtime: datetime,
    writer: _Writer,
    registered: dict[str, int],
) -> None:
    errors: list[tuple[int, str]] = []
    last: dict[str, datetime] = {}
    with path.open("rb") as handle:
        for item in sessions.read_jsonl(handle, path.stem, speakers, zone, errors):
            if isinstance(item, str):
                writer.report.skip("system or tool lines")
                continue
            at = item.created_at or (last.get(item.session) or mtime)
            last[item.session] = at
            await writer.add(*_session_rows([(item, at)], scope, registered))
    for number, reason in errors:
        writer.report.reject(f"{path.name} line {number}", reason)


async def _markdown_session_file(
    path: Path,
    scope: str,
    speakers: sessions.Speakers,
    zone: ZoneInfo,
    mtime: datetime,
    writer: _Writer,
    registered: dict[str, int],
) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        writer.report.reject(path.name, f"not valid UTF-8 (byte {exc.start})")
        return
    messages = sessions.read_markdown(text, path.name, speakers, zone)
    if not messages:
        writer.report.reject(path.name, "no messages found: no line starts with a known speaker (see README)")
        return
    await writer.add(*_session_rows(sessions.fill_times(messages, mtime), scope, registered))


def _session_rows(
    timed: list[tuple[sessions.SessionMessage, datetime]], scope: str, registered: dict[str, int]
) -> tuple[ImportedConversation, list[ImportedTurn]]:
    first = timed[0][0].session
    conversation_id = f"{sessions.ORIGIN}:{first}"
    conversation = ImportedConversation(conversation_id, sessions.ORIGIN, scope, first[:200], timed[0][1])
    turns = []
    for message, at in timed:
        position = registered.get(conversation_id, 0)
        registered[conversation_id] = position + 1
        key = message.source_id if message.source_id is not None else str(position)
        turns.append(
            ImportedTurn(
                conversation_id,
                position,
                f"{conversation_id}:{key}",
                message.role,
                message.content,
                at,
                marked_bad=message.bad and message.role == "assistant",
            )
        )
    return conversation, turns


# -- another Qdrant collection ---------------------------------------------------


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
            added, already = await _add_new(bank, batch, bar)
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
    errors: list[tuple[int, str]] = []
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


def owner_scope(explicit: str | None, owner_ids: list[int]) -> str:
    """Imported history and memories belong to the owner: `--scope`, else the first of AIKI_OWNER_IDS."""
    if explicit:
        return explicit.strip()
    if owner_ids:
        return str(owner_ids[0])
    raise ConfigError("Whose history is this? Set AIKI_OWNER_IDS (your Discord user id) or give --scope.")
