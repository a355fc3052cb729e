"""Discord like a person, through gateway events (dpytest) over the real core: a burst gets one reply, messages sent
while AIKI was away are read back and answered once, a reply cut off by a lost connection says so after the
reconnect, and a project named in a DM is never offered in a server."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend, factories

from bot.logs import setup_logging
from bot.settings import Settings
from cogs import replies
from tests.discord_world import World, mention
from tests.llm_server import Chunked, FakeLLMServer, server_error


def chats(server: FakeLLMServer) -> list[dict[str, Any]]:
    return [body for body in server.chat_requests if "response_format" not in body]


async def settle(world: World) -> None:
    await dpytest.run_all_events()
    await world.core.drain()


# -- bursts -------------------------------------------------------------------------------------------------


async def test_messages_sent_while_aiki_answers_are_answered_together_in_one_reply(
    world: World, server: FakeLLMServer
) -> None:
    lock = threading.Lock()
    flight = {"now": 0, "max": 0}

    def answer(body: dict[str, Any]) -> str:
        if body.get("response_format"):
            return json.dumps({"facts": []})
        with lock:
            flight["now"] += 1
            flight["max"] = max(flight["max"], flight["now"])
        time.sleep(0.02)  # long enough for a second call to overlap if the bot allowed it
        with lock:
            flight["now"] -= 1
        return f"svar på {body['messages'][-1]['content']}"

    server.responder = answer
    dm = await world.owner.create_dm()
    sent = [backend.make_message(f"melding {i}", world.owner, dm) for i in range(20)]  # before the first reply
    await settle(world)

    burst = "\n".join(f"melding {i}" for i in range(1, 20))
    assert world.bot_texts(dm) == ["svar på melding 0", f"svar på {burst}"]
    assert len(chats(server)) == 2 and flight["max"] == 1
    references = [int(p["message_reference"]["message_id"]) for p in world.sent_payloads if "message_reference" in p]
    assert references == [sent[0].id, sent[-1].id]  # the second reply answers the latest message
    history = [m["content"] for m in chats(server)[1]["messages"][1:-1]]
    assert history == ["melding 0", "svar på melding 0"]  # the burst is the message, not history
    turns = await world.core.state.turns_of(str(world.owner.id))
    assert [t.content for t in turns if t.role == "user"] == [f"melding {i}" for i in range(20)]
    assert all(t.status == "ok" for t in turns)
    memories, _ = await world.core.list_memories(world.person(world.owner), 100, None)
    said = [m.text for m in memories if m.meta.get("by") != "aiki"]
    assert sorted(text.split(": ", 1)[1] for text in said) == sorted(
        f"melding {i}" for i in range(20)
    )  # each once, apart


async def test_a_burst_in_a_dm_and_a_mention_in_a_server_are_never_answered_together(
    world: World, server: FakeLLMServer
) -> None:
    server.responder = lambda body: "ok" if not body.get("response_format") else json.dumps({"facts": []})
    dm = await world.owner.create_dm()
    backend.make_message("hemmelig i DM", world.owner, dm)
    backend.make_message("mer i DM", world.owner, dm)
    backend.make_message(f"{mention(world)} hei i serveren", world.owner, world.channel)
    await settle(world)
    answered = [body["messages"][-1]["content"] for body in chats(server)]
    assert [text for text in answered if "serveren" in text] == ["hei i serveren"]
    assert world.bot_texts(world.channel) == ["ok"]
    in_server = next(body for body in chats(server) if body["messages"][-1]["content"] == "hei i serveren")
    assert "hemmelig" not in json.dumps(in_server, ensure_ascii=False)


def answer_last(body: dict[str, Any]) -> str:
    return json.dumps({"facts": []}) if body.get("response_format") else f"svar på {body['messages'][-1]['content']}"


async def stored_user_turns(world: World, member: discord.Member, count: int) -> None:
    """Until `count` of the member's messages are stored (the core stores each before anything else)."""
    for _ in range(2000):
        turns = await world.core.state.turns_of(str(member.id))
        if sum(turn.role == "user" for turn in turns) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} messages were not stored")


