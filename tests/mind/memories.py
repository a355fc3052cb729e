"""Memories as the store hands them back, built in one line at a time the test passes in (never the wall clock)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.memory.models import Memory, MemoryKind, ScoredMemory
from bot.mind.retrieval import Recalled
from bot.places import Origin, OriginSource

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)  # a Monday noon
DM = Origin(OriginSource.DM)


def memory(
    text: str,
    at: datetime = T0,
    kind: MemoryKind = MemoryKind.EPISODE,
    *,
    by_aiki: bool = False,
    origin: Origin = DM,
    superseded_by: str | None = None,
    ident: str | None = None,
    **meta: Any,
) -> Memory:
    """A memory of person "1"; `meta` as the learning steps write it (key, keys, topic, superseded_at)."""
    return Memory(
        id=ident or text,
        scope="1",
        kind=kind,
        text=text,
        created_at=at,
        origin=origin,
        superseded_by=superseded_by,
        meta={**meta, **({"by": "aiki"} if by_aiki else {})},
    )


def hit(text: str, score: float = 0.5, at: datetime = T0, **kw: Any) -> ScoredMemory:
    return ScoredMemory(memory(text, at, **kw), score)


def recalled(text: str, score: float = 0.5, at: datetime = T0, **kw: Any) -> Recalled:
    return Recalled(hit(text, score, at, **kw), score)
