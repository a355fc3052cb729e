"""Sleep (issue 22): a consolidation pass per person, with the real core, Qdrant Edge, SQLite and the HTTP test LLM."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.memory.bank import NewMemory
from bot.memory.models import Memory, MemoryKind
from bot.mind.core import Consciousness, Person
from bot.mind.facts import DECISION_PROMPT, EXTRACTION_PROMPT
from bot.mind.profile import PROFILE_PROMPT
from bot.mind.reflection import REFLECTION_PROMPT
from bot.places import Origin, OriginSource, strictest_place
from bot.state.store import StateStore
from tests.conftest import ROOT
from tests.core_fixtures import START, Clock, build_core, close_core, open_core, say
from tests.llm_server import FakeLLMServer

KARI = Person("111", "Kari")
DM = Origin(OriginSource.DM, channel_id=5)
IN_A = Origin(OriginSource.CHANNEL, guild_id=9001, channel_id=71)
IN_B = Origin(OriginSource.CHANNEL, guild_id=9002, channel_id=81)


@dataclass
class Mind:
    """The test model's answers by prompt: facts from "I live in X" / "I work at X", a profile, a chat reply."""

    profile: str | None = None  # None: a profile that repeats the facts' words
    extraction: list[str | None] = field(default_factory=list)  # scripted raw answers first (None: by the rule)
    extractions: list[str] = field(default_factory=list)  # what each extraction call was shown
    reflection: str | None = None  # a raw answer to the reflection prompt (None: one built from what it was shown)
    reflections: list[dict[str, Any]] = field(default_factory=list)  # what each reflection call was shown

    def __call__(self, body: dict[str, Any]) -> str:
        system, asked = body["messages"][0]["content"], body["messages"][-1]["content"]
        if system == EXTRACTION_PROMPT:
            self.extractions.append(asked)
            scripted = self.extraction.pop(0) if self.extraction else None
            return scripted if scripted is not None else json.dumps({"facts": _facts(asked)})
        if system == DECISION_PROMPT:
            return "{}"  # unusable: the rules decide
        if system == REFLECTION_PROMPT:
            shown = json.loads(asked)
            self.reflections.append(shown)
            if self.reflection is not None:
                return self.reflection
            about = [m for m in shown["memories"] if "deadline" in m["text"]]  # what the tests below worry about
            if len(about) < 2:
                return json.dumps({"reflections": []})
            first = about[0]["text"].split(": ", 1)[-1]
            cited = [m["id"] for m in about]
            return json.dumps({"reflections": [{"text": f"Kari keeps coming back to this: {first}", "sources": cited}]})
        if system == PROFILE_PROMPT:
            facts = json.loads(asked)["facts"]
            return json.dumps({"profile": self.profile if self.profile is not None else " ".join(facts)})
        return "Fint!"


def _facts(asked: str) -> list[dict[str, Any]]:
    said = next(iter(json.loads(asked).values()))
    found = []
    for line in said.splitlines():
        for cue, key in (("I live in ", "lives_in"), ("I work at ", "works_at")):
            if cue in line:
                place = line.split(cue, 1)[1].split()[0].strip(".")
                found.append({"key": key, "text": f"Kari {key.replace('_', ' ')} {place}.", "importance": 0.7})
    return found


@pytest.fixture
def mind(server: FakeLLMServer) -> Mind:
    server.reset()
    answers = Mind()
    server.responder = answers
    return answers


@pytest.fixture
async def core(tmp_path: Path, embedder: Any, server: FakeLLMServer, mind: Mind) -> Any:
    made = await open_core(build_core(tmp_path, embedder, server, Clock(START + timedelta(days=3))))
    made.learn_facts = False  # what the pass learns, not what turns learned
    yield made
    await close_core(made)


async def said(
    core: Consciousness, text: str, origin: Origin = DM, minutes: int = 0, importance: float = 0.3
) -> Memory:
    """An episode of Kari's, as learning after a turn stores one (no turn: the pass is what is tested)."""
    new = NewMemory(
        KARI.scope, f"Kari: {text}", MemoryKind.EPISODE, importance, origin,
        created_at=START + timedelta(minutes=minutes), speaker="Kari",
    )  # fmt: skip
    return await core.bank.add_one(new)


async def everything(core: Consciousness) -> list[Memory]:
    return (await core.list_memories(KARI, 200, None))[0]


def of_kind(memories: list[Memory], kind: MemoryKind) -> list[Memory]:
    return [m for m in memories if m.kind is kind]