@pytest.mark.parametrize("reply_pause_s", [2.0])  # far longer than storing two messages
async def test_messages_sent_in_a_row_are_read_to_the_end_and_answered_once(
    world: World, server: FakeLLMServer
) -> None:
    server.responder = answer_last
    dm = await world.owner.create_dm()
    for text in ("hei", "vet du hva", "jeg fikk jobben!"):
        backend.make_message(text, world.owner, dm)
    await settle(world)

    assert world.bot_texts(dm) == ["svar på hei\nvet du hva\njeg fikk jobben!"]
    assert len(chats(server)) == 1
    memories, _ = await world.core.list_memories(world.person(world.owner), 100, None)
    said = sorted(m.text.split(": ", 1)[1] for m in memories if m.meta.get("by") != "aiki")
    assert said == ["hei", "jeg fikk jobben!", "vet du hva"]  # each message a memory of its own, learned once


@pytest.mark.parametrize("reply_pause_s", [0.3])
async def test_aiki_waits_while_the_person_is_still_typing(world: World, server: FakeLLMServer) -> None:
    server.responder = answer_last
    dm = await world.owner.create_dm()
    backend.make_message("vent litt, jeg skriver mer", world.owner, dm)
    await stored_user_turns(world, world.owner, 1)
    typing = {"channel_id": dm.id, "user_id": world.owner.id, "timestamp": 1_764_000_000}  # AIKI times it itself
    world.bot._connection.parse_typing_start(typing)  # type: ignore[arg-type]  (Discord's TYPING_START)
    await asyncio.sleep(1.0)  # more than three pauses: time enough to answer, had AIKI not seen the typing
    assert world.bot_texts(dm) == []

    backend.make_message("ferdig nå", world.owner, dm)
    await settle(world)
    assert world.bot_texts(dm) == ["svar på vent litt, jeg skriver mer\nferdig nå"]


async def test_an_empty_message_is_told_at_once_without_a_model_call(world: World, server: FakeLLMServer) -> None:
    dm = await world.owner.create_dm()
    await dpytest.message("   ", channel=dm, member=world.owner)
    assert world.bot_texts(dm) == ["Your message is empty."]
    assert chats(server) == []


# -- a project named in one place is offered only there -----------------------------------------------------


async def test_a_project_named_in_a_dm_is_never_offered_in_a_server(world: World, server: FakeLLMServer) -> None:
    dm = await world.owner.create_dm()
    server.fail_with(server_error())
    await dpytest.message("I'm working on Zorblaxsecret these days", channel=dm, member=world.owner)
    server.clear_faults()
    await dpytest.message(
        f"{mention(world)} what do you think about mountains?", channel=world.channel, member=world.owner
    )
    await settle(world)
    assert not any("Zorblaxsecret" in text for text in world.bot_texts(world.channel))
    offers = [p for p in world.sent_payloads if "Zorblaxsecret" in str(p.get("content"))]
    assert offers == []

    await dpytest.message("hei igjen", channel=dm, member=world.owner)  # back where it was said: offered there
    await settle(world)
    assert world.bot_texts(dm)[-1] == "Should I check in with you about **Zorblaxsecret** now and then?"


async def test_an_offer_lapses_when_the_conversation_has_moved_on(world: World, server: FakeLLMServer) -> None:
    dm = await world.owner.create_dm()
    server.fail_with(server_error())
    await dpytest.message("I'm working on AIKI-HOME again", channel=dm, member=world.owner)
    server.clear_faults()
    world.core.clock.advance(hours=2)  # type: ignore[attr-defined]
    await dpytest.message("hei", channel=dm, member=world.owner)
    await settle(world)
    assert not any("AIKI-HOME" in text for text in world.bot_texts(dm))


