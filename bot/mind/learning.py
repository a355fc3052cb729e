"""What AIKI learns after each reply: what the person said, what AIKI said (kept apart), what was recalled, facts.

The person's message is the memory, stored with the turns around it as its context (the layout retrieval finds
best, bench/retrieval.py); each message of a burst is a memory of its own (one memory per message finds more for
the tokens it costs than a burst joined into one: docs/memory.md, "A burst as one memory"). AIKI's own reply is a
memory of its own, marked as AIKI's words, shortened and of low importance: what AIKI invented must never come back
as something the person said (issue: memory with a real model). A reply that failed or was cut off is not learned
as said; the person's message still is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from bot.llm import LLM
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.models import MemoryKind
from bot.mind.facts import extract_facts, learn_fact
from bot.mind.importance import score_importance
from bot.mind.retrieval import Recalled
from bot.mind.turn import Incoming, Received
from bot.tokens import shorten

log = logging.getLogger(__name__)

AIKI_SPEAKER = "AIKI"
# AIKI's words are kept short in memory: enough to find "what did you suggest?", not a runaway reply's 3,000+
# characters (bench/retrieval.py --layout live: 300 characters cost 0.04 of recall@10, 1,000 almost nothing).
AIKI_WORDS_CHARS = 1_000
AIKI_WORDS_WEIGHT = 0.5  # AIKI's words count half as much as the person's in retrieval's importance boost
CONTEXT_CHARS = 600
PICTURE_ONLY = "(a picture)"  # what a message that was only a picture says, as context of AIKI's reply


@dataclass(frozen=True)
class Said:
    """One message of a burst: its words, when it was written, and its turn row."""

    text: str
    at: datetime
    turn_id: int | None = None


@dataclass(frozen=True)
class Exchange:
    """One turn as learning sees it: the person's (last) message, AIKI's reply (if it was finished), what came before,
    and the burst's earlier messages when the reply answered several."""

    incoming: Incoming
    text: str  # the last message's words
    reply: str | None  # None: the reply failed or was cut off, so nothing AIKI said is learned
    at: datetime
    before: tuple[str, ...] = ()  # the turns just before the burst, "Name: text", oldest first
    user_turn_id: int | None = None
    reply_turn_id: int | None = None
    recalled: list[Recalled] = field(default_factory=list)
    looked_at: tuple[Received, ...] = ()  # the messages whose pictures the model was shown (bot/mind/seeing.py)
    earlier: tuple[Said, ...] = ()  # the burst's messages before the last, oldest first

    @property
    def messages(self) -> tuple[Said, ...]:
        return (*self.earlier, Said(self.text, self.at, self.user_turn_id))

    @property
    def words(self) -> str:
        """Everything the person said in this turn, as the reply read it."""
        return "\n".join(message.text for message in self.messages if message.text)


def _topic_prefix(incoming: Incoming) -> str:
    return f"(about {incoming.topic}) " if incoming.topic else ""  # so the next check-in about it finds this


def _nearest_first(lines: list[str]) -> str:
    """The turns around a message, nearest first, as many as fit CONTEXT_CHARS (the farthest are dropped)."""
    kept: list[str] = []
    room = CONTEXT_CHARS
    for line in lines:
        if room < 20:  # no room left for a readable piece (a short line such as "Kari: ok" is kept whole)
            break
        line = shorten(line, room)
        kept.append(line)
        room -= len(line) + 1
    return "\n".join(kept)


def _with_turn(meta: dict[str, object], turn_id: int | None) -> dict[str, object]:
    """The turn a memory was made from: a turn already in the prompt's history is not repeated as a memory."""
    return meta if turn_id is None else {**meta, "turn_id": turn_id}


def memories_of(exchange: Exchange) -> list[NewMemory]:
    """Each of the person's messages with the turns around it as context, and AIKI's reply apart from them."""
    incoming = exchange.incoming
    name = incoming.person.name or "The person"
    meta: dict[str, object] = {"topic": incoming.topic} if incoming.topic else {}
    said_by_aiki = f"{AIKI_SPEAKER}: {shorten(exchange.reply, AIKI_WORDS_CHARS)}" if exchange.reply else None
    messages = exchange.messages
    lines = [f"{name}: {message.text or PICTURE_ONLY}" for message in messages]
    memories: list[NewMemory] = []
    for i, message in enumerate(messages):
        if not message.text.strip():  # a picture alone is remembered as what AIKI saw in it (bot/mind/seeing.py)
            continue
        after = lines[i + 1] if i + 1 < len(messages) else said_by_aiki
        before = [*exchange.before, *lines[:i]][-2:]
        context = _nearest_first([*([after] if after else []), *reversed(before)])
        memories.append(
            NewMemory(
                incoming.person.scope,
                f"{_topic_prefix(incoming)}{name}: {message.text}",
                MemoryKind.EPISODE,
                score_importance(message.text, MemoryKind.EPISODE),
                incoming.origin,
                created_at=message.at,
                meta=_with_turn(meta, message.turn_id),
                speaker=incoming.person.name,  # "what did Jovnna say about ..." favours their own words
                context=context or None,
            )
        )
    if said_by_aiki:
        importance = score_importance(exchange.words or PICTURE_ONLY, MemoryKind.EPISODE)
        memories.append(
            NewMemory(
                incoming.person.scope,
                f"{_topic_prefix(incoming)}{said_by_aiki}",
                MemoryKind.EPISODE,
                round(importance * AIKI_WORDS_WEIGHT, 3),
                incoming.origin,
                created_at=exchange.at,
                meta={**_with_turn(meta, exchange.reply_turn_id), "by": "aiki"},
                speaker=AIKI_SPEAKER,
                context=f"{name}: {shorten(exchange.words or PICTURE_ONLY, CONTEXT_CHARS)}",
            )
        )
    return memories


async def learn_from_exchange(bank: MemoryBank, llm: LLM, exchange: Exchange, extract_facts_too: bool) -> None:
    incoming = exchange.incoming
    scope = incoming.person.scope
    new = memories_of(exchange)
    added = await bank.add(new) if new else []
    # Recalled memories stay fresh: recency in retrieval counts from the last time they mattered.
    for item in exchange.recalled:
        memory = item.hit.memory
        await bank.update(scope, memory.id, memory.with_changes(last_recalled_at=exchange.at))
    if not extract_facts_too or not exchange.words.strip():
        return
    said = [memory for memory in added if memory.meta.get("by") != "aiki"][-1]  # the burst's last words: its facts
    keys: set[str] = set()
    for fact in await extract_facts(llm, incoming.person.name or "the person", exchange.words):
        outcome, current = await learn_fact(bank, llm, scope, fact, incoming.origin, exchange.at, said.id)
        log.info("fact %s for %s%s", outcome, scope, f" (memory {current.id})" if current is not None else "")
        if current is not None:
            keys.add(str(current.meta.get("key")))
    if keys:
        # The episode is linked to what it says about the person: "I moved to Oslo" is shown with "I live in
        # Bergen" as one subject in time order (bot/mind/recollection.py), by this link and not by shared words.
        await bank.update(scope, said.id, said.with_changes(meta={**said.meta, "keys": sorted(keys)}))