async def test_a_repeat_merges_within_its_place_and_never_across_places(core: Consciousness) -> None:
    first = await said(core, "The deadline for AIKI-HOME is Friday", importance=0.9, minutes=1)
    recalled = first.with_changes(last_recalled_at=START + timedelta(days=1))
    await core.bank.update(KARI.scope, first.id, recalled)
    again = await said(core, "The deadline for AIKI-HOME is Friday!", minutes=30)
    in_server = await said(core, "The deadline for AIKI-HOME is Friday", IN_A, minutes=40)
    elsewhere = await said(core, "The deadline for AIKI-HOME is Friday", IN_B, minutes=50)

    report = await core.sleep(KARI.scope)

    episodes = {m.id: m for m in of_kind(await everything(core), MemoryKind.EPISODE)}
    assert report.merged == 1 and first.id not in episodes
    stands = episodes[again.id]  # the newest wording, with what the older one had
    assert stands.text.endswith("Friday!") and stands.meta["absorbed"] == [first.id]
    assert stands.importance == pytest.approx(0.9) and stands.last_recalled_at == START + timedelta(days=1)
    assert in_server.id in episodes and elsewhere.id in episodes  # no merge joined two places


async def test_episodes_become_facts_in_batches_and_an_unusable_answer_stores_nothing(
    core: Consciousness, mind: Mind
) -> None:
    for n, text in enumerate(["I live in Bergen", "Nice weather", "Hei", "Hm", "I work at Equinor", "Ok"]):
        await said(core, text, minutes=n)
    mind.extraction = ['{"facts": "Kari lives in Tromsø"}']  # the first batch's answer has the wrong shape

    report = await core.sleep(KARI.scope)

    assert (report.batches, report.failed_batches, report.distilled) == (2, 1, 6)
    facts = of_kind(await everything(core), MemoryKind.FACT)
    assert [f.text for f in facts] == ["Kari works at Equinor."]  # nothing from the refused batch, nothing invented
    source = await core.bank.get(KARI.scope, facts[0].meta["said_in"])
    assert source is not None and source.text == "Kari: I work at Equinor"
    assert "works_at" in source.meta["keys"]
    assert "failed" not in report.summary() and "Equinor" not in report.summary()  # counts, never words


async def test_a_pass_cut_short_resumes_after_its_last_finished_batch(core: Consciousness, mind: Mind) -> None:
    for n in range(8):
        await said(core, f"I live in Town{n}", minutes=n)

    def crash_after_first_batch(done: int, total: int) -> None:
        if done == 1:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        await core.sleep(KARI.scope, progress=crash_after_first_batch)
    report = await core.sleep(KARI.scope)

    assert report.distilled == 4 and len(mind.extractions) == 2  # the second pass read only the rest
    assert "Town4" in mind.extractions[1] and "Town3" not in mind.extractions[1]
    assert (await core.sleep(KARI.scope)).new_episodes == 0  # and a third has nothing new


async def test_the_profile_is_shown_instead_of_its_facts_and_to_the_person(
    core: Consciousness, server: FakeLLMServer, mind: Mind
) -> None:
    await said(core, "I live in Bergen", minutes=1)
    await said(core, "I work at Equinor", minutes=2)
    assert await core.about(KARI, DM) is None

    report = await core.sleep(KARI.scope)

    profile = await core.about(KARI, DM)
    assert report.profile == "rebuilt" and profile is not None
    facts = of_kind(await everything(core), MemoryKind.FACT)
    assert sorted(profile.meta["rests_on"]) == sorted(f.id for f in facts)
    assert profile.origin.source is OriginSource.DM and await core.about(KARI, IN_A) is None
    await say(core, KARI, "Where do I live?", origin=DM)
    system = [b for b in server.chat_requests if "response_format" not in b][-1]["messages"][0]["content"]
    assert "what you understand about them" in system
    assert system.count("Kari lives in Bergen.") == 1  # in the profile, not again as a scattered fact
    assert (await core.sleep(KARI.scope)).profile == "kept"


async def test_a_profile_the_facts_do_not_ground_is_replaced_by_the_plain_facts(
    core: Consciousness, mind: Mind
) -> None:
    await said(core, "I live in Bergen", minutes=1)
    mind.profile = "I'm sorry, I cannot help with describing people."

    report = await core.sleep(KARI.scope)

    profile = await core.about(KARI, DM)
    assert report.profile == "listed" and profile is not None and profile.text == "- Kari lives in Bergen."


