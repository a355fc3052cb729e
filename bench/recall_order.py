"""What the model is shown when a person asks about something they told AIKI: is the evidence in the prompt, where,
and can the model tell which statement is the latest?

Four labelled sets (bench/data/recall_order/: knowledge updates, contradictions, temporal pairs, older-is-right
questions; half Norwegian; a dev and a test half fixed in the data). Each case is a person of its own: their
statements and a sample of everyday filler messages are told to AIKI one turn at a time at the moments they were
said, through `Consciousness.respond` (storing, recalling, replying, learning episodes and facts: the product's
own path, on Qdrant Edge, SQLite and the offline embedding model). Then the question is asked the same way and the
prompt the model would get is captured and read: the memory block's lines and the recent history.

The stand-in model answers like a competent one: its replies restate the message (as small real models do, so
AIKI's own words compete with the person's), and fact extraction returns the case's labelled fact, the decision
step links a fact to the known one with the same key. `--facts off` learns episodes only (a model that never
produced usable JSON).

Per set it prints: all evidence in the prompt (memory block or history), the answer statement in the memory block,
its median line there, whether line 1 is evidence / the answer, and for updates whether the prompt shows which
statement is the latest (marked, or dated apart), for older-is-right questions whether the older statement is in
the block with its date.

    .venv/bin/python bench/recall_order.py                    # dev half
    .venv/bin/python bench/recall_order.py --split test       # the final check: not for tuning
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine_line, say  # noqa: E402
from bot.llm import ChatMessage  # noqa: E402
from bot.memory.bank import MemoryBank  # noqa: E402
from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.embedder import ChunkVectors, Embedder, FastEmbedder  # noqa: E402
from bot.memory.models import Vector  # noqa: E402
from bot.mind.core import Consciousness  # noqa: E402
from bot.mind.facts import DECISION_PROMPT, EXTRACTION_PROMPT  # noqa: E402
from bot.mind.persona import read_persona  # noqa: E402
from bot.mind.prompt import MEMORY_CLOSE, MEMORY_OPEN  # noqa: E402
from bot.mind.turn import Incoming, Person  # noqa: E402
from bot.places import Origin, OriginSource  # noqa: E402
from bot.state.store import StateStore  # noqa: E402
from bot.tokens import estimate_tokens  # noqa: E402

DATA = ROOT / "bench" / "data" / "recall_order"
SETS = ("updates", "contradictions", "temporal", "older")
NOW = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Oslo")
NAMES = {"en": "Kari", "no": "Ola"}
FILLER_PER_CASE = 24


@dataclass(frozen=True)
class Said:
    text: str
    days_ago: float
    fact: dict[str, str] | None


@dataclass(frozen=True)
class Case:
    set: str
    id: str
    lang: str
    split: str
    said: tuple[Said, ...]
    question: str
    evidence: tuple[int, ...]
    answer: int


def load(data: Path, set_name: str) -> list[Case]:
    cases = []
    for line in (data / f"{set_name}.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        said = tuple(Said(s["text"], float(s["days_ago"]), s.get("fact")) for s in raw["said"])
        cases.append(
            Case(
                set_name,
                raw["id"],
                raw["lang"],
                raw["split"],
                said,
                raw["question"],
                tuple(raw["evidence"]),
                raw["answer"],
            )
        )
    return cases


def load_filler(data: Path) -> dict[str, list[tuple[str, float]]]:
    filler: dict[str, list[tuple[str, float]]] = {"en": [], "no": []}
    for line in (data / "filler.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            filler[raw["lang"]].append((raw["text"], float(raw["days_ago"])))
    return filler


class CachedEmbedder:
    """The same vectors, each text embedded once: the filler is told to every case's person."""

    def __init__(self, inner: FastEmbedder) -> None:
        self.inner = inner
        self._passages: dict[str, ChunkVectors] = {}
        self._queries: dict[str, Vector] = {}

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dim(self) -> int:
        return self.inner.dim

    async def embed_passages(self, texts: Sequence[str]) -> list[ChunkVectors]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._passages]
        if missing:
            self._passages.update(zip(missing, await self.inner.embed_passages(missing), strict=True))
        return [self._passages[t] for t in texts]

    async def embed_query(self, text: str) -> Vector:
        if text not in self._queries:
            self._queries[text] = await self.inner.embed_query(text)
        return self._queries[text]


