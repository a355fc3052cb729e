"""What both Qdrant adapters agree on: vector names, time format, and the built-with check."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.errors import StoreMismatchError
from bot.memory.models import StoreInfo

DENSE = "dense"


def iso_or_none(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def check_store_info(existing: StoreInfo, expected: StoreInfo, location: str) -> None:
    """A store built with one model cannot be searched with another's vectors."""
    if existing == expected:
        return
    raise StoreMismatchError(
        f"The memory store at {location} was built with embedding model {existing.model!r} "
        f"({existing.dim} dimensions), but AIKI_EMBEDDING_MODEL is {expected.model!r} "
        f"({expected.dim} dimensions). Run `aiki memory reindex` to re-embed every memory with the new "
        f"model, or set AIKI_EMBEDDING_MODEL back to {existing.model!r}."
    )