async def test_a_profile_of_two_servers_is_shown_in_private_places_only(core: Consciousness) -> None:
    await said(core, "I live in Bergen", IN_A, minutes=1)
    await said(core, "I work at Equinor", IN_B, minutes=2)
    await core.sleep(KARI.scope)
    await core.share_dm_memories_in_servers(KARI, True)
    assert await core.about(KARI, DM) is not None
    assert await core.about(KARI, IN_A) is None and await core.about(KARI, IN_B) is None


async def test_forgetting_an_episode_forgets_the_facts_and_profile_made_from_it(core: Consciousness) -> None:
    bergen = await said(core, "I live in Bergen", minutes=1)
    await said(core, "I work at Equinor", minutes=2)
    await core.sleep(KARI.scope)

    assert await core.forget(KARI, bergen.id)

    left = await everything(core)
    assert [m.text for m in of_kind(left, MemoryKind.FACT)] == ["Kari works at Equinor."]
    assert of_kind(left, MemoryKind.PROFILE) == []  # it rested on the forgotten fact; the next pass rebuilds it
    assert (await core.sleep(KARI.scope)).profile == "rebuilt"


async def test_a_pass_waits_for_a_turn_of_that_person(core: Consciousness) -> None:
    await said(core, "I live in Bergen")
    async with core._order.exclusive(KARI.scope):  # a turn of Kari's is being answered
        sleeping = asyncio.create_task(core.sleep(KARI.scope))
        for _ in range(20):
            await asyncio.sleep(0)
        assert not sleeping.done()
    assert (await sleeping).distilled == 1


async def test_a_dry_run_changes_nothing_and_asks_no_model(
    core: Consciousness, server: FakeLLMServer, mind: Mind
) -> None:
    await said(core, "I live in Bergen", minutes=1)
    await said(core, "I live in Bergen", minutes=20)
    before = await everything(core)

    report = await core.sleep(KARI.scope, dry_run=True)

    assert (report.merged, report.distilled, report.profile) == (1, 1, "none")
    assert len(await everything(core)) == len(before) and mind.extractions == []
    assert (await core.sleep(KARI.scope)).merged == 1  # the watermark did not move


