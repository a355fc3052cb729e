"""What the owner's page (bot/web) asks of a person's memories: all of them with the place each belongs to, searched
with the recall a turn uses, a text corrected, one or many forgotten with /forget's erasure, and facts with what
they replaced.

The page is the person's own private place, like a DM: it sees everything of theirs and nothing of anyone else's
(every call names the person's scope). Changes wait for the person's turn, as /forget does, so learning that is
still running never writes an old version back.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.errors import InvalidInputError
from bot.memory.embedder import is_blank
from bot.memory.models import Memory, MemoryKind, SearchFilter
from bot.memory.port import every_memory
from bot.mind.afterwards import Afterwards
from bot.mind.faculties import Faculties
from bot.mind.forgetting import Forgetting
from bot.mind.ordering import PersonQueue
from bot.mind.recollection import recollect
from bot.mind.turn import MAX_MESSAGE_CHARS
from bot.places import Audience

log = logging.getLogger(__name__)

# A search on the page may show many memories: its budget is not a prompt's.
SEARCH_BUDGET_TOKENS = 100_000


@dataclass(frozen=True)
class Shown:
    """Which of a person's memories a list shows: from which places (None: all) and of which kinds (empty: all)."""

    place: Audience | None = None
    kinds: tuple[MemoryKind, ...] = ()

    def admits(self, memory: Memory) -> bool:
        if self.kinds and memory.kind not in self.kinds:
            return False
        return self.place is None or self.place.sees(memory.origin)


@dataclass(frozen=True)
class FactHistory:
    """A fact as it stands (or its last version, if the newest was forgotten) and the versions it replaced, newest
    first; each replaced one's `meta["superseded_at"]` says when."""

    current: Memory
    earlier: tuple[Memory, ...]


class Browsing:
    def __init__(self, mind: Faculties, forgetting: Forgetting, order: PersonQueue, afterwards: Afterwards) -> None:
        self.mind = mind
        self._forgetting = forgetting
        self._order = order
        self._afterwards = afterwards

    async def everything(self, scope: str) -> list[Memory]:
        """Every memory of the person, newest first (replaced facts too)."""
        found = await every_memory(self.mind.bank, scope)
        return sorted(found, key=lambda memory: memory.created_at, reverse=True)

    async def search(self, scope: str, query: str, shown: Shown, limit: int) -> list[Memory]:
        """The person's memories AIKI would recall for `query` (bot/mind/recollection.py), best first."""
        where = SearchFilter(scopes=(scope,), kinds=shown.kinds, audience=shown.place)
        mind = self.mind
        found = await recollect(mind.bank, query, where, mind.clock(), mind.zone, SEARCH_BUDGET_TOKENS, limit=limit)
        return [item.hit.memory for item in found if shown.admits(item.hit.memory)]

    async def get(self, scope: str, memory_id: str) -> Memory | None:
        return await self.mind.bank.get(scope, memory_id)

    async def edit(self, scope: str, memory_id: str, text: str) -> Memory | None:
        """Change what a memory says (embedded again); the old words are then erased from disk as a forget erases.
        None if the person has no memory with that id."""
        if is_blank(text):
            raise InvalidInputError("A memory cannot be empty: forget it instead.")
        if len(text.strip()) > MAX_MESSAGE_CHARS:
            too_long = f"That is too long ({len(text.strip()):,} characters; {MAX_MESSAGE_CHARS:,} at most)."
            raise InvalidInputError(too_long)
        async with self._order.exclusive(scope):
            await self._afterwards.drain()  # learning still running could write the old text back
            changed = await self.mind.bank.replace_text(scope, memory_id, text)
            if changed is not None:
                await self.mind.bank.erase_deleted()
        if changed is not None:
            log.info("edited memory %s of %s", memory_id, scope)
        return changed

    async def forget(self, scope: str, memory_ids: Sequence[str]) -> int:
        """Forget these memories as /forget does (journalled, derived ones too, erased from disk before this
        returns); how many of them the person had."""
        async with self._order.exclusive(scope):
            await self._afterwards.drain()
            forgotten = await self._forgetting.memories(scope, memory_ids)
        log.info("forgot %d of %d memories of %s", forgotten, len(memory_ids), scope)
        return forgotten

    async def facts(self, scope: str) -> list[FactHistory]:
        """Each fact with the versions it replaced, the most recently learned first."""
        return fact_histories(await self.everything(scope))


def fact_histories(memories: Sequence[Memory]) -> list[FactHistory]:
    """Facts chained by what replaced what (`meta["replaces"]`, `superseded_by`), newest chain first."""
    facts = {memory.id: memory for memory in memories if memory.kind is MemoryKind.FACT}
    heads = [fact for fact in facts.values() if fact.superseded_by not in facts]
    histories = []
    for head in sorted(heads, key=lambda fact: fact.created_at, reverse=True):
        earlier: list[Memory] = []
        seen = {head.id}
        before = facts.get(str(head.meta.get("replaces")))
        while before is not None and before.id not in seen:
            earlier.append(before)
            seen.add(before.id)
            before = facts.get(str(before.meta.get("replaces")))
        histories.append(FactHistory(head, tuple(earlier)))
    return histories
