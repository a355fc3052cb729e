"""A scripted 12-turn conversation through AIKI's real core against any OpenAI-compatible endpoint.

The owner tells AIKI facts, changes one (a move), asks about earlier ones after they have left the prompt's recent
history, and writes two turns in Norwegian. Everything is the product's own path: `Consciousness` with Qdrant Edge,
SQLite, the offline test embedding model and `OpenAICompatibleLLM`; the only addition is a thin recorder around
the LLM port that keeps what was sent and when the first words came.

Per turn it prints: the prompt's tokens (bot/tokens.py's estimate), the memories in the prompt and how many of
them repeat the history, LLM calls (the reply, fact extraction and fact decisions), time to first token, and
AIKI's own time before the request. At the end: the facts stored and superseded, and whether each recall
question's fact was in its prompt. Target against the test server: turn 12's prompt <= 1,500 tokens, every fact
in its prompt.

    .venv/bin/python bench/live.py                          # against tests/llm_server.py (answers at once)
    .venv/bin/python bench/live.py --base-url http://127.0.0.1:8089/v1 --model smollm2 --context 8192
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.llm import ChatMessage, LLMError, OpenAICompatibleLLM  # noqa: E402
from bot.memory.bank import MemoryBank  # noqa: E402
from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.embedder import FastEmbedder  # noqa: E402
from bot.memory.models import MemoryKind, SearchFilter  # noqa: E402
from bot.mind.core import Consciousness  # noqa: E402
from bot.mind.persona import read_persona  # noqa: E402
from bot.mind.prompt import MEMORY_CLOSE, MEMORY_OPEN  # noqa: E402
from bot.mind.turn import Budgets, Incoming, Person  # noqa: E402
from bot.state.store import StateStore  # noqa: E402
from bot.tokens import estimate_tokens  # noqa: E402
from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402
from tests.core_fixtures import Clock  # noqa: E402

OWNER = Person("1001", "Jovnna")
LONG_REPLY = "That is really interesting, and I would love to hear more about how it went and what you think. "
START = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Line:
    text: str
    expect: str | None = None  # a recall question: this word must be in the prompt it gets


SCRIPT = [
    Line("Hi! I live in Bergen and I work as a nurse at Haukeland hospital."),
    Line("My cat is called Pixel, she is three years old and very curious."),
    Line("I'm building AIKI-HOME, a proxy that keeps me accountable for my ADHD."),
    Line("Today I went hiking on Fløyen, the weather was great."),
    Line("Big news: I moved to Tromsø last week, so I live in Tromsø now!"),
    Line("Jeg har begynt å trene på torsdager, det går bra."),
    Line("What is my cat called?", expect="Pixel"),
    Line("Where do I live now?", expect="Tromsø"),
    Line("Hva jobber jeg som?", expect="nurse"),
    Line("I had pizza for dinner, it was fine."),
    Line("What is the project I'm building called?", expect="AIKI-HOME"),
    Line("Hvilken dag trener jeg?", expect="torsdag"),
]


@dataclass
class Call:
    kind: str  # reply | json
    messages: list[ChatMessage]
    first_token_s: float | None = None


@dataclass
class RecordingLLM:
    """The real LLM adapter, with each call's messages and time to first token kept for the report."""

    inner: OpenAICompatibleLLM
    calls: list[Call] = field(default_factory=list)

    @property
    def model(self) -> str:
        return self.inner.model

    async def stream(self, messages: Sequence[ChatMessage], temperature: float) -> AsyncIterator[str]:
        call = Call("reply", list(messages))
        self.calls.append(call)
        started = time.perf_counter()
        async for chunk in self.inner.stream(messages, temperature):
            if call.first_token_s is None:
                call.first_token_s = time.perf_counter() - started
            yield chunk

    async def complete(self, messages: Sequence[ChatMessage], temperature: float, json_mode: bool = False) -> str:
        self.calls.append(Call("json", list(messages)))
        return await self.inner.complete(messages, temperature, json_mode)

    async def close(self) -> None:
        await self.inner.close()


@dataclass
class Row:
    turn: int
    prompt_tokens: int
    memories: int
    repeats: int
    calls: int
    ttft_s: float | None
    own_ms: float
    expect: str | None
    found: str | None  # where the recall question's fact was: memory, history or missing
    reply: str


def memory_lines(system: str) -> list[str]:
    if MEMORY_OPEN not in system:
        return []
    block = system[system.index(MEMORY_OPEN) + len(MEMORY_OPEN) : system.index(MEMORY_CLOSE)]
    return [line for line in block.splitlines() if line.startswith("- [")]


def quoted_text(line: str) -> str:
    return str(json.loads(line[line.index("] ") + 2 :].replace("<\\/", "</")))


def measure(call: Call, expect: str | None) -> tuple[int, int, int, str | None]:
    system, history = call.messages[0].content, call.messages[1:-1]
    lines = memory_lines(system)
    said = "\n".join(m.content for m in history)
    repeats = sum(1 for line in lines if quoted_text(line).split(": ", 1)[-1][:60] in said)
    remembered = "\n".join(lines).lower()
    found = (
        None
        if expect is None
        else "memory"
        if expect.lower() in remembered
        else "history"
        if expect.lower() in said.lower()
        else "missing"
    )
    return sum(estimate_tokens(m.content) + 3 for m in call.messages) + 3, len(lines), repeats, found


