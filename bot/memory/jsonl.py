"""AIKI's memory JSONL format: one memory per line, read as a stream so big files stay cheap.

A line looks like this (only `text` and `scope` are required; `scope` may come from `--scope`):

    {"id": "0b7c...", "scope": "123456789", "kind": "fact", "text": "Jovnna builds AIKI-HOME",
     "created_at": "2025-11-19T10:00:00Z", "importance": 0.7,
     "origin": {"source": "dm", "channel_id": 1, "message_id": 2}, "meta": {}}

Optional: `speaker` (who said it) and `context` (the words around it, e.g. the neighbouring messages; searched by
words, never shown).

Without an `id`, one is derived from scope + text, so importing the same file twice adds nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

from bot.clock import from_iso, to_iso
from bot.jsonlines import Bounded, json_objects
from bot.memory.bank import NewMemory
from bot.memory.embedder import MAX_TEXT_CHARS
from bot.memory.models import Memory, MemoryKind
from bot.places import Origin, OriginSource

_KNOWN_KEYS = {
    "id", "scope", "kind", "text", "created_at", "last_recalled_at", "importance",
    "origin", "superseded_by", "meta", "speaker", "context",
}  # fmt: skip


@dataclass
class ImportReport:
    imported: int = 0
    already: int = 0
    skipped: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=Bounded)

    def summary(self) -> str:
        lines = [
            f"imported {self.imported}, already there {self.already}, skipped {self.skipped} blank, "
            f"rejected {len(self.rejected)}"
        ]
        lines += [f"  line {number}: {reason}" for number, reason in self.rejected[:50]]
        if len(self.rejected) > 50:
            lines.append(f"  ... and {len(self.rejected) - 50} more")
        return "\n".join(lines)


def parse_line(data: Any, default_scope: str | None) -> NewMemory:
    """One decoded JSON value to a memory to add; ValueError says which field is wrong and why."""
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    unknown = set(data) - _KNOWN_KEYS
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("`text` is missing or empty")
    if len(text.strip()) > MAX_TEXT_CHARS:
        raise ValueError(f"`text` is {len(text.strip()):,} characters; a memory holds at most {MAX_TEXT_CHARS:,}")
    scope = data.get("scope", default_scope)
    if isinstance(scope, bool) or not isinstance(scope, str | int) or not str(scope).strip():
        raise ValueError("`scope` is missing (give it in the line or with --scope)")
    kind = data.get("kind", MemoryKind.NOTE.value)
    try:
        memory_kind = MemoryKind(kind)
    except (ValueError, TypeError):
        raise ValueError(f"unknown kind {kind!r}; use one of {', '.join(k.value for k in MemoryKind)}") from None
    importance = data.get("importance", 0.5)
    if isinstance(importance, bool) or not isinstance(importance, int | float) or not 0 <= importance <= 1:
        raise ValueError("`importance` must be a number from 0 to 1")
    created_at = _time(data, "created_at")
    memory_id = data.get("id")
    if memory_id is not None and (isinstance(memory_id, bool) or not isinstance(memory_id, str | int)):
        raise ValueError("`id` must be text or a whole number")
    superseded_by = data.get("superseded_by")
    if superseded_by is not None and not isinstance(superseded_by, str):
        raise ValueError("`superseded_by` must be a memory id (text)")
    scope = str(scope).strip()
    return NewMemory(
        scope=scope,
        text=text,
        kind=memory_kind,
        importance=float(importance),
        origin=_origin(data.get("origin")),
        created_at=created_at,
        id=str(memory_id) if memory_id not in (None, "") else f"{scope}\x1f{text.strip()}",
        meta=_object(data, "meta"),
        superseded_by=superseded_by or None,
        last_recalled_at=_time(data, "last_recalled_at"),
        speaker=_optional_text(data, "speaker"),
        context=_optional_text(data, "context"),
    )


def _time(data: dict[str, Any], key: str) -> datetime | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"`{key}` is not an ISO 8601 time")
    try:
        return from_iso(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"`{key}` is not an ISO 8601 time") from None


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"`{key}` must be a JSON object, not {type(value).__name__}")
    return value


def _origin(value: Any) -> Origin:
    if value is None:
        return Origin.from_payload(None)
    if not isinstance(value, dict):
        raise ValueError("`origin` must be a JSON object")
    try:
        return Origin.from_payload(value)
    except (ValueError, TypeError):
        sources = ", ".join(s.value for s in OriginSource)
        raise ValueError(f"`origin.source` {value.get('source')!r} is not one of {sources}") from None


def _optional_text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"`{key}` must be text")
    return value or None


def read_memories(handle: BinaryIO, default_scope: str | None, report: ImportReport) -> Iterator[tuple[int, NewMemory]]:
    """Yield (line number, memory) for every good line; bad lines go into the report and the rest go on."""

    def blank() -> None:
        report.skipped += 1

    for number, data in json_objects(handle, report.rejected, blank):
        try:
            yield number, parse_line(data, default_scope)
        except ValueError as exc:
            report.rejected.append((number, str(exc)))


def memory_to_line(memory: Memory) -> str:
    record = {
        "id": memory.id,
        "scope": memory.scope,
        "kind": memory.kind.value,
        "text": memory.text,
        "created_at": to_iso(memory.created_at),
        "last_recalled_at": to_iso(memory.last_recalled_at),
        "importance": memory.importance,
        "origin": memory.origin.to_payload(),
        "superseded_by": memory.superseded_by,
        "meta": memory.meta,
    }
    if memory.speaker:
        record["speaker"] = memory.speaker
    if memory.context:
        record["context"] = memory.context
    return json.dumps(record, ensure_ascii=False)
