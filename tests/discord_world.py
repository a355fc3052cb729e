"""A dpytest world for Discord tests: the real bot from build_bot over the real core, an owner, a friend and a
stranger, and a record of every payload AIKI sends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend

from bot.access import Access
from bot.checkins.planner import CheckinPlanner
from bot.checkins.scheduler import CheckinScheduler
from bot.discord_bot.client import AikiBot, build_bot, minimal_intents
from bot.memory.embedder import FastEmbedder
from bot.mind.core import Consciousness, Person
from bot.settings import Settings
from tests.core_fixtures import Clock, Replies, build_core, close_core, open_core
from tests.llm_server import FakeLLMServer


class PeopleLater:
    """dpytest makes its members only once the bot exists; the access rule the cogs get reads them from here."""

    def __init__(self) -> None:
        self.known = Access(frozenset(), frozenset())

    def allows(self, user_id: int) -> bool:
        return self.known.allows(user_id)

    def is_owner(self, user_id: int) -> bool:
        return self.known.is_owner(user_id)

    def people(self) -> frozenset[int]:
        return self.known.people()


@dataclass
class World:
    bot: AikiBot
    core: Consciousness
    planner: CheckinPlanner
    scheduler: CheckinScheduler
    access: PeopleLater
    owner: discord.Member
    friend: discord.Member
    stranger: discord.Member
    channel: discord.TextChannel
    replies: Replies
    sent_payloads: list[dict[str, Any]] = field(default_factory=list)

    def person(self, member: discord.Member) -> Person:
        return Person(str(member.id), member.display_name)

    def bot_texts(self, channel: discord.abc.Messageable) -> list[str]:
        """What AIKI's messages in a channel finally say (after every edit), oldest first."""
        stored = backend._cur_config.messages.get(channel.id, [])  # type: ignore[union-attr]
        assert self.bot.user is not None
        return [m["content"] for m in stored if int(m["author"]["id"]) == self.bot.user.id]


@pytest.fixture
def reply_pause_s() -> float:
    """AIKI answers at once in these tests; a test of the pause asks for one with @pytest.mark.parametrize."""
    return 0.0


@pytest.fixture
async def world(
    tmp_path: Path,
    embedder: FastEmbedder,
    server: FakeLLMServer,
    monkeypatch: pytest.MonkeyPatch,
    reply_pause_s: float,
) -> AsyncIterator[World]:
    server.reset()
    replies = Replies(default="Hei! Hyggelig å høre fra deg.")
    server.responder = replies
    core = await open_core(build_core(tmp_path, embedder, server, Clock()))
    intents = minimal_intents()
    intents.members = True  # dpytest builds its fake members through the member cache; AIKI itself does not
    settings = Settings(_env_file=None, reply_pause_s=reply_pause_s)  # type: ignore[call-arg]
    scheduler = CheckinScheduler(core.clock)
    access = PeopleLater()
    bot, planner = build_bot(core, settings, scheduler, access, core.clock, sync_commands=False, intents=intents)  # type: ignore[arg-type]
    try:
        await bot._async_setup_hook()
        dpytest.configure(bot, members=3)
        backend.get_state().loop = asyncio.get_running_loop()  # dpytest 0.7 leaves it unset on discord.py 2.7
        config = dpytest.get_config()
        owner, friend, stranger = config.members
        access.known = Access(frozenset({owner.id}), frozenset({friend.id}))
        await bot.setup_hook()
    except BaseException:
        await close_core(core)
        raise
    made = World(bot, core, planner, scheduler, access, owner, friend, stranger, config.channels[0], replies)

    original = discord.abc.handle_message_parameters

    def record(*args: Any, **kwargs: Any) -> Any:  # what Discord would receive, allowed_mentions included
        params = original(*args, **kwargs)
        made.sent_payloads.append(params.payload or {})
        return params

    monkeypatch.setattr(discord.abc, "handle_message_parameters", record)
    monkeypatch.setattr(discord.message, "handle_message_parameters", record)
    yield made
    scheduler.shutdown()
    await dpytest.empty_queue()
    await close_core(core)


def mention(world: World) -> str:
    assert world.bot.user is not None
    return f"<@{world.bot.user.id}>"