# -- messages sent while AIKI was away ----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def discord_history(monkeypatch: pytest.MonkeyPatch) -> None:
    """Channel history as Discord's API serves it (newest first, `before`/`after` exclusive): dpytest's own
    version returns the `after` message itself and fails on a channel without messages."""

    async def logs_from(
        self: Any, channel_id: int, limit: int, before: int | None = None, after: int | None = None, around: Any = None
    ) -> list[dict[str, Any]]:
        stored = backend._cur_config.messages.get(channel_id, [])  # type: ignore[union-attr]
        chosen = [
            m for m in stored if (before is None or int(m["id"]) < before) and (after is None or int(m["id"]) > after)
        ]
        return list(reversed(chosen))[:limit]

    monkeypatch.setattr(backend.FakeHttp, "logs_from", logs_from)


def sent_while_away(world: World, channel: Any, author: discord.Member, text: str, hours_ago: float) -> int:
    """A message Discord holds that AIKI never received as an event (it was not running)."""
    written = world.core.clock() - timedelta(hours=hours_ago)
    message_id = discord.utils.time_snowflake(written)
    mentions = backend.find_user_mentions(text, getattr(channel, "guild", None))
    data = factories.make_message_dict(channel, author, id_num=message_id, content=text, mentions=mentions)
    backend._cur_config.messages.setdefault(channel.id, []).append(data)  # type: ignore[union-attr]
    return message_id


async def said_earlier(world: World, channel: Any, text: str, hours_ago: float) -> None:
    """A message AIKI received and answered, `hours_ago` by the test's clock (its id carries that time)."""
    message_id = discord.utils.time_snowflake(world.core.clock() - timedelta(hours=hours_ago))
    backend.make_message(text, world.owner, channel, id_num=message_id)
    await settle(world)


async def reconnect(world: World) -> None:
    world.bot.dispatch("ready")
    await settle(world)


async def test_messages_sent_while_away_are_answered_once_together_and_old_ones_only_learned(
    world: World, server: FakeLLMServer
) -> None:
    dm = await world.owner.create_dm()
    await said_earlier(world, dm, "Hei, jeg var på hytta i helga", hours_ago=60)
    seen_before = len(chats(server))
    sent_while_away(world, dm, world.owner, "Fjellvannet var iskaldt", hours_ago=50)
    sent_while_away(world, dm, world.owner, "Er du der?", hours_ago=3)
    sent_while_away(world, dm, world.owner, "Hallo?", hours_ago=2)
    friends_dm = await world.friend.create_dm()
    sent_while_away(world, friends_dm, world.friend, "Vennen her, er du oppe?", hours_ago=1)

    await reconnect(world)
    asked = [body["messages"][-1]["content"] for body in chats(server)[seen_before:]]
    owners = [text for text in asked if "Hallo?" in text]
    assert len(asked) == 2 and len(owners) == 1  # one reply per person for everything that came while away
    assert owners[0].endswith("Er du der?\nHallo?") and "offline" in owners[0] and "3 hours ago" in owners[0]
    assert "Fjellvannet" not in owners[0] and "Vennen" not in owners[0]
    reply = backend._cur_config.messages[dm.id][-1]  # type: ignore[union-attr]
    assert int(reply["author"]["id"]) == world.bot.user.id  # type: ignore[union-attr]

    turns = await world.core.state.turns_of(str(world.owner.id))
    users = [t.content for t in turns if t.role == "user"]
    assert sorted(users) == sorted(["Hei, jeg var på hytta i helga", "Fjellvannet var iskaldt", "Er du der?", "Hallo?"])
    memories, _ = await world.core.list_memories(world.person(world.owner), 100, None)
    assert any("Fjellvannet var iskaldt" in m.text for m in memories)  # too old to answer, learned all the same

    await reconnect(world)  # connected again (or started again): nothing is answered twice
    assert len(chats(server)) == seen_before + 2
    assert len(world.bot_texts(dm)) == 2 and len(world.bot_texts(friends_dm)) == 1


