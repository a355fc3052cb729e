"""A newer statement about the same thing outranks the older one in what a turn recalls, with or without an LLM."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.knowledge_updates import load_pairs, measure
from bot.memory.bank import MemoryBank
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.memory.models import Memory, MemoryKind, ScoredMemory
from bot.mind.retrieval import rank

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def hit(text: str, days: int, score: float) -> ScoredMemory:
    return ScoredMemory(
        Memory(f"id-{days}", "1", MemoryKind.EPISODE, text, created_at=T0 + timedelta(days=days)), score
    )


def test_the_newer_statement_about_the_same_subject_goes_first_and_others_keep_their_place() -> None:
    ranked = rank(
        [
            hit("Jovnna: I live in Bergen, close to the fish market.\nAIKI: Nice!", 1, 0.9),
            hit("Jovnna: My sister is a pilot.\nAIKI: Cool.", 3, 0.8),
            hit("Jovnna: I moved to Tromsø, so I live in Tromsø now.\nAIKI: Exciting!", 30, 0.7),
        ],
        budget_tokens=1_000,
    )
    assert [r.hit.memory.created_at.day for r in ranked] == [31, 2, 4]


def test_a_statement_said_again_later_keeps_its_newer_wording() -> None:
    ranked = rank([hit("I drink coffee every morning", 1, 0.9), hit("I drink coffee every morning!", 20, 0.8)], 1_000)
    assert [r.hit.memory.created_at.day for r in ranked] == [21]  # at the older one's (better) place


async def test_knowledge_updates_rank_newer_first_through_the_products_learning_and_recall(
    tmp_path: Path, embedder: FastEmbedder
) -> None:
    """A quarter of tests/data/knowledge_updates.jsonl (both languages); bench/knowledge_updates.py runs all 40."""
    pairs = load_pairs()[::4]
    bank = MemoryBank(EdgeMemoryStore(tmp_path / "memory"), embedder)
    await bank.open()
    try:
        outcomes = await measure(bank, pairs)
    finally:
        await bank.close()
    assert {o.pair.lang for o in outcomes} == {"en", "no"}
    assert sum(o.newer_first for o in outcomes) / len(outcomes) >= 0.9