def test_aiki_mind_sleep_prints_counts_for_each_person(
    tmp_path: Path, model_cache: Path, server: FakeLLMServer, mind: Mind, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    async def seed() -> None:
        made = await open_core(build_core(tmp_path / "data", _embedder(model_cache), server, Clock()))
        await said(made, "I live in Bergen")
        await close_core(made)

    for key, value in {
        "AIKI_DATA_DIR": str(tmp_path / "data"), "AIKI_MODEL_CACHE_DIR": str(model_cache),
        "AIKI_EMBEDDING_MODEL": _test_model(), "AIKI_LLM_BASE_URL": server.base_url, "AIKI_LLM_API_KEY": "sk-test",
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    asyncio.run(seed())

    assert main(["-q", "mind", "sleep", "--dry-run"]) == 0
    assert main(["-q", "mind", "sleep", "--person", KARI.scope]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("(dry run) 111: 1 new episodes") and "1 added" in out[1]
    assert not any("Bergen" in line for line in out)


def _embedder(cache: Path) -> Any:
    from bot.memory.embedder import FastEmbedder

    return FastEmbedder.load(_test_model(), cache)


def _test_model() -> str:
    from scripts.test_model import TEST_MODEL

    return TEST_MODEL


# -- reflections (bot/mind/reflection.py) -------------------------------------------------------------------------


async def worried(core: Consciousness, origin: Origin = DM, days: int = 3) -> list[Memory]:
    """Kari worried about the same deadline on `days` days running, worded differently each day."""
    words = [
        "I am worried about the AIKI-HOME deadline",
        "Still worried, the AIKI-HOME deadline is close",
        "The AIKI-HOME deadline keeps me awake",
    ]
    return [await said(core, words[n], origin, minutes=n * 24 * 60, importance=0.6) for n in range(days)]


async def test_a_pass_writes_a_reflection_linked_to_what_it_rests_on_and_recall_finds_it(
    core: Consciousness, server: FakeLLMServer, mind: Mind
) -> None:
    sources = await worried(core)
    await said(core, "Hm", minutes=5, importance=0.1)  # unimportant: not among what the pass reflects on

    report = await core.sleep(KARI.scope)

    assert (report.reflections, report.reflection) == (1, "written") and len(mind.reflections) == 1
    assert [m["text"] for m in mind.reflections[0]["memories"]][0] == "Kari: I am worried about the AIKI-HOME deadline"
    reflection = of_kind(await everything(core), MemoryKind.REFLECTION)[0]
    assert reflection.text == "Kari keeps coming back to this: I am worried about the AIKI-HOME deadline"
    assert reflection.meta["rests_on"] == sorted(m.id for m in sources)
    assert reflection.origin.source is OriginSource.DM
    assert "AIKI-HOME" not in report.summary() and "reflections: 1 (written)" in report.summary()
    found = await core.recall(KARI, "the AIKI-HOME deadline", limit=8, place=DM)
    assert reflection.id in [r.memory_id for r in found]
    await say(core, KARI, "The AIKI-HOME deadline again", origin=DM)
    system = [b for b in server.chat_requests if "response_format" not in b][-1]["messages"][0]["content"]
    assert "what you noticed lately (your reflection, not their words)" in system
    assert (await core.sleep(KARI.scope)).reflection == "none"  # nothing new since: no model call
    assert len(mind.reflections) == 1


async def test_a_reflection_on_two_places_is_shown_only_where_both_may_be(core: Consciousness) -> None:
    await said(core, "I am worried about the AIKI-HOME deadline", DM, importance=0.6)
    await said(core, "The AIKI-HOME deadline keeps me awake", IN_A, minutes=60, importance=0.6)

    await core.sleep(KARI.scope)

    reflection = of_kind(await everything(core), MemoryKind.REFLECTION)[0]
    assert reflection.origin == strictest_place([DM, IN_A])  # a DM and server A: private places only
    await core.share_dm_memories_in_servers(KARI, True)  # even with DM memories shown in servers
    in_dm = await core.recall(KARI, "AIKI-HOME deadline", limit=8, place=DM)
    in_a = await core.recall(KARI, "AIKI-HOME deadline", limit=8, place=IN_A)
    assert reflection.id in [r.memory_id for r in in_dm]
    assert reflection.id not in [r.memory_id for r in in_a]


@pytest.mark.parametrize(
    "answer",
    [
        "I'm sorry, I can't help with that.",  # refused
        '{"reflections": [{"text": "Kari is worried about money and her landlord.", "sources": ["m1", "m2"]}]}',
        '{"reflections": [{"text": "Kari keeps worrying about the AIKI-HOME deadline.", "sources": ["m1", "m9"]}]}',
        '{"reflections": [{"text": "Kari keeps worrying about the AIKI-HOME deadline.", "sources": []}]}',
        '{"reflections": [{"text": "<one sentence>", "sources": ["m1"]}]}',
    ],
    ids=["refused", "not-grounded", "unknown-id", "no-sources", "placeholder"],
)
async def test_an_unusable_or_unfounded_reflection_stores_nothing(core: Consciousness, mind: Mind, answer: str) -> None:
    await worried(core)
    mind.reflection = answer

    report = await core.sleep(KARI.scope)

    assert of_kind(await everything(core), MemoryKind.REFLECTION) == []
    assert report.reflections == 0 and report.reflection in ("unusable", "none valid")


async def test_a_reflection_citing_another_persons_memory_id_is_dropped_and_the_good_one_kept(
    core: Consciousness, mind: Mind
) -> None:
    await worried(core)
    stranger = await core.bank.add_one(NewMemory("222", "Ola worries about the AIKI-HOME deadline too"))
    mind.reflection = json.dumps(
        {
            "reflections": [
                {"text": "Kari and Ola worry about the AIKI-HOME deadline.", "sources": ["m1", stranger.id]},
                {"text": "Kari has worried about the AIKI-HOME deadline three days running.", "sources": ["m1", "m3"]},
            ]
        }
    )

    report = await core.sleep(KARI.scope)

    kept = of_kind(await everything(core), MemoryKind.REFLECTION)
    assert [m.text for m in kept] == ["Kari has worried about the AIKI-HOME deadline three days running."]
    assert report.reflections == 1


async def test_forgetting_a_source_leaves_no_byte_of_its_reflection_on_disk_and_the_next_pass_rebuilds(
    core: Consciousness, tmp_path: Path, mind: Mind
) -> None:
    from tests.test_privacy import files_holding

    canary = "REFLECTCANARY heron-4471"
    first = await said(core, f"I am worried about the AIKI-HOME deadline {canary}", importance=0.6)
    await said(core, "Still worried, the AIKI-HOME deadline is close", minutes=60, importance=0.6)
    await said(core, "The AIKI-HOME deadline keeps me awake", minutes=120, importance=0.6)
    await core.sleep(KARI.scope)
    reflection = of_kind(await everything(core), MemoryKind.REFLECTION)[0]
    assert canary in reflection.text and files_holding(tmp_path / "memory", canary)

    assert await core.forget(KARI, first.id)

    assert of_kind(await everything(core), MemoryKind.REFLECTION) == []
    assert files_holding(tmp_path, canary) == []  # neither the episode's words nor the reflection's, in any file
    await core.sleep(KARI.scope)
    rebuilt = of_kind(await everything(core), MemoryKind.REFLECTION)
    assert len(rebuilt) == 1 and first.id not in rebuilt[0].meta["rests_on"] and canary not in rebuilt[0].text


# -- a pass killed with SIGKILL (-9) resumes and finishes ---------------------------------------------------------


class HeldModel:
    """Facts from "I live in X"; the `hold_at`-th extraction call is held (the test kills the pass there)."""

    def __init__(self, hold_at: int) -> None:
        self.hold_at = hold_at
        self.extractions: list[str] = []
        self.held = threading.Event()  # the held call arrived
        self.release = threading.Event()

    def __call__(self, body: dict[str, Any]) -> str:
        system, asked = body["messages"][0]["content"], body["messages"][-1]["content"]
        if system != EXTRACTION_PROMPT:
            return "{}"  # decisions, profile, reflections: unusable, so the rules decide or nothing is written
        self.extractions.append(asked)
        if len(self.extractions) == self.hold_at:
            self.held.set()
            self.release.wait(timeout=60)
        return json.dumps({"facts": _facts(asked)})


def test_a_pass_killed_with_sigkill_midway_resumes_after_its_last_batch_and_finishes(
    tmp_path: Path, model_cache: Path, server: FakeLLMServer
) -> None:
    data = tmp_path / "data"
    towns = [f"Town{n}" for n in range(12)]  # three batches of four

    async def seed() -> None:
        made = await open_core(build_core(data, _embedder(model_cache), server, Clock()))
        for n, town in enumerate(towns):
            await said(made, f"I live in {town}", minutes=n)
        await close_core(made)

    asyncio.run(seed())
    server.reset()
    model = HeldModel(hold_at=2)
    server.responder = model
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "AIKI_DATA_DIR": str(data), "AIKI_MODEL_CACHE_DIR": str(model_cache),
        "AIKI_EMBEDDING_MODEL": _test_model(), "AIKI_LLM_BASE_URL": server.base_url, "AIKI_LLM_API_KEY": "sk-test",
    }  # fmt: skip
    command = [sys.executable, "-m", "bot", "-q", "mind", "sleep", "--person", KARI.scope]
    child = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert model.held.wait(timeout=240), child.stderr.read().decode() if child.poll() is not None else "no call"
        os.kill(child.pid, signal.SIGKILL)  # in the middle of the second batch
        assert child.wait(timeout=60) == -signal.SIGKILL
    finally:
        model.release.set()
        child.kill()
        child.communicate()
    assert asyncio.run(_watermark(data)) is not None  # the first batch was committed before the kill

    resumed = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)

    assert resumed.returncode == 0, resumed.stderr
    assert "8 new episodes" in resumed.stdout and "distilled 8 in 2 batches" in resumed.stdout
    first_batch, _killed, *after = model.extractions
    assert "Town3" in first_batch and all("Town3" not in asked for asked in after)
    assert "Town4" in after[0] and "Town11" in after[-1]  # the killed batch again, then the rest
    again = subprocess.run(command[:-2] + ["--dry-run"], env=env, cwd=tmp_path, capture_output=True, text=True)
    assert "0 new episodes" in again.stdout  # finished: nothing left to read


async def _watermark(data: Path) -> tuple[Any, str] | None:
    state = StateStore(data / "aiki.db")
    await state.open()
    try:
        return await state.sleep_watermark(KARI.scope)
    finally:
        await state.close()


async def test_after_an_unusable_reflection_answer_the_next_pass_asks_again_only_when_something_new_came(
    core: Consciousness, mind: Mind
) -> None:
    await worried(core)
    mind.reflection = "I'm sorry, I can't help with that."
    assert (await core.sleep(KARI.scope)).reflection == "unusable"
    assert (await core.sleep(KARI.scope)).reflection == "none" and len(mind.reflections) == 1

    mind.reflection = None
    core.clock.advance(hours=1)  # type: ignore[attr-defined]
    await said(core, "Only two days left until the AIKI-HOME deadline", minutes=3 * 24 * 60 + 30, importance=0.6)
    assert (await core.sleep(KARI.scope)).reflection == "written" and len(mind.reflections) == 2
