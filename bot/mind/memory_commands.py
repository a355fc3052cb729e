"""What a person asks of their memories directly: remember this, what do you recall, forget, list, share."""

from __future__ import annotations

import logging
import re

from bot.errors import InvalidInputError
from bot.memory.bank import NewMemory
from bot.memory.embedder import clean_text
from bot.memory.models import Memory, MemoryKind, SearchFilter
from bot.mind.afterwards import Afterwards
from bot.mind.audience import audience_at
from bot.mind.checkin_hooks import CheckinHooks
from bot.mind.faculties import Faculties
from bot.mind.forgetting import Forgetting, late_notice
from bot.mind.importance import score_importance
from bot.mind.ordering import PersonQueue
from bot.mind.recollection import recollect
from bot.mind.retrieval import Recalled
from bot.mind.turn import MAX_MESSAGE_CHARS, ForgetReport, Person
from bot.places import Origin, OriginSource

log = logging.getLogger(__name__)

# /remember takes what a message may hold: a note, not a document (100 KB took 49 s to embed; imports take more).
MAX_REMEMBER_CHARS = MAX_MESSAGE_CHARS
# A memory id given to /forget: at least this many of its hex digits, so "0" never picks whichever comes first.
MIN_ID_PREFIX = 4
_ID_PREFIX = re.compile(r"[0-9a-f][0-9a-f-]*")
TERMINAL = Origin(OriginSource.CLI)


class MemoryCommands:
    def __init__(
        self, mind: Faculties, forgetting: Forgetting, order: PersonQueue, afterwards: Afterwards, hooks: CheckinHooks
    ) -> None:
        self.mind = mind
        self._forgetting = forgetting
        self._order = order
        self._afterwards = afterwards
        self._hooks = hooks

    async def remember(self, person: Person, text: str, origin: Origin) -> Memory:
        """Store what the person asked to be remembered; refused before any embedding when empty or too long."""
        if len(text.strip()) > MAX_REMEMBER_CHARS:
            raise InvalidInputError(
                f"That is too long to remember ({len(text.strip()):,} characters; {MAX_REMEMBER_CHARS:,} at most)."
            )
        cleaned = clean_text(text)
        importance = score_importance(cleaned, MemoryKind.NOTE, explicit=True)
        new = NewMemory(person.scope, cleaned, MemoryKind.NOTE, importance, origin, created_at=self.mind.clock())
        return await self.mind.bank.add_one(new)

    async def recall(self, person: Person, query: str, limit: int = 5, place: Origin = TERMINAL) -> list[Recalled]:
        """What the person may see of their memories from where they ask (bot/places.py; default: terminal)."""
        mind = self.mind
        where = SearchFilter(scopes=(person.scope,), audience=await audience_at(mind.state, person, place))
        return await recollect(mind.bank, query, where, mind.clock(), mind.zone, budget_tokens=100_000, limit=limit)

    async def forget(self, person: Person, memory_id: str) -> bool:
        """Delete one memory and erase it from disk before returning (journalled: a crash midway is finished later)."""
        async with self._order.exclusive(person.scope):
            await self._afterwards.drain()  # learning still running could write it back (a recall refreshes it)
            return await self._forgetting.memory(person.scope, memory_id)

    async def forget_everything(self, person: Person) -> ForgetReport:
        """Everything about a person, gone from every table and file before this returns (docs/privacy.md)."""
        async with self._order.exclusive(person.scope):  # no turn of theirs is half-way while we erase
            await self._afterwards.drain()  # learning still running would write memories back
            self._hooks.drop(person.scope)
            report = await self._forgetting.everything(person.scope)
        log.info("forgot everything about %s: %d memories, %d turns", person.scope, report.memories, report.turns)
        return report

    async def take_late_forget_notice(self, person: Person) -> str | None:
        """A sentence telling the person that a forget of theirs, cut short when AIKI stopped, was finished at the
        next start; given once (then None). Show it before answering them (the terminal does at start)."""
        return late_notice(await self.mind.state.take_late_forgets(person.scope), self.mind.zone)

    async def list_page(self, person: Person, limit: int, offset: str | None) -> tuple[list[Memory], str | None]:
        return await self.mind.bank.list_page(person.scope, limit, offset)

    async def id_from(self, person: Person, prefix: str) -> str | None:
        """The full id of the person's memory that starts with `prefix` (the 8 characters /recall shows, any case),
        or None. Raises InvalidInputError for fewer than 4 hex digits, or a prefix more than one memory has."""
        wanted = prefix.strip().lower()
        if not _ID_PREFIX.fullmatch(wanted) or len(wanted.replace("-", "")) < MIN_ID_PREFIX:
            raise InvalidInputError(
                f"A memory id is at least {MIN_ID_PREFIX} of the characters /recall shows (0-9 and a-f), e.g. 3f9a1c2e."
            )
        found: list[str] = []
        offset: str | None = None
        while True:
            page, offset = await self.mind.bank.list_page(person.scope, 256, offset)
            found += [memory.id for memory in page if memory.id.lower().startswith(wanted)]
            if len(found) > 1:
                raise InvalidInputError(f"More than one memory starts with {wanted}: give more of its id.")
            if offset is None:
                return found[0] if found else None