@dataclass
class StandIn:
    """A competent model without the wait: restating replies, the labelled facts, key-matching decisions."""

    facts: dict[str, dict[str, str]] = field(default_factory=dict)
    prompts: list[list[ChatMessage]] = field(default_factory=list)

    @property
    def model(self) -> str:
        return "stand-in"

    async def stream(self, messages: Sequence[ChatMessage], temperature: float) -> AsyncIterator[str]:
        self.prompts.append(list(messages))
        said = " ".join(messages[-1].content.split())
        yield f"Oh, {said[:160]} That is good to know. How do you feel about it?"

    async def complete(self, messages: Sequence[ChatMessage], temperature: float, json_mode: bool = False) -> str:
        system, question = messages[0].content, json.loads(messages[-1].content)
        if system == EXTRACTION_PROMPT:
            said = next(iter(question.values()))
            fact = self.facts.get(said)
            return json.dumps({"facts": [{**fact, "importance": 0.7}] if fact else []})
        if system == DECISION_PROMPT:
            new = question["new"]
            for known in question["known"]:
                if known["text"] == new["text"]:
                    return json.dumps({"decision": "same", "id": known["id"]})
            for known in question["known"]:
                if known["key"] == new["key"]:
                    return json.dumps({"decision": "update", "id": known["id"]})
            return json.dumps({"decision": "add"})
        return "{}"

    async def close(self) -> None:
        """Nothing to let go of."""


@dataclass(frozen=True)
class Line:
    text: str  # the line as the model reads it
    day: str  # the date (and time, when shown) in its tag
    latest: bool
    replaced: bool
    aiki: bool


_TAG = re.compile(r"^- \[(?P<tag>[^\]]*)\]")


def block_lines(system: str) -> list[Line]:
    if MEMORY_OPEN not in system:
        return []
    block = system[system.index(MEMORY_OPEN) + len(MEMORY_OPEN) : system.index(MEMORY_CLOSE)]
    lines = []
    for text in block.splitlines():
        match = _TAG.match(text.strip())
        if match is None:
            continue
        tag = match.group("tag")
        parts = [p.strip() for p in tag.split(",")]
        lines.append(Line(text, parts[0], "latest" in tag, "replaced" in tag or "superseded" in tag, "you said" in tag))
    return lines


