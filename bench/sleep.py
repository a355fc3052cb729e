"""Sleep benchmark (issue 22): REALTALK replayed live, then one sleep pass per person with the test LLM server.

Each conversation is stored as AIKI stores what it is told (bench/retrieval.py's live layout: the first speaker is
the person, the other is AIKI), in a real Qdrant Edge store and SQLite, behind a real `Consciousness`. Then
`Consciousness.sleep` runs once per person, the product's own pass, against tests/llm_server.py answering by rule:
extraction returns the person's own "I ..." sentences about work, home, family and likes as facts, the update
decision is left to the rules (an unusable answer), the profile joins the facts, and the reflection step gets one
observation citing the memories it was shown that share the most frequent content word (the product then validates
it as it would any model's). Reported:

* memories before/after the pass, and what the pass did (merges, facts, profiles, reflections written);
* recall@10 of the evidence before/after, through `MemoryBank.recall` as in bench/retrieval.py; after the pass a
  merged episode holds the turns of those it absorbed, a fact the turns of the episode it was said in, a profile
  none; by category too (REALTALK's multi-session questions are category 1... as the data labels them);
* tokens per 100 turns (estimated with bot/tokens.py over what was sent and answered) and seconds per pass.

    python bench/sleep.py ../shared/data/realtalk [--limit 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.retrieval import (  # noqa: E402
    ADD_BATCH,
    Conversation,
    Scores,
    TimedEmbedder,
    ask,
    asked_of_aiki,
    live_memories,
    load,
)
from bot.llm import OpenAICompatibleLLM  # noqa: E402
from bot.memory.bank import MemoryBank  # noqa: E402
from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.embedder import FastEmbedder  # noqa: E402
from bot.memory.hybrid import Mode  # noqa: E402
from bot.memory.models import Memory  # noqa: E402
from bot.memory.port import every_memory  # noqa: E402
from bot.mind.core import Consciousness  # noqa: E402
from bot.mind.facts import DECISION_PROMPT, EXTRACTION_PROMPT  # noqa: E402
from bot.mind.persona import read_persona  # noqa: E402
from bot.mind.profile import PROFILE_PROMPT  # noqa: E402
from bot.mind.reflection import REFLECTION_PROMPT  # noqa: E402
from bot.mind.sleep import SleepReport  # noqa: E402
from bot.state.store import StateStore  # noqa: E402
from bot.tokens import estimate_tokens  # noqa: E402
from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402
from tests.llm_server import FakeLLMServer  # noqa: E402

UTC_ZONE = ZoneInfo("UTC")
_FACT_CUE = re.compile(
    r"\b(I (?:work|live|study|love|moved|have a|am a|'m a)|my (?:job|wife|husband|son|daughter))\b", re.I
)
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


class RuleModel:
    """The test server's answers by prompt, with the tokens of every call counted (sent and answered)."""

    def __init__(self) -> None:
        self.tokens = 0
        self.calls: Counter[str] = Counter()

    def __call__(self, body: dict[str, Any]) -> str:
        system, asked = body["messages"][0]["content"], body["messages"][-1]["content"]
        if system == EXTRACTION_PROMPT:
            kind, answer = "extract", json.dumps({"facts": self._facts(asked)})
        elif system == DECISION_PROMPT:
            kind, answer = "decide", "{}"
        elif system == PROFILE_PROMPT:
            kind, answer = "profile", json.dumps({"profile": " ".join(json.loads(asked)["facts"][:5])})
        elif system == REFLECTION_PROMPT:
            kind, answer = "reflect", json.dumps({"reflections": self._reflections(json.loads(asked))})
        else:
            kind, answer = "chat", "OK"
        self.calls[kind] += 1
        self.tokens += sum(estimate_tokens(m["content"]) + 4 for m in body["messages"]) + estimate_tokens(answer)
        return answer

    @staticmethod
    def _reflections(shown: dict[str, Any]) -> list[dict[str, Any]]:
        return _reflection_rule(shown)

    @staticmethod
    def _facts(asked: str) -> list[dict[str, Any]]:
        name, said = next(iter(json.loads(asked).items()))
        found = []
        for sentence in (s for line in said.splitlines() for s in _SENTENCES.split(line)):
            if _FACT_CUE.search(sentence) and 12 <= len(sentence) <= 300:
                key = re.sub(r"\W+", "_", _FACT_CUE.search(sentence).group(1).lower()).strip("_")  # type: ignore[union-attr]
                found.append({"key": key, "text": f"{name} said: {sentence.strip()}", "importance": 0.6})
        return found[:3]


_CONTENT = re.compile(r"[A-Za-z]{5,}")


def _reflection_rule(shown: dict[str, Any]) -> list[dict[str, Any]]:
    """One observation: the word most of the shown memories share, and the memories that say it."""
    words = Counter(w.lower() for m in shown["memories"] for w in set(_CONTENT.findall(m["text"])))
    name = set(str(shown["person"]).lower().split())
    common = [w for w, n in words.most_common() if n >= 2 and w not in name]
    if not common:
        return []
    cited = [m for m in shown["memories"] if common[0] in m["text"].lower()]
    quote = cited[0]["text"].split(": ", 1)[-1][:160]
    return [
        {"text": f"{shown['person']} keeps coming back to {common[0]}: {quote}", "sources": [m["id"] for m in cited]}
    ]