async def converse(core: Consciousness, llm: RecordingLLM, clock: Clock, at: datetime, show_replies: bool) -> list[Row]:
    rows = []
    for number, line in enumerate(SCRIPT, start=1):
        before = len(llm.calls)
        clock.now = at + timedelta(minutes=3 * number)
        try:
            reply = "".join([chunk async for chunk in core.respond(Incoming(OWNER, line.text))])
        except LLMError as exc:
            reply = f"(failed: {exc})"
        await core.drain()
        made = llm.calls[before:]
        answer = next((c for c in made if c.kind == "reply"), None)
        tokens, memories, repeats, found = measure(answer, line.expect) if answer else (0, 0, 0, None)
        rows.append(
            Row(
                number,
                tokens,
                memories,
                repeats,
                len(made),
                answer.first_token_s if answer else None,
                core.last_reply.prepare_ms,
                line.expect,
                found,
                reply,
            )  # fmt: skip
        )
        if show_replies:
            print(f"  {number:>2} > {line.text}\n     < {reply[:200]!r}", flush=True)
    return rows


async def facts_of(core: Consciousness) -> tuple[list[str], list[str]]:
    where = SearchFilter((OWNER.scope,), kinds=(MemoryKind.FACT,), include_superseded=True)
    facts = [hit.memory for hit in await core.bank.search("Jovnna", where, 50)]
    return [f.text for f in facts if not f.superseded_by], [f.text for f in facts if f.superseded_by]


def report(rows: list[Row], current: list[str], superseded: list[str]) -> None:
    print("\n| turn | prompt tokens | memories | repeat history | LLM calls | first token s | AIKI ms | recall |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        ttft = f"{r.ttft_s:.2f}" if r.ttft_s is not None else "-"
        recall = (
            "" if r.expect is None else f"{r.expect}: {'MISSING' if r.found == 'missing' else 'in ' + str(r.found)}"
        )
        print(f"| {r.turn} | {r.prompt_tokens:,} | {r.memories} | {r.repeats} | {r.calls} | {ttft} | "
              f"{r.own_ms:.0f} | {recall} |")  # fmt: skip
    tokens = [r.prompt_tokens for r in rows]
    asked = [r for r in rows if r.expect]
    print(f"\nprompt tokens: median {statistics.median(tokens):,.0f}, turn 12 {tokens[-1]:,}, max {max(tokens):,}")
    from_memory = sum(r.found == "memory" for r in asked)
    from_history = sum(r.found == "history" for r in asked)
    print(f"recall questions with their fact in the memory block: {from_memory}/{len(asked)} (only in the history: "
          f"{from_history}, missing: {len(asked) - from_memory - from_history})")  # fmt: skip
    print(f"memories repeating the history: {sum(r.repeats for r in rows)} of {sum(r.memories for r in rows)}")
    print(f"facts stored: {len(current)} current, {len(superseded)} superseded")
    for text in current:
        print(f"  current   : {text[:100]}")
    for text in superseded:
        print(f"  superseded: {text[:100]}")


async def run(args: argparse.Namespace) -> None:
    server = None
    base_url = args.base_url
    if base_url is None:
        from tests.core_fixtures import Replies
        from tests.llm_server import FakeLLMServer

        server = FakeLLMServer().start()
        # --long-replies: a small model's habit, a reply that runs to the cap (~4 characters a token).
        default = LONG_REPLY * (args.max_reply * 4 // len(LONG_REPLY)) if args.long_replies else "Det høres fint ut!"
        server.responder = Replies(default=default)
        base_url = server.base_url
    with tempfile.TemporaryDirectory(prefix="aiki-bench-live-") as directory:
        folder = Path(directory)
        embedder = FastEmbedder.load(TEST_MODEL, seed_cache(args.cache_dir))
        inner = OpenAICompatibleLLM(base_url, args.api_key, args.model, args.timeout, 0, args.max_reply)
        llm = RecordingLLM(inner)
        bank = MemoryBank(EdgeMemoryStore(folder / "memory"), embedder)
        state = StateStore(folder / "aiki.db")
        budgets = Budgets(context_tokens=args.context - args.max_reply)
        clock = Clock(START)
        oslo = ZoneInfo("Europe/Oslo")
        core = Consciousness(bank, state, llm, read_persona(None), oslo, clock=clock, budgets=budgets)
        await bank.open()
        await state.open()
        await core.start()
        try:
            print(f"endpoint {base_url} model {args.model}; window {args.context}, replies <= {args.max_reply} tokens")
            rows = await converse(core, llm, clock, START, args.show_replies)
            current, superseded = await facts_of(core)
        finally:
            await core.drain()
            await llm.close()
            await bank.close()
            await state.close()
            embedder.close()
            if server is not None:
                server.stop()
    report(rows, current, superseded)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", help="an OpenAI-compatible endpoint (default: the test server, in-process)")
    parser.add_argument("--api-key", default="none")
    parser.add_argument("--model", default="aiki-test-model")
    parser.add_argument("--context", type=int, default=8_192, help="the model's window (AIKI_LLM_CONTEXT_TOKENS)")
    parser.add_argument("--max-reply", type=int, default=600, help="AIKI_LLM_MAX_REPLY_TOKENS")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per LLM call (a CPU model is slow)")
    parser.add_argument(
        "--long-replies", action="store_true", help="the test server's replies run to the reply cap, as small models do"
    )
    parser.add_argument("--show-replies", action="store_true", help="print each message and reply")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "test-model")
    asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
