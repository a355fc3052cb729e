"""What a memory is, independent of where it is stored."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from bot.clock import from_iso, to_iso, utcnow
from bot.languages import DEFAULT_LANGUAGE
from bot.places import Audience, Origin

Vector = list[float]
# A memory is stored as one vector per window of its text; a search scores it by its best window.
ChunkVectors = list[Vector]

# AIKI's own identity lives in a scope of its own, never a Discord user id.
IDENTITY_SCOPE = "aiki"

# Ids that are not UUIDs (e.g. from another system's export) are mapped into this namespace,
# so importing the same file twice lands on the same points.
_ID_NAMESPACE = uuid.UUID("6f1d2a4e-9c1b-4d7e-8a55-a1c0e0d1a1c1")


class MemoryKind(str, Enum):
    IDENTITY = "identity"
    FACT = "fact"
    EPISODE = "episode"
    NOTE = "note"
    PROJECT = "project"
    # What AIKI understands about a person, distilled from their current facts by a sleep pass (bot/mind/sleep.py).
    PROFILE = "profile"
    EVENT = "event"  # something the person said is coming, with its date (bot/mind/plans.py)
    # What AIKI noticed across a person's recent memories, written by a sleep pass (bot/mind/reflection.py).
    REFLECTION = "reflection"


_WORD = re.compile(r"\w+")


def name_keys(text: str) -> list[str]:
    """The lowercased words of a name or a question, as matched against `speaker_keys`."""
    return sorted({word.lower() for word in _WORD.findall(text)})


def new_memory_id() -> str:
    return str(uuid.uuid4())


def normalise_id(raw: str | int) -> str:
    """A point id Qdrant accepts: UUIDs stay as they are, anything else maps to a stable UUID."""
    text = str(raw).strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid5(_ID_NAMESPACE, text))


@dataclass(frozen=True)
class Memory:
    id: str
    scope: str
    kind: MemoryKind
    text: str
    created_at: datetime = field(default_factory=utcnow)
    last_recalled_at: datetime | None = None
    importance: float = 0.5
    origin: Origin = field(default_factory=Origin)
    superseded_by: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # Who said it, when the memory is something a person said (a message of an imported conversation).
    speaker: str | None = None
    # The words around it (e.g. the neighbouring messages of a conversation): searched by words, never shown.
    context: str | None = None

    def with_changes(self, **changes: Any) -> Memory:
        return replace(self, **changes)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "scope": self.scope,
            "kind": self.kind.value,
            "text": self.text,
            "created_at": to_iso(self.created_at),
            # A number next to the timestamp: score formulas (recency decay) and range filters use it.
            "created_ts": self.created_at.timestamp(),
            "last_recalled_at": to_iso(self.last_recalled_at),
            "importance": float(self.importance),
            "origin": self.origin.to_payload(),
            "meta": self.meta,
        }
        if self.last_recalled_at:  # recency counts from the last recall as well (a score formula reads it)
            payload["last_recalled_ts"] = self.last_recalled_at.timestamp()
        if self.speaker:
            payload["speaker"] = self.speaker
            # The name's words, lowercased: a question naming the person matches them (a keyword index).
            payload["speaker_keys"] = name_keys(self.speaker)
        if self.context:
            payload["context"] = self.context
        # Absent, not null, while current: filters ask "is empty", which holds after payload updates too.
        if self.superseded_by:
            payload["superseded_by"] = self.superseded_by
        return payload

    @classmethod
    def from_payload(cls, point_id: object, payload: dict[str, Any]) -> Memory:
        return cls(
            id=str(point_id),
            scope=str(payload["scope"]),
            kind=MemoryKind(payload.get("kind", MemoryKind.NOTE.value)),
            text=str(payload.get("text", "")),
            created_at=from_iso(payload.get("created_at")) or utcnow(),
            last_recalled_at=from_iso(payload.get("last_recalled_at")),
            importance=float(payload.get("importance", 0.5)),
            origin=Origin.from_payload(payload.get("origin")),
            superseded_by=payload.get("superseded_by"),
            meta=dict(payload.get("meta") or {}),
            speaker=payload.get("speaker"),
            context=payload.get("context"),
        )


@dataclass(frozen=True)
class ScoredMemory:
    memory: Memory
    score: float


@dataclass(frozen=True)
class SearchFilter:
    """A search is always bound to at least one scope; the rest narrows it."""

    scopes: tuple[str, ...]
    kinds: tuple[MemoryKind, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    include_superseded: bool = False
    # Where the search is asked from (bot/places.py); None: every place of the person.
    audience: Audience | None = None

    def __post_init__(self) -> None:
        if not self.scopes or any(not scope for scope in self.scopes):
            raise ValueError("a memory search needs at least one non-empty scope")


# The lexical index a store is built with: BM25 over each memory's words in one language, version 1.


def lexicon_id(language: str) -> str:
    return f"bm25-{language}-v1"


@dataclass(frozen=True)
class StoreInfo:
    """What the store was built with; checked against the configured embedder and language at start-up."""

    model: str
    dim: int
    # None: a store made before AIKI searched by words too (no sparse vectors); it needs `aiki memory reindex`.
    lexical: str | None = lexicon_id(DEFAULT_LANGUAGE)