def held_after(memory: Memory, before: dict[str, list[int]]) -> list[int]:
    """The evidence turns a memory holds after a pass: its own, its absorbed repeats', its source episode's."""
    ids = [memory.id, *memory.meta.get("absorbed", []), *([memory.meta["said_in"]] if "said_in" in memory.meta else [])]
    return sorted({turn for i in ids for turn in before.get(str(i), [])})


async def all_memories(bank: MemoryBank, scope: str) -> list[Memory]:
    return await every_memory(bank, scope)


def recall_at_10(scores: Scores) -> tuple[float, dict[str, float]]:
    values = [v[2] for _, v in scores.per_question]  # KS = (1, 5, 10, 20): index 2 is R@10
    by_category = {
        c: float(np.mean([v[2] for cat, v in scores.per_question if cat == c]))
        for c in sorted({c for c, _ in scores.per_question})
    }
    return float(np.mean(values)), by_category


async def run(args: argparse.Namespace) -> None:
    conversations: list[Conversation] = load(args.data)[: args.limit or None]
    inner = FastEmbedder.load(TEST_MODEL, seed_cache(args.cache_dir))
    embedder = TimedEmbedder(inner)
    model = RuleModel()
    hybrid = {"hybrid": (Mode.HYBRID, {})}
    before, after = Scores(), Scores()
    reports: list[SleepReport] = []
    seconds: list[float] = []
    turns = sum(len(c.turns) for c in conversations)
    with tempfile.TemporaryDirectory(prefix="aiki-bench-sleep-") as folder, FakeLLMServer() as server:
        server.responder = model
        bank = MemoryBank(EdgeMemoryStore(Path(folder) / "memory"), embedder)  # type: ignore[arg-type]
        state = StateStore(Path(folder) / "aiki.db")
        llm = OpenAICompatibleLLM(server.base_url, "sk-bench", "aiki-bench", 30.0, 0, 600)
        await bank.open()
        await state.open()
        try:
            plans = [(c, f"person-{n}", live_memories(c, f"person-{n}")) for n, c in enumerate(conversations)]
            memories = [memory for _, _, placed in plans for memory, _ in placed]
            print(f"replaying {len(conversations)} conversations: {len(memories):,} memories ...", file=sys.stderr)
            for i in range(0, len(memories), ADD_BATCH):
                await bank.add(memories[i : i + ADD_BATCH])
            # Each pass runs the day after its conversation's last turn (when bench/retrieval.py asks, too): what was
            # important lately, for the reflections, is that conversation's last week.
            moment = [max(t.when for c in conversations for t in c.turns) + timedelta(days=1)]
            core = Consciousness(
                bank, state, llm, read_persona(None), UTC_ZONE, clock=lambda: moment[0], learn_facts=False
            )
            for conversation, scope, placed in plans:
                moment[0] = max(t.when for t in conversation.turns) + timedelta(days=1)
                ids = {memory.build().id: held for memory, held in placed}
                asked = asked_of_aiki(conversation)
                await ask(bank, embedder, asked, scope, ids, {"hybrid": hybrid["hybrid"]}, {"hybrid": before})
                started = time.perf_counter()
                reports.append(await core.sleep(scope))
                seconds.append(time.perf_counter() - started)
                print(reports[-1].summary(), file=sys.stderr)
                held = {m.id: held_after(m, ids) for m in await all_memories(bank, scope)}
                await ask(bank, embedder, asked, scope, held, {"hybrid": hybrid["hybrid"]}, {"hybrid": after})
        finally:
            await llm.close()
            await state.close()
            await bank.close()
            inner.close()
    r_before, cat_before = recall_at_10(before)
    r_after, cat_after = recall_at_10(after)
    facts: Counter[str] = Counter()
    for report in reports:
        facts.update(report.facts)
    print("\n## Sleep benchmark\n")
    print(f"- Command: python bench/sleep.py {' '.join(sys.argv[1:])}")
    asked = len(before.per_question)
    print(f"- {len(conversations)} conversations, {turns:,} turns, {asked} questions; embedding model: {TEST_MODEL}")
    print(
        f"- memories: {sum(r.memories_before for r in reports):,} before, {sum(r.memories_after for r in reports):,} "
        f"after; merged {sum(r.merged for r in reports)}, facts {dict(facts)}, "
        f"profiles {dict(Counter(r.profile for r in reports))}"
    )
    print(
        f"- reflections written: {sum(r.reflections for r in reports)} "
        f"(passes: {dict(Counter(r.reflection for r in reports))})"
    )
    print(f"- recall@10 of the evidence: {r_before:.3f} before, {r_after:.3f} after")
    for category in cat_before:
        print(f"  - category {category}: {cat_before[category]:.3f} -> {cat_after[category]:.3f}")
    print(f"- model calls {dict(model.calls)}; tokens per 100 turns: {100 * model.tokens / max(1, turns):,.0f}")
    print(f"- seconds per pass: median {statistics.median(seconds):.2f}, max {max(seconds):.2f}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("data", type=Path, help="REALTALK directory (Chat_*.json)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N conversations")
    parser.add_argument("--cache-dir", type=Path, default=ROOT / ".cache" / "test-model")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
