"""What AIKI learns after each reply: the exchange as an episode, what was recalled, durable facts."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.facts import extract_facts, learn_fact
from bot.importance import score_importance
from bot.llm import LLM
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.models import MemoryKind
from bot.retrieval import Recalled
from bot.turn import Incoming

log = logging.getLogger(__name__)


async def learn_from_exchange(
    bank: MemoryBank,
    llm: LLM,
    incoming: Incoming,
    text: str,
    reply: str,
    recalled: list[Recalled],
    now: datetime,
    extract_facts_too: bool,
) -> None:
    scope = incoming.person.scope
    name = incoming.person.name or "The person"
    episode = f"{name}: {text}\nAIKI: {reply}"
    if incoming.topic:  # so the next check-in about this topic finds what was said
        episode = f"(about {incoming.topic}) {episode}"
    meta = {"topic": incoming.topic} if incoming.topic else {}
    await bank.add_one(
        NewMemory(
            scope,
            episode,
            MemoryKind.EPISODE,
            score_importance(text, MemoryKind.EPISODE),
            incoming.origin,
            created_at=now,
            meta=meta,
            speaker=incoming.person.name,  # "what did Jovnna say about ..." favours their own words
        )
    )
    # Recalled memories stay fresh: recency in retrieval counts from the last time they mattered.
    for item in recalled:
        memory = item.hit.memory
        await bank.store.update_payload(scope, memory.id, memory.with_changes(last_recalled_at=now))
    if not extract_facts_too:
        return
    for fact in await extract_facts(llm, incoming.person.name or "the person", text):
        outcome, _ = await learn_fact(bank, llm, scope, fact, incoming.origin, now)
        log.info("fact %s for %s (key %s)", outcome, scope, fact.key)
