"""Follow-ups (issue 22): an event a person says is coming is kept from a real turn, asked about once after it has
passed through the check-in gates (quiet hours, consent, daily limit), answered, forgotten, and kept in its place.

Real parts: the core with Qdrant Edge and SQLite, the stand-in LLM over HTTP, the planner; only the DM is a fake.
The clock starts on Monday 2 March 2026, 10:00 in Oslo: "på fredag" is Friday 6 March.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.checkins.planner import CheckinPlanner
from bot.memory.embedder import FastEmbedder
from bot.memory.models import MemoryKind
from bot.mind.core import Consciousness, Person
from bot.places import Origin, OriginSource
from bot.state.checkins import Topic
from tests.core_fixtures import OSLO, Clock, Replies, build_core, close_core, open_core, say
from tests.llm_server import FakeLLMServer
from tests.test_checkins import Inbox, chat_requests

ME = Person("777", "Jovnna")
DM = Origin(OriginSource.DM, channel_id=5)
IN_A = Origin(OriginSource.CHANNEL, guild_id=1001, channel_id=71)
IN_B = Origin(OriginSource.CHANNEL, guild_id=2002, channel_id=81)
QUESTION = "Hvordan gikk eksamen?"
REPLY = "Lykke til!"


class FollowUpReplies(Replies):
    """A follow-up's prompt gets QUESTION, every other chat REPLY: what was delivered is told apart from replies."""

    def __call__(self, body: dict[str, Any]) -> str:
        if "response_format" not in body and "Ask how it went" in body["messages"][0]["content"]:
            return QUESTION
        return super().__call__(body)


