"""Forgetting, journalled: the steps that erase a memory or a person, and the start-up step that finishes a forget
a stop cut short (docs/privacy.md: "Forgetting erases").

Each forget is written to the journal (bot/state/journal.py, ids only) before anything is deleted and crossed out
when the last byte is erased. Every step can run again: a second delete finds nothing, a second rewrite copies what
remains. So the next start re-runs a journalled forget from the top, records that it finished late, and the person
is told once (`late_notice`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.clock import Clock, to_iso
from bot.memory.port import MemoryStore
from bot.mind.derived import derived_from
from bot.mind.seeing import picture_turn
from bot.mind.turn import ForgetReport
from bot.state.journal import ForgetJournal, ForgetKind, ForgetRequest
from bot.state.store import StateStore

log = logging.getLogger(__name__)


class Forgetting:
    """Forgets as they are asked for, each journalled around its erasing (no journal: not crash-safe, benchmarks)."""

    def __init__(self, store: MemoryStore, state: StateStore, journal: ForgetJournal | None, clock: Clock) -> None:
        self.store = store
        self.state = state
        self.journal = journal
        self.clock = clock

    @asynccontextmanager
    async def _journalled(self, request: ForgetRequest) -> AsyncIterator[None]:
        """The entry is on disk before the body starts; a body that fails leaves it for the next start (or for a
        later forget that covers it); one that succeeds crosses out every entry it covers."""
        journal = self.journal
        if journal is None:
            yield
            return
        await asyncio.to_thread(journal.begin, request)
        try:
            yield
        except BaseException:
            await asyncio.to_thread(journal.release, request)
            raise
        await asyncio.to_thread(_cross_out, journal, request)

    async def memory(self, scope: str, memory_id: str) -> bool:
        """Delete one memory and what was derived from it (bot/mind/derived.py), and erase them from disk; False if
        the person has no memory with that id."""
        return await self.memories(scope, [memory_id]) == 1

    async def memories(self, scope: str, memory_ids: Sequence[str]) -> int:
        """Forget several memories as `memory` forgets one, with one rewrite of the store for all of them (each is
        journalled on its own); returns how many of them the person had."""
        wanted = list(dict.fromkeys(memory_ids))
        async with AsyncExitStack() as journalled:
            for memory_id in wanted:
                await journalled.enter_async_context(
                    self._journalled(ForgetRequest(ForgetKind.MEMORY, scope, self.clock(), memory_id))
                )
            unseen = deleted = 0
            for memory_id in wanted:
                unseen += await forget_what_was_seen(self.store, self.state, scope, memory_id)
                deleted += await delete_with_derived(self.store, scope, memory_id)
            if deleted:
                await self.store.erase_deleted()
            for memory_id in wanted:
                await self._derived(scope, memory_id)
            if unseen:
                await self.state.erase_freed()
        return deleted

    async def _derived(self, scope: str, memory_id: str) -> None:
        """What was made from the memory goes with it: the follow-up on an event (its name holds the person's word).
        The next sleep pass comes sooner and rebuilds what is left to derive (a profile, reflections without it)."""
        if await self.state.checkins.delete_followups_of(scope, memory_id):
            await self.state.erase_freed()
        await self.state.clear_sleep_passed(scope)

    async def everything(self, scope: str) -> ForgetReport:
        """Everything about a person, gone from every table and file before this returns."""
        async with self._journalled(ForgetRequest(ForgetKind.EVERYTHING, scope, self.clock())):
            report = await delete_everything(self.store, self.state, scope)
            await erase(self.store, self.state)
        return report


def _cross_out(journal: ForgetJournal, done: ForgetRequest) -> None:
    """`done` and the earlier, failed forgets it covers: left in the journal, the next start would run them again over
    what the person said since."""
    journal.done(done)
    for earlier in journal.interrupted():
        if _covers(done, earlier):
            journal.done(earlier)


def _covers(done: ForgetRequest, earlier: ForgetRequest) -> bool:
    if done.scope != earlier.scope:
        return False
    return done.kind is ForgetKind.EVERYTHING or (
        earlier.kind is ForgetKind.MEMORY and earlier.memory_id == done.memory_id
    )


async def forget_what_was_seen(store: MemoryStore, state: StateStore, scope: str, memory_id: str) -> bool:
    """A picture's memory takes its description off the turn it came with too (before the memory goes, so a forget
    run again after a crash still finds the turn). True if a description was cleared."""
    memory = await store.get(scope, memory_id)
    turn_id = picture_turn(memory.meta) if memory is not None else None
    if turn_id is None:
        return False
    await state.set_turn_seen(scope, turn_id, None)
    return True


async def delete_with_derived(store: MemoryStore, scope: str, memory_id: str) -> bool:
    """The derived memories first and the memory itself last, so a forget cut short and run again still finds the
    links it follows. Nothing derived goes when the memory is not the person's."""
    if await store.get(scope, memory_id) is None:
        return False
    derived = await derived_from(store, scope, memory_id)
    if derived:
        await store.delete(scope, derived)
        log.info("forgetting %s of %s takes %d memories derived from it", memory_id, scope, len(derived))
    return await store.delete(scope, [memory_id]) == 1


async def delete_everything(store: MemoryStore | None, state: StateStore, scope: str) -> ForgetReport:
    """A person's memories out of search and their rows out of every table (`erase` then clears the disk)."""
    memories = await store.delete_scope(scope) if store is not None else 0
    turns = await state.delete_turns(scope)
    mood_events = await state.delete_mood(scope)
    await state.checkins.delete_scope(scope)
    await state.delete_person(scope)
    return ForgetReport(memories, turns, mood_events)


async def erase(store: MemoryStore | None, state: StateStore) -> None:
    """Rewrite what both stores keep on disk, so nothing deleted is in any file."""
    if store is not None:
        await store.erase_deleted()
    await state.erase_freed()


async def finish_interrupted_forgets(
    journal: ForgetJournal, store: MemoryStore | None, state: StateStore, clock: Clock
) -> list[ForgetRequest]:
    """At start, before anything serves a person: run every journalled forget again, then erase once.

    `store` is the opened memory store (None when there is none); the person is told later (`late_notice`).
    """
    pending = await asyncio.to_thread(journal.interrupted)
    if not pending:
        return []
    for request in pending:
        if request.kind is ForgetKind.EVERYTHING:
            await delete_everything(store, state, request.scope)
        elif request.memory_id is not None:
            if store is not None:
                await forget_what_was_seen(store, state, request.scope, request.memory_id)
                await delete_with_derived(store, request.scope, request.memory_id)
            await state.checkins.delete_followups_of(request.scope, request.memory_id)
    # Always rewritten: the points were likely deleted before the stop, their bytes not yet erased.
    await erase(store, state)
    for request in pending:
        await state.add_late_forget(request.scope, request.kind.value, request.requested_at, clock())
        await asyncio.to_thread(journal.done, request)
        log.info(
            "finished a forget a stop cut short: %s of %s, asked at %s",
            request.kind.value,
            request.scope,
            to_iso(request.requested_at),
        )
    return pending


def late_notice(taken: Sequence[tuple[str, datetime]], zone: ZoneInfo) -> str | None:
    """What a person is told about their forgets that a stop cut short and a start finished; None if none."""
    if not taken:
        return None
    sentences = []
    for kind, requested_at in taken:
        local = requested_at.astimezone(zone)
        what = "everything about you" if kind == ForgetKind.EVERYTHING.value else "a memory"
        sentences.append(
            f"Your request from {local.day} {local:%B %Y} to forget {what} was interrupted when AIKI stopped; "
            "it has now been completed."
        )
    return " ".join(sentences)
