"""Facts learned the way a weak real model answers: copied examples, half-bad lists, keys that lie."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.memory.models import Memory, MemoryKind, SearchFilter
from bot.mind.core import Consciousness, Person
from bot.mind.facts import EXTRACTION_PROMPT
from tests.core_fixtures import Replies, say
from tests.llm_server import FakeLLMServer

JOVNNA = Person("111", "Jovnna")


async def facts_of(core: Consciousness, superseded: bool = False) -> list[Memory]:
    where = SearchFilter((JOVNNA.scope,), kinds=(MemoryKind.FACT,), include_superseded=superseded)
    return [hit.memory for hit in await core.bank.search("Jovnna", where, 20)]


def extraction_requests(server: FakeLLMServer) -> list[dict[str, Any]]:
    return [b for b in server.chat_requests if b["messages"][0]["content"] == EXTRACTION_PROMPT]


async def test_the_extraction_example_is_a_placeholder_and_a_copied_fact_is_not_learned(
    core: Consciousness, server: FakeLLMServer, replies: Replies
) -> None:
    """A 135M model answered "Jovnna lives in Tromsø" (the prompt's old example) to "My cat is called Pus."."""
    assert "Tromsø" not in EXTRACTION_PROMPT and "<what the fact is about>" in EXTRACTION_PROMPT
    replies.facts = lambda body: [{"key": "lives_in", "text": "Jovnna lives in Tromsø", "importance": 0.7}]
    await say(core, JOVNNA, "My cat is called Pus.")
    assert await facts_of(core) == []


async def test_facts_come_from_the_persons_words_not_from_aikis_reply(
    core: Consciousness, server: FakeLLMServer, replies: Replies
) -> None:
    replies.chat = ["I've just updated your service to support VPNs!"]
    await say(core, JOVNNA, "Jeg jobber med AIKI-HOME i kveld")
    [request] = extraction_requests(server)
    sent = json.dumps(request["messages"])
    assert "AIKI-HOME" in sent and "VPN" not in sent


async def test_one_bad_item_never_costs_the_good_facts_of_the_same_answer(
    core: Consciousness, replies: Replies, caplog: pytest.LogCaptureFixture
) -> None:
    replies.facts = lambda body: [
        {"key": "Amita", "text": "Jovnna has a cat"},  # a name as key
        "Jovnna has a cat called Pus",  # a bare string
        {"key": "pet_name", "text": "<one sentence stating the fact>"},  # the placeholder echoed
        {"key": "pet_name", "text": "Jovnna har en katt som heter Pus", "importance": 0.6},
    ]
    with caplog.at_level(logging.WARNING):
        await say(core, JOVNNA, "Katten min heter Pus")
    assert [m.text for m in await facts_of(core)] == ["Jovnna har en katt som heter Pus"]
    assert caplog.text.count("fact extraction skipped item") == 3
    assert "Pus" not in caplog.text  # why an item was refused, never what it said


async def test_a_fact_is_superseded_only_by_one_about_the_same_thing_not_by_its_key(
    core: Consciousness, replies: Replies
) -> None:
    said = [
        [{"key": "lives_in", "text": "Jovnna bor i Tromsø", "importance": 0.7}],
        [{"key": "lives_in", "text": "Jovnna er så sliten i dag", "importance": 0.7}],  # junk under the key
    ]
    replies.facts = lambda body: said.pop(0) if said else []
    await say(core, JOVNNA, "Jeg bor i Tromsø")
    await say(core, JOVNNA, "Jeg er så sliten i dag")
    current = [m.text for m in await facts_of(core)]
    assert "Jovnna bor i Tromsø" in current  # still the answer to "where does Jovnna live?"


async def test_the_models_update_decision_is_followed_when_it_names_a_fact_it_was_shown(
    core: Consciousness, replies: Replies
) -> None:
    said = [
        [{"key": "works_at", "text": "Jovnna jobber på biblioteket i Tromsø", "importance": 0.7}],
        [{"key": "job", "text": "Jovnna jobber nå på sykehuset i Tromsø", "importance": 0.7}],
    ]
    replies.facts = lambda body: said.pop(0) if said else []
    replies.decide = lambda body: {"decision": "update", "id": "f1"}
    await say(core, JOVNNA, "Jeg jobber på biblioteket i Tromsø")
    await say(core, JOVNNA, "Jeg jobber nå på sykehuset i Tromsø")
    assert [m.text for m in await facts_of(core)] == ["Jovnna jobber nå på sykehuset i Tromsø"]
    old = next(m for m in await facts_of(core, superseded=True) if "biblioteket" in m.text)
    assert old.superseded_by is not None  # kept as history: "where did you get that?"


async def test_a_decision_naming_a_fact_it_was_not_shown_falls_back_to_the_rules(
    core: Consciousness, replies: Replies
) -> None:
    said = [
        [{"key": "pet_name", "text": "Jovnna har en katt som heter Pus", "importance": 0.6}],
        [{"key": "pet_name", "text": "Jovnna har en katt som heter Pus", "importance": 0.6}],
    ]
    replies.facts = lambda body: said.pop(0) if said else []
    replies.decide = lambda body: {"decision": "update", "id": "f99"}
    await say(core, JOVNNA, "Katten min heter Pus")
    await say(core, JOVNNA, "Katten min heter fortsatt Pus")
    [fact] = await facts_of(core, superseded=True)
    assert fact.meta["confirmations"] == 2  # the rules saw the same fact: merged, nothing superseded
