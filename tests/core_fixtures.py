"""Building a real consciousness for tests: real memory (Edge), real SQLite, the fake LLM over HTTP, a set clock."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.llm import OpenAICompatibleLLM
from bot.memory.bank import MemoryBank
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.mind.core import Budgets, Consciousness, Incoming, Person
from bot.mind.facts import DECISION_PROMPT
from bot.mind.persona import read_persona
from bot.state.journal import ForgetJournal
from bot.state.store import StateStore
from tests.llm_server import FakeLLMServer

OSLO = ZoneInfo("Europe/Oslo")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Replies:
    """Answers the fake LLM gives: chat replies in order, and fact-extraction JSON by a rule."""

    chat: list[str] = field(default_factory=list)
    facts: Callable[[dict[str, Any]], list[dict[str, Any]]] = lambda body: []
    # The fact-update step (bot/mind/facts.py DECISION_PROMPT); by default an answer the rules must replace.
    decide: Callable[[dict[str, Any]], dict[str, Any]] = lambda body: {}
    default: str = "Hei! Fortell meg mer."

    def __call__(self, body: dict[str, Any]) -> str:
        if body.get("response_format", {}).get("type") == "json_object":
            if body["messages"][0]["content"] == DECISION_PROMPT:
                return json.dumps(self.decide(body))
            return json.dumps({"facts": self.facts(body)})
        return self.chat.pop(0) if self.chat else self.default


def build_core(
    tmp_path: Path,
    embedder: FastEmbedder,
    server: FakeLLMServer,
    clock: Clock,
    timeout_s: float = 5.0,
    api_key: str = "sk-test-key",
    max_retries: int = 0,
    budgets: Budgets | None = None,
    max_reply_tokens: int = 600,
    follow_up_without_asking: bool = False,
) -> Consciousness:
    llm = OpenAICompatibleLLM(server.base_url, api_key, "aiki-test-model", timeout_s, max_retries, max_reply_tokens)
    bank = MemoryBank(EdgeMemoryStore(tmp_path / "memory"), embedder)
    state = StateStore(tmp_path / "aiki.db")
    journal = ForgetJournal(tmp_path / "forget-journal")  # where the product keeps it: AIKI_DATA_DIR/forget-journal
    return Consciousness(
        bank,
        state,
        llm,
        read_persona(None),
        OSLO,
        clock=clock,
        budgets=budgets,
        journal=journal,
        follow_up_without_asking=follow_up_without_asking,
    )


async def open_core(core: Consciousness) -> Consciousness:
    await core.bank.open()
    await core.state.open()
    await core.start()
    return core


async def close_core(core: Consciousness) -> None:
    await core.drain()
    await core.llm.close()
    await core.bank.close()
    await core.state.close()


async def say(core: Consciousness, person: Person, text: str, **kw: Any) -> str:
    """One full turn, as a client would take it: the whole streamed reply, then the learning finished."""
    parts = [chunk async for chunk in core.respond(Incoming(person, text, **kw))]
    await core.drain()
    return "".join(parts)
