"""The words the consciousness speaks in: who is talking, what arrived, what was decided, what it cost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from bot.mind.intention import Intention
from bot.mind.retrieval import Recalled
from bot.mood import MoodEvent, MoodState
from bot.places import Origin, OriginSource
from bot.state.store import Turn

# The longest message AIKI reads (a surface splits or refuses longer ones before they reach the core).
MAX_MESSAGE_CHARS = 8_000


@dataclass(frozen=True)
class Person:
    scope: str  # the Discord user id as text (or "local" in the terminal)
    name: str | None = None


@dataclass(frozen=True)
class Quoted:
    """An earlier message this one replies to, with where it was said (the core shows it only where visible)."""

    text: str
    origin: Origin


@dataclass(frozen=True)
class Incoming:
    person: Person
    text: str
    origin: Origin = field(default_factory=lambda: Origin(OriginSource.CLI))
    # Earlier messages this one replies to (a Discord reply chain), oldest first.
    reply_context: tuple[Quoted, ...] = ()
    topic: str | None = None
    sent_at: datetime | None = None  # when it was written, if not just now (read back after AIKI was away)


@dataclass(frozen=True)
class Received:
    """A message already stored (before anything could fail): its words, its turn row, when it was written."""

    incoming: Incoming
    text: str
    turn_id: int
    at: datetime
    store_ms: float = 0.0  # how long storing it took (the turn's first step, in ReplyStats.steps)


@dataclass(frozen=True)
class Burst:
    """Messages of one person in one place that one reply answers: several sent in a row, or what arrived while
    AIKI was away (`away`). Oldest first; the reply goes to the last."""

    messages: tuple[Received, ...]
    away: bool = False

    @property
    def last(self) -> Received:
        return self.messages[-1]

    @property
    def text(self) -> str:
        return "\n".join(message.text for message in self.messages)

    @property
    def turn_ids(self) -> frozenset[int]:
        return frozenset(message.turn_id for message in self.messages)


@dataclass
class ReplyStats:
    """Where the time of the last turn went, for logs and bench/turn.py."""

    prepare_ms: float = 0.0  # message received -> LLM request sent
    after_ms: float = 0.0  # reply finished -> stored (fact extraction excluded)
    intention: str = ""
    memories: int = 0
    # Milliseconds per step, in the order they ran: store, perceive, recall, feel, decide, phrase, store reply.
    steps: dict[str, float] = field(default_factory=dict)


class StepTimer:
    """Times each step of a turn into a dict: `with step("recall"): ...`."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.started = time.perf_counter()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        began = time.perf_counter()
        try:
            yield
        finally:
            self.into[name] = (time.perf_counter() - began) * 1000

    def since_start(self) -> float:
        return (time.perf_counter() - self.started) * 1000


class Preparing:
    """How many turns are being prepared now; learning after a reply waits until none is."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def hold(self) -> Hold:
        self._count += 1
        self._idle.clear()
        return Hold(self)

    def _release(self) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    async def idle(self) -> None:
        await self._idle.wait()


class Hold:
    """One turn's place in `Preparing`, released once (when the request is sent, or when the turn ends)."""

    def __init__(self, preparing: Preparing) -> None:
        self._preparing: Preparing | None = preparing

    def release(self) -> None:
        preparing, self._preparing = self._preparing, None
        if preparing is not None:
            preparing._release()


@dataclass(frozen=True)
class MoodReport:
    state: MoodState
    events: list[MoodEvent]


@dataclass(frozen=True)
class ForgetReport:
    memories: int
    turns: int
    mood_events: int


@dataclass(frozen=True)
class Prepared:
    """What the consciousness decided before asking the LLM for words."""

    mood: MoodState
    intention: Intention
    recalled: list[Recalled]
    history: list[Turn]
    message: str
    now: datetime
    name: str | None


@dataclass
class Budgets:
    context_tokens: int = 6_000  # what a prompt may use: AIKI_LLM_CONTEXT_TOKENS less AIKI_LLM_MAX_REPLY_TOKENS
    memory_tokens: int = 1_200
    history_turns: int = 12
    # The recent history's share: a small model's long replies filled ~2,000 tokens of a turn-12 prompt (issue 20).
    history_tokens: int = 700