def escaped(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("</", "<\\/")


@dataclass(frozen=True)
class Result:
    case: Case
    in_block: dict[int, int]  # said index -> first line (0-based) that holds it (episode or its fact)
    in_history: set[int]
    lines: list[Line]
    tokens: int

    def present(self, index: int) -> bool:
        return index in self.in_block or index in self.in_history

    @property
    def evidence_present(self) -> bool:
        return all(self.present(i) for i in self.case.evidence)

    @property
    def answer_line(self) -> int | None:
        return self.in_block.get(self.case.answer)

    @property
    def top_is_evidence(self) -> bool:
        return bool(self.lines) and any(self.in_block.get(i) == 0 for i in self.case.evidence)

    @property
    def top_is_answer(self) -> bool:
        return self.answer_line == 0

    def _line_of(self, index: int) -> Line | None:
        at = self.in_block.get(index)
        return None if at is None else self.lines[at]

    @property
    def latest_marked(self) -> bool:
        """Strictest: every statement in the memory block, the answer marked as the latest (or the others as
        replaced)."""
        answer = self._line_of(self.case.answer)
        others = [self._line_of(i) for i in self.case.evidence if i != self.case.answer]
        if answer is None or any(o is None for o in others):
            return False
        return answer.latest or all(o is not None and o.replaced for o in others)

    @property
    def latest_identifiable(self) -> bool:
        """The latest statement and at least one earlier one are shown, and the latest can be told apart: it is in
        the recent history (newer than anything in the memory block, and in order there), or in the block marked
        as the latest, or dated after every other statement the block shows."""
        answer = self.case.answer
        others = [i for i in self.case.evidence if i != answer]
        if not any(self.present(i) for i in others) or not self.present(answer):
            return False
        if answer in self.in_history:
            return True
        line = self.lines[self.in_block[answer]]
        shown = [self.lines[self.in_block[i]] for i in others if i in self.in_block]
        return line.latest or all(other.replaced or other.day < line.day for other in shown)


async def tell(core: Consciousness, clock: list[datetime], person: Person, text: str, at: datetime) -> None:
    clock[0] = at
    origin = Origin(OriginSource.DM, channel_id=int(person.scope.split("-")[-1]))
    async for _ in core.respond(Incoming(person, text, origin)):
        pass
    await core.drain()


async def run_case(
    core: Consciousness, llm: StandIn, clock: list[datetime], case: Case, number: int, filler: list[tuple[str, float]]
) -> Result:
    person = Person(f"{case.set}-{number}", NAMES[case.lang])
    sample = random.Random(case.id).sample(filler, min(FILLER_PER_CASE, len(filler)))
    timeline = sorted([(s.text, s.days_ago) for s in case.said] + sample, key=lambda item: -item[1])
    for said in case.said:
        if said.fact:
            llm.facts[said.text] = said.fact
    for text, days_ago in timeline:
        await tell(core, clock, person, text, NOW - timedelta(days=days_ago))
    await tell(core, clock, person, case.question, NOW)
    prompt = llm.prompts[-1]
    system, history = prompt[0].content, prompt[1:-1]
    lines = block_lines(system)
    in_block: dict[int, int] = {}
    for index, said in enumerate(case.said):
        wanted = [escaped(f"{person.name}: {said.text}")] + ([escaped(said.fact["text"])] if said.fact else [])
        found = [n for n, line in enumerate(lines) if not line.aiki and any(w in line.text for w in wanted)]
        if found:
            in_block[index] = found[0]
    in_history = {
        i for i, said in enumerate(case.said) if any(m.role == "user" and said.text in m.content for m in history)
    }
    return Result(case, in_block, in_history, lines, sum(estimate_tokens(m.content) for m in prompt))


def share(results: list[Result], test: Any) -> str:
    return f"{sum(1 for r in results if test(r))}/{len(results)}" if results else "-"


def report(results: list[Result]) -> None:
    say(
        f"\n{'set':<15}{'lang':<5}{'n':>4} {'evidence in prompt':>19} {'answer in block':>16} {'answer line':>12} "
        f"{'#1 evidence':>12} {'#1 answer':>10} {'latest shown':>13} {'marked':>8} {'AIKI lines':>11} {'tokens':>7}"
    )
    for set_name in SETS:
        for lang in ("en", "no", "all"):
            chosen = [r for r in results if r.case.set == set_name and lang in ("all", r.case.lang)]
            if not chosen:
                continue
            lines = [r.answer_line + 1 for r in chosen if r.answer_line is not None]
            median = f"{statistics.median(lines):.1f}" if lines else "-"
            aiki = sum(sum(line.aiki for line in r.lines) for r in chosen)
            shown = sum(len(r.lines) for r in chosen)
            identifiable = share(chosen, lambda r: r.latest_identifiable) if set_name == "updates" else ""
            marked = share(chosen, lambda r: r.latest_marked) if set_name == "updates" else ""
            say(
                f"{set_name:<15}{lang:<5}{len(chosen):>4} {share(chosen, lambda r: r.evidence_present):>19} "
                f"{share(chosen, lambda r: r.answer_line is not None):>16} {median:>12} "
                f"{share(chosen, lambda r: r.top_is_evidence):>12} {share(chosen, lambda r: r.top_is_answer):>10} "
                f"{identifiable:>13} {marked:>8} {aiki:>5}/{shown:<5} "
                f"{statistics.median(r.tokens for r in chosen):>7.0f}"
            )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "test", "all"], default="dev")
    parser.add_argument("--sets", nargs="*", choices=SETS, default=list(SETS))
    parser.add_argument("--facts", choices=["on", "off"], default="on", help="learn facts (the stand-in's labels)")
    parser.add_argument("--data", type=Path, default=DATA, help="the folder of the sets")
    parser.add_argument("--why", action="store_true", help="print where each case's statements were")
    parser.add_argument("--show", action="store_true", help="print each missed case's memory block")
    args = parser.parse_args()
    from scripts.test_model import TEST_MODEL, seed_cache

    say(f"recall order: {machine_line()}")
    filler = load_filler(args.data)
    cases = [c for s in args.sets for c in load(args.data, s) if args.split in ("all", c.split)]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="aiki-bench-order-") as tmp:
        folder = Path(tmp)
        fast = FastEmbedder.load(TEST_MODEL, seed_cache(folder / "cache"))
        embedder: Embedder = CachedEmbedder(fast)
        bank = MemoryBank(EdgeMemoryStore(folder / "memory"), embedder)
        state = StateStore(folder / "aiki.db")
        llm = StandIn()
        clock = [NOW]
        core = Consciousness(
            bank, state, llm, read_persona(None), ZONE, clock=lambda: clock[0], learn_facts=args.facts == "on"
        )
        await bank.open()
        await state.open()
        try:
            await core.start()
            for number, case in enumerate(cases, 1):
                results.append(await run_case(core, llm, clock, case, number, filler[case.lang]))
                if number % 10 == 0:
                    say(f"  {number}/{len(cases)} cases")
        finally:
            await core.drain()
            await state.close()
            await bank.close()
            fast.close()
    say(f"split {args.split}, facts {args.facts}")
    report(results)
    if args.why:
        for r in results:
            say(f"  {r.case.id:<12} block {r.in_block} history {sorted(r.in_history)} answer {r.case.answer} "
                f"latest shown {r.latest_identifiable}")  # fmt: skip
    if args.show:
        for result in results:
            if not (result.evidence_present and result.top_is_evidence):
                say(f"\n{result.case.id}: {result.case.question}  in block {result.in_block}")
                for line in result.lines:
                    say(f"   {line.text[:150]}")


if __name__ == "__main__":
    asyncio.run(main())
