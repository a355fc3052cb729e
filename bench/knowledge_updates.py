"""Knowledge updates: when a person says something new about the same thing ("I moved to Tromsø"), does the newer
statement rank above the older one in what AIKI recalls?

Each pair of tests/data/knowledge_updates.jsonl (20 English, 20 Norwegian) is told to AIKI through the product's
own learning path (`learn_from_exchange`, as episodes, 30 days apart), among the other pairs' older statements of
the same language as distractors, in a person of its own; then the question is recalled and ranked exactly as a
turn does (`MemoryBank.recall` + `rank`). A pair counts when the newer statement ranks above the older one (or
the older one is left out while the newer is in).

    .venv/bin/python bench/knowledge_updates.py
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.memory.bank import MemoryBank  # noqa: E402
from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.embedder import FastEmbedder  # noqa: E402
from bot.memory.models import SearchFilter  # noqa: E402
from bot.mind.core import CANDIDATES  # noqa: E402
from bot.mind.learning import Exchange, learn_from_exchange  # noqa: E402
from bot.mind.retrieval import rank  # noqa: E402
from bot.mind.turn import Budgets, Incoming, Person  # noqa: E402

PAIRS = ROOT / "tests" / "data" / "knowledge_updates.jsonl"
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Oslo")


@dataclass(frozen=True)
class Pair:
    lang: str
    old: str
    new: str
    query: str


@dataclass(frozen=True)
class Outcome:
    pair: Pair
    old_rank: int | None
    new_rank: int | None

    @property
    def newer_first(self) -> bool:
        return self.new_rank is not None and (self.old_rank is None or self.new_rank < self.old_rank)


def load_pairs(path: Path = PAIRS) -> list[Pair]:
    return [Pair(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def _tell(bank: MemoryBank, person: Person, text: str, at: datetime) -> None:
    exchange = Exchange(Incoming(person, text), text, "OK.", at)
    await learn_from_exchange(bank, None, exchange, extract_facts_too=False)  # type: ignore[arg-type]


async def measure(bank: MemoryBank, pairs: list[Pair]) -> list[Outcome]:
    """Every pair in a person of its own, through the product's learning and recall path."""
    outcomes: list[Outcome] = []
    for index, pair in enumerate(pairs):
        person = Person(f"ku-{index}", "Jovnna")
        for other in pairs:
            if other.lang == pair.lang and other is not pair:
                await _tell(bank, person, other.old, NOW - timedelta(days=90))
        await _tell(bank, person, pair.old, NOW - timedelta(days=60))
        await _tell(bank, person, pair.new, NOW - timedelta(days=30))
        hits = await bank.recall(pair.query, SearchFilter(scopes=(person.scope,)), CANDIDATES, NOW, ZONE)
        texts = [recalled.hit.memory.text for recalled in rank(hits, Budgets().memory_tokens)]
        outcomes.append(Outcome(pair, _position(texts, pair.old), _position(texts, pair.new)))
    return outcomes


def _position(texts: list[str], said: str) -> int | None:
    return next((i for i, text in enumerate(texts) if said in text), None)


async def main() -> None:
    from scripts.test_model import TEST_MODEL, seed_cache

    pairs = load_pairs()
    with tempfile.TemporaryDirectory() as tmp:
        embedder = FastEmbedder.load(TEST_MODEL, seed_cache(Path(tmp) / "cache"))
        bank = MemoryBank(EdgeMemoryStore(Path(tmp) / "memory"), embedder)
        await bank.open()
        try:
            outcomes = await measure(bank, pairs)
        finally:
            await bank.close()
            embedder.close()
    print(f"{'lang':<5} {'pairs':>5} {'newer first':>12} {'older left out':>15}")
    for lang in ("en", "no", "all"):
        chosen = [o for o in outcomes if lang in ("all", o.pair.lang)]
        first = sum(o.newer_first for o in chosen)
        dropped = sum(o.old_rank is None and o.new_rank is not None for o in chosen)
        print(f"{lang:<5} {len(chosen):>5} {first / len(chosen):>12.0%} {dropped:>15}")
    for outcome in outcomes:
        if not outcome.newer_first:
            print(f"  missed ({outcome.pair.lang}): old at {outcome.old_rank}, new at {outcome.new_rank}")


if __name__ == "__main__":
    asyncio.run(main())
