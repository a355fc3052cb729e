"""Which recalled memories reach a prompt (bot/mind/retrieval.py `rank`): the store's order, no repeats, little of
AIKI's own words, within the budget."""

from __future__ import annotations

from datetime import timedelta

from bot.mind.retrieval import AIKI_LINES, REPEAT_GAP, Recalled, rank
from tests.mind.memories import T0, hit


def texts(chosen: list[Recalled]) -> list[str]:
    return [r.hit.memory.text for r in chosen]


def test_the_stores_order_is_kept_whatever_the_scores_and_ages() -> None:
    """The store fused relevance, recency and importance; a prompt trims from the end, so the order is the ranking."""
    hits = [
        hit("Kari: I live in Bergen", 0.2, T0),
        hit("Kari: my sister is a pilot", 0.9, T0 + timedelta(days=30)),
        hit("Kari: I moved to Oslo", 0.5, T0 - timedelta(days=30)),
    ]
    chosen = rank(hits, budget_tokens=1_000)
    assert texts(chosen) == [h.memory.text for h in hits]
    assert [r.score for r in chosen] == [0.2, 0.9, 0.5]


def test_a_near_duplicate_of_a_better_one_said_in_the_same_conversation_is_left_out() -> None:
    hits = [
        hit("Kari: my cat is called Pixel", 0.9, T0),
        hit("kari: My cat is called Pixel!", 0.8, T0 + REPEAT_GAP),
        hit("Kari: my dog is called Rex", 0.7, T0),
    ]
    assert texts(rank(hits, 1_000)) == ["Kari: my cat is called Pixel", "Kari: my dog is called Rex"]


def test_the_same_thing_said_again_later_stands_in_the_better_ones_place() -> None:
    """Said again a week later, the newer wording is the one shown, where the first ranked."""
    later = hit("Kari: my cat is called Pixel!", 0.5, T0 + timedelta(days=7))
    hits = [hit("Kari: my cat is called Pixel", 0.9, T0), hit("Kari: my dog is called Rex", 0.7, T0), later]
    chosen = rank(hits, 1_000)
    assert texts(chosen) == ["Kari: my cat is called Pixel!", "Kari: my dog is called Rex"]
    assert chosen[0].hit is later


def test_an_older_repeat_ranked_lower_does_not_replace_the_newer_wording() -> None:
    hits = [hit("Kari: my cat is called Pixel!", 0.9, T0 + timedelta(days=7)), hit("Kari: my cat is called Pixel", 0.5)]
    assert texts(rank(hits, 1_000)) == ["Kari: my cat is called Pixel!"]


def test_memories_sharing_some_words_are_not_duplicates() -> None:
    hits = [hit("Kari: my cat is called Pixel", 0.9), hit("Kari: my cat is called Luna now", 0.8)]
    assert len(rank(hits, 1_000)) == 2


def test_at_most_a_few_of_aikis_own_words_however_well_they_ranked() -> None:
    aiki = [hit(f"AIKI: suggestion number {n} about the garden", 0.9, by_aiki=True) for n in range(5)]
    person = [hit("Kari: I planted tulips", 0.3), hit("Kari: the shed roof leaks", 0.2)]
    chosen = rank([*aiki, *person], 1_000)
    assert texts(chosen) == [*(h.memory.text for h in aiki[:AIKI_LINES]), *(h.memory.text for h in person)]


def test_what_does_not_fit_the_budget_is_skipped_and_smaller_ones_after_it_still_come() -> None:
    hits = [
        hit("Kari: my cat is called Pixel", 0.9),
        hit("Kari: a long story about the library " + "and the books and the people there " * 40, 0.8),
        hit("Kari: I live in Tromsø", 0.7),
    ]
    assert texts(rank(hits, budget_tokens=60)) == ["Kari: my cat is called Pixel", "Kari: I live in Tromsø"]
    assert rank(hits, budget_tokens=0) == []


def test_aikis_long_reply_costs_only_as_much_as_it_is_shown() -> None:
    """AIKI's words are shown cut short, so a runaway reply does not eat the room of what the person said."""
    runaway = hit("AIKI: " + "on and on about tulips and sheds, " * 100, 0.9, by_aiki=True)
    person = hit("Kari: I planted tulips", 0.5)
    assert texts(rank([runaway, person], budget_tokens=120)) == [runaway.memory.text, person.memory.text]


def test_no_more_than_the_limit() -> None:
    hits = [hit(f"Kari: memory {n} about topic {n * 7}", 1.0) for n in range(20)]
    assert texts(rank(hits, 10_000, limit=5)) == [h.memory.text for h in hits[:5]]
