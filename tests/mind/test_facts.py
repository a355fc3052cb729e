"""The guards of fact learning that need no model (bot/mind/facts.py): what a weak model's answer may teach AIKI,
whether a fact stands on what the person said, and what a new fact does to the known ones when the model can't say.
"""

from __future__ import annotations

import json

import pytest

from bot.memory.models import MemoryKind, ScoredMemory
from bot.mind.facts import SAME_FACT, SAME_SUBJECT, ExtractedFact, decide_by_rules, grounded, parse_facts
from tests.mind.memories import hit


def answer(*items: object) -> str:
    return json.dumps({"facts": list(items)}, ensure_ascii=False)


GOOD = {"key": "pet_name", "text": "Jovnna har en katt som heter Pus", "importance": 0.6}


# -- parse_facts: a weak model's answer -------------------------------------------------------------------------


def test_a_well_formed_answer_gives_its_facts() -> None:
    facts, rejected = parse_facts(answer(GOOD, {"key": "lives_in", "text": "Jovnna bor i Tromsø"}))
    assert [(f.key, f.text) for f in facts] == [
        ("pet_name", "Jovnna har en katt som heter Pus"),
        ("lives_in", "Jovnna bor i Tromsø"),
    ]
    assert facts[1].importance == 0.6 and rejected == []  # no importance given: an ordinary fact's


def test_json_wrapped_in_a_code_fence_and_prose_is_still_read() -> None:
    facts, _ = parse_facts(f"Sure! Here you go:\n```json\n{answer(GOOD)}\n```\nHope that helps.")
    assert [f.text for f in facts] == [GOOD["text"]]


def test_nothing_durable_is_an_empty_list_not_an_error() -> None:
    assert parse_facts('{"facts": []}') == ([], [])


@pytest.mark.parametrize(
    "wrong",
    [
        "I don't see any facts here.",  # no JSON at all
        '{"facts": [',  # cut off
        json.dumps([GOOD]),  # a bare list: the item inside has no "facts"
        json.dumps({"facts": GOOD}),  # one object where a list belongs
        json.dumps({"facts": "none"}),
        json.dumps({"fact": [GOOD]}),  # the wrong name
        "42",
    ],
)
def test_an_answer_of_the_wrong_shape_is_refused_as_a_whole(wrong: str) -> None:
    with pytest.raises(ValueError):
        parse_facts(wrong)


def test_one_bad_item_never_costs_the_good_ones_and_each_is_refused_with_a_reason() -> None:
    facts, rejected = parse_facts(
        answer(
            {"key": "Amita", "text": "Jovnna has a cat"},  # a name where a snake_case key belongs
            "Jovnna has a cat called Pus",  # a bare string
            GOOD,
            {"key": "pet_name"},  # no text
            {"key": "age", "text": "Jovnna er 34", "importance": 7},  # importance out of range
            {"key": "x", "text": "ok"},  # too short to state anything
        )
    )
    assert [f.text for f in facts] == [GOOD["text"]]
    assert [reason.split(" (")[0] for reason in rejected] == ["item 1", "item 2", "item 4", "item 5", "item 6"]
    assert "key:" in rejected[0] and "text:missing" in rejected[2] and "importance:" in rejected[3]


def test_a_reason_names_fields_and_error_kinds_never_the_words_of_the_item() -> None:
    """Reasons go to the log, which never holds what people said (or what a model made of it)."""
    _, rejected = parse_facts(answer({"key": "Amita Secret", "text": "Jovnna's PIN is 4321", "importance": "high"}))
    assert len(rejected) == 1
    assert not any(word in rejected[0] for word in ("Amita", "Secret", "PIN", "4321", "high"))


@pytest.mark.parametrize(
    "text", ["<one sentence stating the fact>", "Jovnna lives in <city>", "The person likes <thing> a lot"]
)
def test_the_prompts_placeholder_echoed_back_is_refused(text: str) -> None:
    facts, rejected = parse_facts(answer({"key": "lives_in", "text": text}, GOOD))
    assert [f.text for f in facts] == [GOOD["text"]]
    assert rejected == ["item 1 (text:placeholder)"]