async def test_a_mention_in_a_server_while_away_is_read_back_but_chatter_is_not(
    world: World, server: FakeLLMServer
) -> None:
    await said_earlier(world, world.channel, f"{mention(world)} hei", hours_ago=5)
    sent_while_away(world, world.channel, world.owner, "just chatting with friends", hours_ago=1)
    sent_while_away(world, world.channel, world.owner, f"{mention(world)} er du tilbake?", hours_ago=1)
    sent_while_away(world, world.channel, world.stranger, f"{mention(world)} hello stranger here", hours_ago=1)
    before = len(chats(server))
    await reconnect(world)
    asked = chats(server)[before:]
    assert len(asked) == 1 and asked[0]["messages"][-1]["content"].endswith("er du tilbake?")
    assert "chatting" not in json.dumps(asked[0]) and "stranger" not in json.dumps(asked[0])


# -- a connection lost mid-reply ----------------------------------------------------------------------------


def connection_refused() -> aiohttp.ClientConnectorError:
    key = SimpleNamespace(ssl=None, host="discord.com", port=443)
    return aiohttp.ClientConnectorError(key, OSError(111, "Connection refused"))  # type: ignore[arg-type]


async def test_a_reply_cut_by_a_lost_connection_is_stored_partial_and_marked_after_reconnecting(
    world: World, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(replies, "EDIT_INTERVAL_S", 0.0)  # every chunk is an edit
    server.script(Chunked(["Første del, ", "andre del, ", "tredje del, ", "fjerde del."]))
    original = discord.Message.edit
    edits = {"count": 0}

    async def edit(self: discord.Message, **fields: Any) -> discord.Message:
        edits["count"] += 1
        if edits["count"] == 2:  # the network goes in the middle of the reply
            raise connection_refused()
        return await original(self, **fields)

    monkeypatch.setattr(discord.Message, "edit", edit)
    dm = await world.owner.create_dm()
    with caplog.at_level(logging.INFO):
        await dpytest.message("Fortell en lang historie", channel=dm, member=world.owner)
        await settle(world)
    assert world.bot_texts(dm) == ["Første del, andre del, "]  # what Discord shows while AIKI is cut off
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # nothing escaped the handler
    turns = await world.core.state.turns_of(str(world.owner.id))
    assert [(t.role, t.status) for t in turns] == [("user", "ok"), ("assistant", "partial")]
    assert turns[1].content == "Første del, andre del, tredje del,"

    await reconnect(world)
    assert world.bot_texts(dm) == [
        "Første del, andre del, tredje del,\n\n*(cut off: my connection to Discord was lost)*"
    ]


def test_a_reconnect_attempt_is_one_warning_line_in_the_log(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    setup_logging(settings, to_stderr=False)
    try:
        try:
            raise connection_refused()
        except aiohttp.ClientConnectorError:
            logging.getLogger("discord.client").exception("Attempting a reconnect in %.2fs", 2.5)
    finally:
        for handler in logging.getLogger().handlers:
            handler.flush()
    lines = (tmp_path / "logs" / "aiki.log").read_text().splitlines()
    assert len(lines) == 1
    assert (
        "WARNING discord.client: connection to Discord lost (ClientConnectorError); reconnecting in 2.5 s" in lines[0]
    )


# -- a forget a crash cut short -----------------------------------------------------------------------------


async def test_a_forget_completed_late_is_told_once_in_the_dm_never_in_the_server(
    world: World, server: FakeLLMServer
) -> None:
    asked = world.core.clock() - timedelta(hours=1)
    await world.core.state.add_late_forget(str(world.owner.id), "everything", asked, world.core.clock())
    await dpytest.message(f"{mention(world)} hei", channel=world.channel, member=world.owner)
    await dpytest.message(f"{mention(world)} hei igjen", channel=world.channel, member=world.owner)
    await settle(world)
    assert not any("forget" in text for text in world.bot_texts(world.channel))
    told = world.bot_texts(await world.owner.create_dm())
    assert len(told) == 1 and "interrupted when AIKI stopped; it has now been completed" in told[0]
