"""The work that follows a reply: learning from the exchange, in the background, never in front of a turn that is
being prepared (on 2 cores the episode embedding would otherwise sit in front of the next message's query
embedding: bench/turn.py, +9-11 ms)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from bot.llm import LLM
from bot.memory.bank import MemoryBank
from bot.mind.learning import Exchange, learn_from_exchange
from bot.mind.turn import Hold, Preparing

log = logging.getLogger(__name__)


class Afterwards:
    def __init__(self, bank: MemoryBank, llm: LLM, learn_facts: bool) -> None:
        self.bank = bank
        self.llm = llm
        self.learn_facts = learn_facts
        self._tasks: set[asyncio.Task[None]] = set()
        self._preparing = Preparing()

    def preparing(self) -> Hold:
        """A turn is being prepared: learning waits until its request is sent (release the hold then)."""
        return self._preparing.hold()

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def learn(self, exchange: Exchange) -> None:
        self.later(self._learn(exchange))

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait for everything started so far (tests, shutdown, before a forget)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _learn(self, exchange: Exchange) -> None:
        await asyncio.sleep(0)  # let a message that is already waiting start preparing first
        await self._preparing.idle()
        try:
            await learn_from_exchange(self.bank, self.llm, exchange, self.learn_facts)
        except Exception:
            log.exception("learning after a turn failed for %s", exchange.incoming.person.scope)
