"""What was derived from what, read from the links every derived memory carries (issue 22, item 3).

- a fact names the episode it was learned from: `meta.said_in` (bot/mind/facts.py `learn_fact`);
- a profile names the facts it rests on: `meta.rests_on` (bot/mind/sleep.py), and so does a reflection the memories
  it was written from (bot/mind/reflection.py);
- an episode that absorbed near-duplicates in a sleep pass names them: `meta.absorbed`, so what was learned from
  an absorbed one is still traced to the memory that now holds its words.

Forgetting a memory forgets everything derived from it, transitively (an episode, its facts, the profile built on
them), so no derived text outlives what it came from.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.memory.models import Memory
from bot.memory.port import MemoryStore, every_memory


def sources_of(memory: Memory) -> set[str]:
    """The ids a memory was derived from."""
    meta = memory.meta
    found = {str(meta["said_in"])} if meta.get("said_in") else set()
    return found | {str(item) for item in meta.get("rests_on") or ()}


def rests_on(memory: Memory) -> set[str]:
    """The ids a profile or a reflection was written from."""
    return {str(item) for item in memory.meta.get("rests_on") or ()}


def stands_for(memory: Memory) -> set[str]:
    """The ids a memory answers for: its own and those of the near-duplicates it absorbed."""
    return {memory.id, *(str(item) for item in memory.meta.get("absorbed") or ())}


def derived_closure(memories: Iterable[Memory], forgotten: str) -> list[str]:
    """The ids derived (transitively) from `forgotten`, those derived last first, `forgotten` itself not included.

    Pure, so the rule is tested without a store; the order lets a forget cut short by a crash be run again: the
    forgotten memory (and the `absorbed` list it holds) is deleted last.
    """
    everything = list(memories)
    by_id = {memory.id: memory for memory in everything}
    gone = stands_for(by_id[forgotten]) if forgotten in by_id else {forgotten}
    order: list[str] = []
    grew = True
    while grew:
        grew = False
        for memory in everything:
            if memory.id not in gone and sources_of(memory) & gone:
                gone |= stands_for(memory)
                order.append(memory.id)
                grew = True
    return list(reversed(order))


async def derived_from(store: MemoryStore, scope: str, memory_id: str) -> list[str]:
    """The person's memories derived from `memory_id`, read page by page from the store."""
    return derived_closure(await every_memory(store, scope), memory_id)
