"""Importing conversations into AIKI's history: a ChatGPT export and session logs, streamed, with a report.

Conversations go to SQLite (`turns`, status 'imported', in the owner's scope); importing the same source twice
adds nothing, because every turn carries the source's message id (unique). ChatGPT's saved memories are
returned for `bot.training.memories` to store as facts.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any, NoReturn
from zoneinfo import ZoneInfo

import ijson
from tqdm import tqdm

from bot.errors import InvalidInputError
from bot.jsonlines import Bounded
from bot.state.store import StateStore
from bot.state.training import ImportedConversation, ImportedTurn
from bot.training import chatgpt, sessions
from bot.training.jsonstream import GuardedReader, Refused, TooLarge
from bot.training.report import DataReport
from bot.training.writer import HistoryWriter, owner_scope

log = logging.getLogger(__name__)

__all__ = ["Source", "chatgpt_sources", "import_chatgpt", "import_sessions", "owner_scope"]


# A zip member inflating to more than this, or more than MAX_ZIP_RATIO times its compressed size, is refused
# before it is opened (ChatGPT's JSON compresses 5-10 times; a zip bomb 1,000 times).
MAX_ZIP_MEMBER = 8 * 1024**3
MAX_ZIP_RATIO = 100


@dataclass(frozen=True)
class Source:
    """One file to read: a path, or a member of a zip archive (`limit`: the bytes it may inflate to)."""

    label: str
    size: int
    open: Callable[[], AbstractContextManager[IO[bytes]]]
    limit: int | None = None


def _bar(total: int, desc: str, progress: bool) -> tqdm[NoReturn]:
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
            found += [Source(str(f), f.stat().st_size, _opener(f)) for f in files]
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                members = sorted(
                    (i for i in archive.infolist() if Path(i.filename).name.startswith("conversations")),
                    key=lambda i: i.filename,
                )
                members = [i for i in members if i.filename.endswith(".json")]
            if not members:
                raise InvalidInputError(f"{path} has no conversations*.json inside")
            for member in members:
                _check_member(path, member)
            found += [
                Source(f"{path}:{i.filename}", i.file_size, partial(_ZipMember, path, i.filename), i.file_size)
                for i in members
            ]
        elif path.is_file():
            found.append(Source(str(path), path.stat().st_size, _opener(path)))
        else:
            raise InvalidInputError(f"No such file: {path}")
    return found


def _check_member(path: Path, member: zipfile.ZipInfo) -> None:
    """Refuse a member that would inflate past the limits, before a byte of it is inflated."""
    ratio = member.file_size / max(member.compress_size, 1)
    if member.file_size > MAX_ZIP_MEMBER or ratio > MAX_ZIP_RATIO:
        raise InvalidInputError(
            f"{path}:{member.filename} would inflate from {member.compress_size:,} to {member.file_size:,} bytes "
            f"({ratio:,.0f} times; the limit is {MAX_ZIP_RATIO} times and {MAX_ZIP_MEMBER // 1024**3} GB): "
            "that is not a ChatGPT export. Unpack the export yourself and give its conversations.json."
        )


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


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
    writer = HistoryWriter(state, report)
    memories = chatgpt.SavedMemories()
    seen = 0
    try:
        with _bar(sum(s.size for s in sources), "chatgpt", progress) as bar:
            for source in sources:
                done = int(bar.n)
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
    writer: HistoryWriter,
    memories: chatgpt.SavedMemories,
    bar: tqdm[NoReturn],
    start: int,
) -> int:
    report = writer.report
    index = 0
    reader = GuardedReader(handle, source.limit)
    try:
        for index, data in enumerate(chatgpt.read_export(handle, reader), start=1):  # noqa: B007 (used after)
            where = f"{source.label}, conversation {index}"
            if isinstance(data, Refused):
                report.reject(where, f"{data.reason}; skipped without reading it into memory")
                continue
            if not isinstance(data, dict):  # cheap: a file of a billion numbers costs no coroutine each
                report.reject(where, "not a conversation (no `mapping`)")
                continue
            await _one_conversation(data, where, scope, writer, memories)
            if index % 16 == 0:
                bar.n = start + reader.tell()
                bar.refresh()
    except ijson.JSONError as exc:
        report.reject(
            f"{source.label}, after conversation {index}",
            f"not valid JSON near byte {reader.tell():,} ({str(exc).splitlines()[0][:120]}); the rest of this file "
            "was not read",
        )
    except TooLarge as exc:
        report.reject(f"{source.label}, after conversation {index}", f"{exc}; the rest of this file was not read")
    except InvalidInputError as exc:
        report.reject(source.label, str(exc))
    except zipfile.BadZipFile as exc:
        report.reject(source.label, f"the zip archive is damaged ({exc}); the rest of this file was not read")
    return index


# A conversation the export holds in a shape nobody foresaw is reported and skipped, never the end of the import.
_SHAPE_ERRORS = (chatgpt.BrokenConversation, TypeError, ValueError, AttributeError, KeyError, OverflowError)


async def _one_conversation(
    data: Any, where: str, scope: str, writer: HistoryWriter, memories: chatgpt.SavedMemories
) -> None:
    report = writer.report
    conversation_id = data.get("conversation_id") or data.get("id") if isinstance(data, dict) else None
    title = data.get("title") if isinstance(data, dict) else None
    label = f"{where}{f' (id {conversation_id})' if isinstance(conversation_id, str) else ''}"
    try:
        parsed = chatgpt.parse_conversation(data)
    except _SHAPE_ERRORS as exc:
        reason = str(exc) if isinstance(exc, chatgpt.BrokenConversation) else f"unexpected shape ({type(exc).__name__})"
        report.reject(f"{label}{f' ({title!r})' if isinstance(title, str) and title else ''}", reason)
        return
    report.notes += [f"{label} ({parsed.title!r}): {note}" for note in parsed.notes]
    for reason, count in parsed.skipped.items():
        report.skip(reason, count)
    memories.add(parsed)
    if not parsed.messages:
        report.skip("conversations with no messages")
        return
    await writer.add(*_conversation_rows(parsed, scope))
    await writer.breathe()


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


# -- session logs ----------------------------------------------------------------


async def import_sessions(
    state: StateStore, files: list[Path], scope: str, speakers: sessions.Speakers, zone: ZoneInfo, progress: bool
) -> DataReport:
    """Every session log file into history, one transaction per batch; bad lines are reported by number."""
    report = DataReport()
    writer = HistoryWriter(state, report)
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
    writer: HistoryWriter,
    registered: dict[str, int],
) -> None:
    errors: list[tuple[int, str]] = Bounded()
    last: dict[str, datetime] = {}
    default = sessions.file_session(path)
    read = 0
    with path.open("rb") as handle:
        for item in sessions.read_jsonl(handle, default, speakers, zone, errors):
            read += 1
            if isinstance(item, str):
                writer.report.skip("system or tool lines")
                continue
            at = item.created_at or (last.get(item.session) or mtime)
            last[item.session] = at
            await writer.add(*_session_rows([(item, at)], scope, registered))
    for number, reason in errors:
        writer.report.reject(f"{path.name} line {number}", reason)
    if not read and not errors:
        writer.report.reject(path.name, "no messages found (an empty file?)")


async def _markdown_session_file(
    path: Path,
    scope: str,
    speakers: sessions.Speakers,
    zone: ZoneInfo,
    mtime: datetime,
    writer: HistoryWriter,
    registered: dict[str, int],
) -> None:
    report = writer.report
    if path.stat().st_size > sessions.MAX_MARKDOWN_BYTES:
        limit = sessions.MAX_MARKDOWN_BYTES // 2**20
        report.reject(path.name, f"larger than {limit} MB; split it into smaller files (one session a file)")
        return
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        report.reject(path.name, f"not valid UTF-8 (byte {exc.start})")
        return
    try:
        read = sessions.read_markdown(text, path.name, speakers, zone, sessions.file_session(path))
    except sessions.LineError as exc:
        report.reject(path.name, str(exc))
        return
    for number, reason in read.problems:
        report.reject(f"{path.name} line {number}", reason)
    if not read.messages:
        report.reject(path.name, "no messages found: no line starts with a known speaker (see docs/training.md)")
        return
    await writer.add(*_session_rows(sessions.fill_times(read.messages, mtime), scope, registered))


def _session_rows(
    timed: list[tuple[sessions.SessionMessage, datetime]], scope: str, registered: dict[str, int]
) -> tuple[ImportedConversation, list[ImportedTurn]]:
    first = timed[0][0].session
    conversation_id = f"{sessions.ORIGIN}:{first}"
    title = sessions.session_title(first)[:200]
    conversation = ImportedConversation(conversation_id, sessions.ORIGIN, scope, title, timed[0][1])
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
