"""Memories from another Qdrant collection (the owner's old AIKI): a JSONL dump or a live collection, mapped into
AIKI's memory model with a field mapping, so payloads in any shape (`content`, `type`, `timestamp`...) fit.

A dump line is `{"id": ..., "payload": {...}}` (what a Qdrant scroll returns; a `vector` is ignored, AIKI
re-embeds) or a flat object with the fields at the top. Field names may be dotted paths (`meta.created`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from bot.jsonlines import json_objects
from bot.memory.bank import NewMemory
from bot.memory.embedder import MAX_TEXT_CHARS
from bot.memory.models import MemoryKind
from bot.places import Origin, OriginSource
from bot.training.sessions import parse_when

TEXT_FIELDS = ("text", "content", "memory", "document", "page_content")
KIND_FIELDS = ("kind", "type", "category")
TIME_FIELDS = ("created_at", "timestamp", "time", "date", "created")
IMPORTANCE_FIELDS = ("importance", "salience", "weight")
_IGNORED_TOP = {"id", "vector", "vectors", "score", "version", "shard_key", "order_value"}
# Common names in other memory layers for AIKI's kinds; anything else becomes a note (and is reported).
_KIND_SYNONYMS = {
    "preference": MemoryKind.FACT,
    "personal": MemoryKind.FACT,
    "person": MemoryKind.FACT,
    "user_fact": MemoryKind.FACT,
    "profile": MemoryKind.FACT,
    "event": MemoryKind.EPISODE,
    "conversation": MemoryKind.EPISODE,
    "session": MemoryKind.EPISODE,
    "goal": MemoryKind.PROJECT,
    "task": MemoryKind.PROJECT,
}

Record = tuple[str, Any, dict[str, Any]]  # (where, point id, payload)


@dataclass(frozen=True)
class FieldMap:
    """Which payload field holds what; None tries the usual names."""

    text: str | None = None
    kind: str | None = None
    time: str | None = None
    importance: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)  # old kind value -> AIKI kind

    @staticmethod
    def parse_kind_map(pairs: list[str]) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for pair in pairs:
            old, sep, new = pair.partition("=")
            if not sep or new.strip() not in {k.value for k in MemoryKind}:
                kinds = ", ".join(k.value for k in MemoryKind)
                raise ValueError(f"--kind-map {pair!r}: write OLD=NEW with NEW one of {kinds}")
            mapping[old.strip().lower()] = new.strip()
        return mapping


def lookup(payload: dict[str, Any], path: str) -> Any:
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _pick(payload: dict[str, Any], chosen: str | None, usual: tuple[str, ...]) -> tuple[str | None, Any]:
    for name in (chosen,) if chosen else usual:
        value = lookup(payload, name)
        if value is not None:
            return name, value
    return None, None


def to_memory(
    point_id: Any, payload: dict[str, Any], scope: str, collection: str, fields: FieldMap, zone: ZoneInfo
) -> tuple[NewMemory, str | None]:
    """The memory to add, and the old kind value when it had to become a note; ValueError says what is wrong."""
    text_name, text = _pick(payload, fields.text, TEXT_FIELDS)
    if not isinstance(text, str) or not text.strip():
        wanted = f"`{fields.text}`" if fields.text else "a text field (" + ", ".join(TEXT_FIELDS) + ")"
        raise ValueError(f"no {wanted}; name it with --text-field")
    if len(text.strip()) > MAX_TEXT_CHARS:
        raise ValueError(f"the text is {len(text):,} characters; a memory holds at most {MAX_TEXT_CHARS:,}")
    kind, unmapped = _kind(_pick(payload, fields.kind, KIND_FIELDS)[1], fields.kinds)
    created: datetime | None = None
    stamp = _pick(payload, fields.time, TIME_FIELDS)[1]
    if stamp is not None:
        try:
            created = parse_when(stamp, None, zone)
        except (ValueError, TypeError, OverflowError, OSError):
            raise ValueError(f"the time {stamp!r} is neither ISO 8601 nor Unix seconds") from None
    importance = _importance(_pick(payload, fields.importance, IMPORTANCE_FIELDS)[1])
    original = str(point_id) if point_id is not None else None
    rest = {k: v for k, v in payload.items() if k != text_name}
    return (
        NewMemory(
            scope=scope,
            text=text.strip(),
            kind=kind,
            importance=importance,
            origin=Origin(OriginSource.IMPORT),
            created_at=created,
            # The collection name keeps two old collections apart; the same collection from a dump or from the
            # server lands on the same points, so importing it twice adds nothing.
            id=f"qdrant:{collection}:{original}" if original else f"qdrant:{collection}:text:{text.strip()}",
            meta={"imported_from": "qdrant", "collection": collection, "original_id": original, "payload": rest},
        ),
        unmapped,
    )


def _kind(value: Any, mapping: dict[str, str]) -> tuple[MemoryKind, str | None]:
    if value is None:
        return MemoryKind.NOTE, None
    key = str(value).strip().lower()
    if key in mapping:
        return MemoryKind(mapping[key]), None
    if key in {k.value for k in MemoryKind}:
        return MemoryKind(key), None
    if key in _KIND_SYNONYMS:
        return _KIND_SYNONYMS[key], None
    return MemoryKind.NOTE, key


def _importance(value: Any) -> float:
    """0-1 as is; a 1-10 or 1-100 scale is brought to 0-1; anything else is the default 0.5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.5
    number = float(value)
    for scale in (1, 10, 100):
        if 0 <= number <= scale:
            return number / scale
    return 0.5


def read_dump(handle: BinaryIO, errors: list[tuple[int, str]]) -> Iterator[Record]:
    """(where, id, payload) for each good line of a JSONL dump; bad lines go into `errors`."""
    for number, data in json_objects(handle, errors):
        payload = (
            data["payload"]
            if isinstance(data.get("payload"), dict)
            else {k: v for k, v in data.items() if k not in _IGNORED_TOP}
        )
        yield f"line {number}", data.get("id"), payload


async def scroll(client: Any, collection: str, page: int = 256) -> AsyncIterator[list[Record]]:
    """Every point of a collection (payloads only), a page at a time."""
    offset: Any = None
    while True:
        points, offset = await client.scroll(
            collection, limit=page, offset=offset, with_payload=True, with_vectors=False
        )
        yield [(f"point {p.id}", p.id, dict(p.payload or {})) for p in points]
        if offset is None:
            break