def oslo(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=OSLO).astimezone(UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(oslo(2, 10))


async def _core(
    tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer, clock: Clock, ask: bool
) -> Consciousness:
    server.reset()
    server.responder = FollowUpReplies(default=REPLY)
    return await open_core(build_core(tmp_path, embedder, server, clock, follow_up_without_asking=not ask))


@pytest.fixture
async def core(
    tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer, clock: Clock
) -> AsyncIterator[Consciousness]:
    """The owner lets AIKI follow up without asking."""
    made = await _core(tmp_path, embedder, server, clock, ask=False)
    yield made
    await close_core(made)


@pytest.fixture
async def asking_core(
    tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer, clock: Clock
) -> AsyncIterator[Consciousness]:
    """The default: AIKI asks the person first."""
    made = await _core(tmp_path, embedder, server, clock, ask=True)
    yield made
    await close_core(made)


def planner_of(core: Consciousness, inbox: Inbox, clock: Clock) -> CheckinPlanner:
    return CheckinPlanner(core, core.state, inbox, OSLO, clock)


async def only_followup(core: Consciousness, status: str = "active") -> Topic:
    rows = await core.state.checkins.topics(ME.scope, (status,))
    assert [topic.kind for topic in rows] == ["followup"]
    return rows[0]


async def test_an_exam_on_friday_is_asked_about_once_after_it_and_not_before(
    core: Consciousness, clock: Clock, server: FakeLLMServer
) -> None:
    inbox = Inbox()
    planner = planner_of(core, inbox, clock)
    await say(core, ME, "Jeg har eksamen på fredag, gruer meg litt", origin=DM)
    topic = await only_followup(core)
    assert topic.name == "eksamen (6 Mar)" and topic.next_due_at == oslo(7, 0)  # when Friday is over
    followup = await core.state.checkins.followup(topic.id)
    assert followup is not None
    memory = await core.bank.get(ME.scope, followup.memory_id)
    assert memory is not None and memory.kind is MemoryKind.EVENT and "Friday 6 March 2026" in memory.text

    clock.now = oslo(6, 20)  # the exam day itself
    assert "not due" in (await planner.fire(topic.id)).reason
    clock.now = oslo(7, 0, 30)  # past it, but in quiet hours
    decision = await planner.fire(topic.id)
    assert not decision.fire and "quiet hours" in decision.reason and decision.retry_at == oslo(7, 8)
    asked_before = len(chat_requests(server))
    assert inbox.delivered == []

    clock.now = oslo(7, 9)
    assert (await planner.fire(topic.id)).fire
    assert inbox.delivered == [(ME.scope, QUESTION)]
    prompt = chat_requests(server)[asked_before]["messages"][0]["content"]
    assert "Ask how it went" in prompt and "eksamen" in prompt
    clock.advance(days=2)
    assert (await planner.fire(topic.id)).reason == "this follow-up was asked already"
    assert len(inbox.delivered) == 1


async def test_the_next_message_answers_the_follow_up(core: Consciousness, clock: Clock) -> None:
    planner = planner_of(core, Inbox(), clock)
    await say(core, ME, "Job interview tomorrow at 10, wish me luck", origin=DM)
    topic = await only_followup(core)
    assert topic.next_due_at == oslo(3, 13)  # three hours after it began
    clock.now = oslo(3, 14)
    assert (await planner.fire(topic.id)).fire
    clock.advance(minutes=20)
    await say(core, ME, "It went really well, they liked my portfolio!", origin=DM)
    sent = await core.state.checkins.last_sent(ME.scope)
    assert sent is not None and sent.topic_id == topic.id and sent.answered_at == clock.now
    answers = await core.recall(ME, "portfolio", limit=10)
    assert any(r.hit.memory.text.startswith("(about interview (3 Mar)) Jovnna: It went") for r in answers)


async def test_nothing_is_followed_up_without_the_persons_yes(
    asking_core: Consciousness, clock: Clock, server: FakeLLMServer
) -> None:
    core, inbox = asking_core, Inbox()
    planner = planner_of(core, inbox, clock)
    await say(core, ME, "Skal til tannlegen i morgen kl 9", origin=IN_A)
    await say(core, ME, "Har oppkjøring om tre dager", origin=DM)
    assert core.take_followup_offer(ME, IN_B) is None  # never offered in a server it was not said in
    offered = core.take_followup_offer(ME, DM)
    assert offered is not None and offered[1] == "oppkjøring"
    assert core.take_followup_offer(ME, DM) is None  # offered once
    dentist, driving = await core.state.checkins.topics(ME.scope, ("proposed",))
    clock.now = oslo(6, 12)
    assert (await planner.fire(dentist.id)).reason == "waiting for the person's yes to this follow-up"
    assert await planner.answer_followup(ME.scope, dentist.id, yes=False) is not None
    assert await planner.answer_followup(ME.scope, driving.id, yes=True) is not None
    assert not (await planner.fire(dentist.id)).fire
    assert (await planner.fire(driving.id)).fire
    assert len(inbox.delivered) == 1
    assert await planner.answer_followup("someone else", driving.id, yes=True) is None


async def test_the_daily_limit_holds_for_follow_ups(core: Consciousness, clock: Clock) -> None:
    inbox = Inbox()
    planner = planner_of(core, inbox, clock)
    await planner.update_prefs(ME.scope, daily_cap=0)
    await say(core, ME, "Exam on Friday, I'm so nervous.", origin=DM)
    topic = await only_followup(core)
    clock.now = oslo(7, 10)
    decision = await planner.fire(topic.id)
    assert not decision.fire and "daily limit" in decision.reason and inbox.delivered == []


async def test_forgetting_the_event_removes_its_follow_up(core: Consciousness, clock: Clock) -> None:
    inbox = Inbox()
    planner = planner_of(core, inbox, clock)
    await say(core, ME, "Flyr til Tromsø neste uke", origin=DM)
    topic = await only_followup(core)
    followup = await core.state.checkins.followup(topic.id)
    assert followup is not None
    assert await core.forget(ME, followup.memory_id)
    assert await core.state.checkins.topic(topic.id) is None
    assert await core.state.checkins.followup(topic.id) is None
    clock.now = oslo(20, 10)
    assert (await planner.fire(topic.id)).reason == "the topic no longer exists" and inbox.delivered == []


async def test_an_event_said_in_a_server_is_asked_in_a_dm_only_while_dm_memories_stay_out_of_servers(
    core: Consciousness, clock: Clock
) -> None:
    inbox = Inbox()
    planner = planner_of(core, inbox, clock)
    await say(core, ME, "Kampen er på lørdag, vi spiller finale", origin=IN_A)
    topic = await only_followup(core)
    clock.now = oslo(8, 10)
    await core.share_dm_memories_in_servers(ME, True)
    decision = await planner.fire(topic.id)
    assert not decision.fire and "said in a server" in decision.reason
    await core.share_dm_memories_in_servers(ME, False)
    assert (await planner.fire(topic.id)).fire
    # The question is kept as server A's: shown in A and in private places, never in server B.
    in_b = await core.state.recent_turns(ME.scope, 20, await core.audience_at(ME, IN_B))
    in_a = await core.state.recent_turns(ME.scope, 20, await core.audience_at(ME, IN_A))
    assert QUESTION not in [t.content for t in in_b] and QUESTION in [t.content for t in in_a]
