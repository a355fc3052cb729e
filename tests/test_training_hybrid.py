"""The hybrid export (issue 26, item 1): an example's context is the prompt the live turn built at that moment, and
never holds the reply it teaches.

Real turns go through the real core (Edge memory, SQLite, the stand-in LLM recording every request, a set clock),
learning as it does after each reply; then `aiki finetune export --hybrid` runs on the same data folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.memory.embedder import FastEmbedder
from bot.mind.core import Consciousness, Person
from bot.places import Origin, OriginSource
from scripts.test_model import TEST_MODEL
from tests.core_fixtures import Clock, Replies, build_core, close_core, open_core, say
from tests.llm_server import FakeLLMServer
from tests.training_fixtures import OWNER

PERSON = Person(OWNER, None)  # no display name: it is not stored, so an export cannot know it
TOLD_BEFORE = "Jovnna jobber som nettverksingeniør og kan mye om proxyer og brannmurer."
FIRST = [  # the first conversation AIKI has with the person
    ("Jeg har begynt å bygge en proxy som heter AIKI-HOME.", "Så spennende! Hva skal AIKI-HOME gjøre for deg?"),
    ("Den skal blokkere sosiale medier om kvelden.", "Lurt. Da får du kveldene dine tilbake, tenker jeg."),
    ("Jeg er sliten i dag, men fornøyd med proxyen.", "Godt å høre at du er fornøyd, selv om du er sliten."),
]
LEARNED_LATER = "Jovnna tester AIKI-HOME ved å åpne blokkerte sider om kvelden."  # a fact from LATER's first message
LATER = [  # two days later: a new conversation
    ("Hvordan tester jeg proxyen AIKI-HOME best?", "Prøv å åpne en blokkert side en kveld og se om den stopper deg."),
    ("Den stoppet meg! Takk for tipset.", "Så bra! Da virker blokkeringen slik du ville."),
]


@dataclass
class Lived:
    data: Path
    prompts: dict[str, list[tuple[str, str]]]  # the person's message -> the messages the live turn sent


async def live_through(data: Path, embedder: FastEmbedder, server: FakeLLMServer, replies: Replies) -> Lived:
    """Both conversations, lived through the core in `data`; a memory told a week before the first."""
    clock = Clock()
    core: Consciousness = await open_core(build_core(data, embedder, server, clock))
    fact = {"key": "testing", "text": LEARNED_LATER, "importance": 0.7}
    replies.facts = lambda body: [fact] if LATER[0][0] in json.dumps(body, ensure_ascii=False) else []
    try:
        clock.advance(days=-7)
        await core.remember(PERSON, TOLD_BEFORE, Origin(OriginSource.CLI))
        clock.advance(days=7)
        for conversation in (FIRST, LATER):
            for question, answer in conversation:
                replies.chat.append(answer)
                clock.advance(minutes=2)
                assert await say(core, PERSON, question) == answer
            clock.advance(days=2)
    finally:
        await close_core(core)
    prompts = {}
    for body in server.chat_requests:
        if body.get("stream"):
            sent = [(m["role"], m["content"]) for m in body["messages"]]
            prompts[sent[-1][1]] = sent
    return Lived(data, prompts)


@pytest.fixture
async def lived(tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer, replies: Replies) -> Lived:
    return await live_through(tmp_path, embedder, server, replies)


def export(lived: Lived, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[dict[str, Any]]]:
    for key, value in {
        "AIKI_DATA_DIR": str(lived.data),
        "AIKI_OWNER_IDS": OWNER,
        "AIKI_EMBEDDING_MODEL": TEST_MODEL,
        "AIKI_MODEL_CACHE_DIR": str(model_cache),
        "AIKI_TIMEZONE": "Europe/Oslo",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(lived.data)
    assert main(["-q", "finetune", "models", "--aiki", "aiki-test-model"]) == 0  # the stand-in speaks as AIKI here
    train = lived.data / "train.jsonl"
    args = ["-q", "finetune", "export", str(train), "--hybrid", "--weights", "--validation", "0", "--no-dedupe"]
    assert main(args) == 0
    return [json.loads(line)["messages"] for line in train.read_text(encoding="utf-8").splitlines()]


def pairs(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in messages]


def test_an_example_is_the_live_prompt_of_its_moment_and_never_holds_its_own_targets(
    lived: Lived, model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, later = export(lived, model_cache, monkeypatch)
    *context, target = first
    assert target == {"role": "assistant", "content": FIRST[-1][1], "weight": 1}
    assert pairs(context) == lived.prompts[FIRST[-1][0]]  # system (persona, time, mood, intention, memories), turns
    assert TOLD_BEFORE in context[0]["content"]  # known a week before: among the memories

    # Two days later: the live history (the first conversation) comes first, as context that is not learned again.
    *context, target = later
    live = lived.prompts[LATER[-1][0]]
    assert pairs(context[1:]) == live[1:] and target["weight"] == 1
    assert [m.get("weight") for m in later if m["role"] == "assistant"] == [0, 0, 0, 1, 1]
    # The fact learned from its first learned exchange is in the live prompt of the second, not in the example:
    # the example also teaches the first reply, which was written before that fact was learned.
    assert LEARNED_LATER in live[0][1] and LEARNED_LATER not in later[0]["content"]

    for example in (first, later):
        system = example[0]["content"]
        first_learned = next(i for i, m in enumerate(example) if m.get("weight") == 1)
        for index, message in enumerate(example):
            if message.get("weight") == 1:
                assert message["content"] not in system  # not among the memories
                assert all(message["content"] != earlier["content"] for earlier in example[1:index])
        for said in example[first_learned - 1 :]:  # the first message it learns to answer, and all after it
            assert said["content"] not in system