def test_a_runaway_list_is_read_only_as_far_as_eight_items() -> None:
    many = [{"key": f"fact_{n}", "text": f"Jovnna fact number {n}"} for n in range(1, 21)]
    facts, _ = parse_facts(answer(*many))
    assert [f.key for f in facts] == [f"fact_{n}" for n in range(1, 9)]


# -- grounded: the fact stands on the person's own words ---------------------------------------------------------


def test_a_copied_example_that_shares_no_word_with_the_message_is_not_grounded() -> None:
    """A 135M model answered "Jovnna lives in Tromsø" (the prompt's old example) to "My cat is called Pus."."""
    assert not grounded("Jovnna lives in Tromsø", "My cat is called Pus.", "Jovnna")


def test_a_fact_sharing_a_content_word_with_the_message_is_grounded() -> None:
    assert grounded("Jovnna har en katt som heter Pus", "Katten min heter Pus", "Jovnna")
    assert grounded("Jovnna bor i Tromsø", "Jeg flyttet til Tromsø i fjor", "Jovnna")


def test_a_word_and_its_inflection_meet() -> None:
    assert grounded("Jovnna moved to Tromsø", "I love Tromsøs winters", "Jovnna")
    assert grounded("Jovnna has two daughters", "my daughter starts school", "Jovnna")


def test_a_number_the_person_said_grounds_a_fact() -> None:
    assert grounded("Jovnna er 34 år", "Jeg er 34 nå", "Jovnna")


def test_the_persons_own_name_grounds_nothing() -> None:
    """Every fact names the person: their name in the message proves nothing about the rest."""
    assert not grounded("Jovnna Kaja lives in Oslo", "Hi, Jovnna Kaja here!", "Jovnna Kaja")


def test_the_filler_words_every_fact_uses_ground_nothing() -> None:
    assert not grounded("Jovnna loves her work", "I love my work", "Jovnna")
    assert not grounded("Jovnna har det bra", "Jeg har det", "Jovnna")


# -- decide_by_rules: when the model cannot say what a new fact does ----------------------------------------------


def fact(key: str, text: str = "Jovnna lives in Oslo") -> ExtractedFact:
    return ExtractedFact(key=key, text=text)


def known(text: str, key: str, score: float) -> ScoredMemory:
    return hit(text, score, kind=MemoryKind.FACT, key=key)


def test_a_fact_said_again_merges_with_the_known_one_whatever_its_key() -> None:
    said_before = known("Jovnna lives in Oslo", "home_city", SAME_FACT)
    decision = decide_by_rules(fact("lives_in"), [said_before])
    assert (decision.action, decision.target, decision.by) == ("same", said_before.memory, "rules")


def test_a_fact_is_replaced_only_by_one_about_the_same_thing() -> None:
    bergen = known("Jovnna lives in Bergen", "lives_in", SAME_SUBJECT)
    decision = decide_by_rules(fact("lives_in"), [bergen])
    assert (decision.action, decision.target) == ("update", bergen.memory)


def test_junk_under_the_same_key_does_not_replace_the_known_fact() -> None:
    """A weak model filed "Jovnna is so tired today" under lives_in: the key alone never supersedes."""
    bergen = known("Jovnna lives in Bergen", "lives_in", SAME_SUBJECT - 0.01)
    decision = decide_by_rules(fact("lives_in", "Jovnna is so tired today"), [bergen])
    assert (decision.action, decision.target) == ("add", None)


def test_a_close_fact_under_another_key_is_added_beside_it() -> None:
    sister = known("Jovnna's sister lives in Bergen", "sister_lives_in", 0.8)
    assert decide_by_rules(fact("lives_in", "Jovnna lives in Bergen"), [sister]).action == "add"


def test_saying_the_same_again_wins_over_replacing_a_closer_ranked_one() -> None:
    older_home = known("Jovnna lives in Bergen", "lives_in", 0.7)
    same = known("Jovnna lives in Oslo", "home", 0.95)
    decision = decide_by_rules(fact("lives_in"), [older_home, same])
    assert (decision.action, decision.target) == ("same", same.memory)


def test_with_nothing_known_a_fact_is_added() -> None:
    assert decide_by_rules(fact("lives_in"), []).action == "add"
