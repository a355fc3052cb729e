"""When sleep passes run (bot/checkins/bedtime.py): after a person has been quiet, at night in their time zone,
never during a turn of theirs. A set clock drives the scheduler's job; the core, SQLite, Qdrant Edge and the HTTP
test LLM are real."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.checkins.bedtime import Bedtime, SleepWatch, due
from bot.checkins.scheduler import SLEEP_JOB, CheckinScheduler
from bot.memory.embedder import FastEmbedder
from bot.mind.core import Consciousness, Person
from bot.mind.facts import EXTRACTION_PROMPT
from bot.places import Origin, OriginSource
from bot.state.checkins import CheckinPrefs
from tests.core_fixtures import OSLO, Clock, build_core, close_core, open_core, say
from tests.llm_server import FakeLLMServer

KARI = Person("111", "Kari")
OLA = Person("222", "Ola")
DM = Origin(OriginSource.DM, channel_id=5)
BEDTIME = Bedtime(quiet_for=timedelta(minutes=90), night_hour=3)
NOON = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)  # 12:00 in Oslo


class Model:
    """Chat replies (held at a gate when asked to) and, for the pass, facts from "I live in X"."""

    def __init__(self) -> None:
        self.gate: threading.Event | None = None  # set: a chat reply waits until the test opens it
        self.order: list[str] = []  # "reply" / "pass saw: <words>", in the order the server answered them

    def __call__(self, body: dict[str, Any]) -> str:
        system, asked = body["messages"][0]["content"], body["messages"][-1]["content"]
        if system == EXTRACTION_PROMPT:
            said = next(iter(json.loads(asked).values()))
            self.order.append(f"pass saw: {said}")
            return json.dumps({"facts": []})
        if "response_format" in body:
            return "{}"
        if self.gate is not None:
            self.gate.wait(timeout=4)
        self.order.append("reply")
        return "Fint!"


@pytest.fixture
def model(server: FakeLLMServer) -> Model:
    server.reset()
    answers = Model()
    server.responder = answers
    return answers


@pytest.fixture
async def core(tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer, model: Model) -> AsyncIterator[Any]:
    made = await open_core(build_core(tmp_path, embedder, server, Clock(NOON)))
    made.learn_facts = False  # the pass learns, not the turn
    yield made
    await close_core(made)


def watch(core: Consciousness) -> SleepWatch:
    return SleepWatch(core, core.state, OSLO, BEDTIME, core.clock)


def at(core: Consciousness, moment: datetime) -> None:
    core.clock.now = moment  # type: ignore[attr-defined]


def test_the_rule() -> None:
    wrote = NOON
    assert due(NOON + timedelta(minutes=89), wrote, None, OSLO, BEDTIME) is None
    assert due(NOON + timedelta(minutes=90), wrote, None, OSLO, BEDTIME) == "quiet"
    assert due(NOON + timedelta(hours=5), wrote, NOON + timedelta(hours=2), OSLO, BEDTIME) is None  # slept since
    night = datetime(2026, 3, 3, 2, 10, tzinfo=UTC)  # 03:10 in Oslo
    assert due(night, wrote, NOON + timedelta(hours=2), OSLO, BEDTIME) == "night"
    assert due(night, wrote, night - timedelta(minutes=5), OSLO, BEDTIME) is None  # once a night
    assert due(night, wrote, NOON + timedelta(hours=2), ZoneInfo("America/New_York"), BEDTIME) is None  # 21:10 there
    assert due(night, None, None, OSLO, BEDTIME) is None  # never wrote


async def test_quiet_for_the_set_time_runs_one_pass(core: Consciousness, model: Model) -> None:
    await say(core, KARI, "I live in Bergen", origin=DM)

    at(core, NOON + timedelta(minutes=89))
    assert await watch(core).look() == []
    at(core, NOON + timedelta(minutes=91))
    assert await watch(core).look() == [(KARI.scope, "quiet")]
    assert model.order == ["reply", "pass saw: I live in Bergen"]
    at(core, NOON + timedelta(minutes=200))
    assert await watch(core).look() == []  # once: nothing was said since


async def test_a_new_message_before_the_quiet_time_puts_the_pass_off(core: Consciousness, model: Model) -> None:
    await say(core, KARI, "I live in Bergen", origin=DM)
    at(core, NOON + timedelta(minutes=60))
    await say(core, KARI, "And I work at Equinor", origin=DM)

    at(core, NOON + timedelta(minutes=100))  # 100 minutes after the first message, 40 after the second
    assert await watch(core).look() == []
    at(core, NOON + timedelta(minutes=151))
    assert await watch(core).look() == [(KARI.scope, "quiet")]


async def test_at_night_in_the_persons_time_zone_a_pass_runs_once(core: Consciousness, model: Model) -> None:
    await say(core, KARI, "I live in Bergen", origin=DM)
    await say(core, OLA, "I live in Oslo", origin=DM)
    await core.state.checkins.save_prefs(CheckinPrefs(OLA.scope, timezone="America/New_York"))
    at(core, NOON + timedelta(minutes=91))
    assert sorted(await watch(core).look()) == [(KARI.scope, "quiet"), (OLA.scope, "quiet")]

    at(core, datetime(2026, 3, 3, 2, 5, tzinfo=UTC))  # 03:05 in Oslo, 21:05 in New York
    assert await watch(core).look() == [(KARI.scope, "night")]
    at(core, datetime(2026, 3, 3, 2, 40, tzinfo=UTC))
    assert await watch(core).look() == []  # once a night
    at(core, datetime(2026, 3, 3, 8, 5, tzinfo=UTC))  # 03:05 in New York
    assert await watch(core).look() == [(OLA.scope, "night")]


async def test_a_pass_waits_for_the_turn_being_answered(core: Consciousness, model: Model) -> None:
    await say(core, KARI, "I live in Bergen", origin=DM)
    at(core, datetime(2026, 3, 3, 2, 5, tzinfo=UTC))  # night: due whatever the person is doing
    model.gate = threading.Event()
    turn = asyncio.create_task(say(core, KARI, "I moved, I live in Tromsø now", origin=DM))
    looking = asyncio.create_task(watch(core).look())
    for _ in range(50):  # the pass asks for Kari's place in line while the reply is held
        await asyncio.sleep(0.01)
    assert not looking.done()
    model.gate.set()

    await turn
    assert await looking == [(KARI.scope, "night")]
    # The pass ran after the turn had been answered and learned from: it read the message that turn answered.
    assert model.order == ["reply", "reply", "pass saw: I live in Bergen\nI moved, I live in Tromsø now"], model.order


class Dies:
    async def sleep(self, scope: str) -> object:
        raise RuntimeError("the model went away")


async def test_a_failed_pass_counts_as_not_slept_and_the_next_look_runs_it(core: Consciousness, model: Model) -> None:
    await say(core, KARI, "I live in Bergen", origin=DM)
    at(core, NOON + timedelta(minutes=91))

    assert await SleepWatch(Dies(), core.state, OSLO, BEDTIME, core.clock).look() == []  # logged, not recorded
    assert await watch(core).look() == [(KARI.scope, "quiet")]


def test_the_scheduler_holds_one_sleep_job_however_often_it_is_added(core: Consciousness) -> None:
    scheduler = CheckinScheduler(core.clock)
    scheduler.watch_sleep(watch(core))
    scheduler.watch_sleep(watch(core))
    jobs = [job for job in scheduler.scheduler.get_jobs() if job.id == SLEEP_JOB]
    assert len(jobs) == 1 and jobs[0].trigger.interval == timedelta(minutes=5)


async def test_after_a_forget_the_next_look_runs_a_pass_to_rebuild_what_is_left(
    core: Consciousness, model: Model
) -> None:
    await say(core, KARI, "I live in Bergen", origin=DM)
    at(core, NOON + timedelta(minutes=91))
    assert await watch(core).look() == [(KARI.scope, "quiet")]
    episode = (await core.list_memories(KARI, 10, None))[0][0]

    assert await core.forget(KARI, episode.id)

    assert await watch(core).look() == [(KARI.scope, "quiet")]  # nothing new was said, but something was taken away
