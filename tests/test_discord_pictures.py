"""Pictures through Discord's door (dpytest gateway events, the real bot over the real core): attachments on a DM
or a mention reach the model as image parts and are remembered in words with their place; hostile files get one
clear line each while the words are still answered; a text-only model says once that it cannot see pictures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext.test import backend, factories

from bot.mind.seeing import BLIND_MODEL
from bot.pictures import MAX_FILE_BYTES
from tests.discord_world import World, mention
from tests.llm_server import FakeLLMServer, image_urls, openai_text_only
from tests.picture_files import NOT_A_PNG, SVG, bomb, photo, sparse_file, truncated


@pytest.fixture
def sent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Discord's CDN for these tests: the files people attach (never AIKI's data directory)."""
    return tmp_path_factory.mktemp("cdn")


def attach(path: Path, content_type: str | None) -> discord.Attachment:
    """An attachment as Discord describes it (name, size, type); dpytest serves its bytes from the file."""
    uri = path.absolute().as_uri()
    data = factories.make_attachment_dict(path.name, path.stat().st_size, uri, uri, content_type=content_type)
    return discord.Attachment(state=backend.get_state(), data=data)


def a_file(sent: Path, name: str, data: bytes) -> Path:
    path = sent / name
    path.write_bytes(data)
    return path


async def settle(world: World) -> None:
    await dpytest.run_all_events()
    await world.core.drain()


def chats(server: FakeLLMServer) -> list[dict[str, Any]]:
    return [body for body in server.chat_requests if "response_format" not in body]


async def test_pictures_in_a_dm_are_seen_answered_and_remembered_with_their_place(
    world: World, server: FakeLLMServer, sent: Path
) -> None:
    red = attach(a_file(sent, "IMG_1.jpg", photo(1_600, 1_200, (210, 40, 40))), "image/jpeg")
    blue = attach(a_file(sent, "IMG_2.jpg", photo(800, 600, (40, 70, 200))), "image/jpeg")
    dm = await world.owner.create_dm()
    message = backend.make_message("the two bikes I'm choosing between", world.owner, dm, attachments=[red, blue])
    await settle(world)

    seen = "I see 2 pictures: a 1024x768 JPEG picture, mostly red; a 800x600 JPEG picture, mostly blue."
    assert world.bot_texts(dm) == [seen]
    reply = next(body for body in chats(server) if body["messages"][0]["content"].startswith("You are"))
    assert [part["type"] for part in reply["messages"][-1]["content"]] == ["text", "image_url", "image_url"]
    memories, _ = await world.core.list_memories(world.person(world.owner), 50, None)
    [picture] = [m for m in memories if m.meta.get("picture")]
    assert picture.text.startswith(f'{message.author.display_name} sent 2 pictures with the words "the two bikes')
    where = picture.origin
    assert (where.source.value, where.channel_id, where.message_id) == ("dm", dm.id, message.id)
    assert picture.meta["picture"] == 2
    [turn] = [t for t in await world.core.state.turns_of(str(world.owner.id)) if t.role == "user"]
    assert (turn.message_id, turn.pictures, turn.seen) == (message.id, 2, seen)


async def test_a_mention_that_is_only_a_picture_is_answered_in_the_server(
    world: World, server: FakeLLMServer, sent: Path
) -> None:
    gif = attach(a_file(sent, "party.png", photo(400, 300, (230, 210, 50))), "image/png")  # a JPEG that says png
    backend.make_message(mention(world), world.friend, world.channel, attachments=[gif])
    await settle(world)
    assert world.bot_texts(world.channel) == ["I see a 400x300 JPEG picture, mostly yellow."]
    memories, _ = await world.core.list_memories(world.person(world.friend), 50, None)
    [picture] = [m for m in memories if m.meta.get("picture")]
    assert (picture.origin.source.value, picture.origin.channel_id) == ("channel", world.channel.id)


async def test_hostile_attachments_get_one_line_each_and_the_words_are_still_answered(
    world: World, server: FakeLLMServer, sent: Path, tmp_path: Path
) -> None:
    files = [
        attach(a_file(sent, "bomb.png", bomb(10_000)), "image/png"),
        attach(a_file(sent, "half.jpg", truncated(photo(800, 600))), "image/jpeg"),
        attach(a_file(sent, "cat.png", NOT_A_PNG), "image/png"),
        attach(sparse_file(sent / "huge.png"), "image/png"),
        attach(a_file(sent, "logo.svg", SVG), "image/svg+xml"),
    ]
    (sent / "huge.png").chmod(0)  # had AIKI tried to download it, the line would say so
    dm = await world.owner.create_dm()
    backend.make_message("what do you make of these?", world.owner, dm, attachments=files)
    await settle(world)

    assert world.bot_texts(dm) == [
        "(I couldn't look at bomb.png: it is 10,000 × 10,000 pixels, too many to open safely.)\n"
        "(I couldn't look at half.jpg: the file is damaged or incomplete.)\n"
        "(I couldn't look at cat.png: it is not a PNG, JPEG, WebP or GIF picture, whatever its name says.)\n"
        f"(I couldn't look at huge.png: it is 50 MB, and I open pictures up to {MAX_FILE_BYTES >> 20} MB.)\n"
        "(I couldn't look at logo.svg: SVG drawings can carry code, so I don't open them; send a PNG, JPEG, WebP or "
        "GIF instead.)\n"
        "\n"
        "Hei! Hyggelig å høre fra deg."
    ]
    assert server.images_received == [] and not any(image_urls(body) for body in server.chat_requests)
    assert chats(server)[0]["messages"][-1]["content"] == "what do you make of these?"
    stored = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert not any(NOT_A_PNG[:64] in data or SVG in data for data in stored)  # nothing of them on AIKI's disk


async def test_a_message_that_is_only_a_bad_picture_gets_its_line_and_no_model_call(
    world: World, server: FakeLLMServer, sent: Path
) -> None:
    dm = await world.owner.create_dm()
    backend.make_message("", world.owner, dm, attachments=[attach(a_file(sent, "x.svg", SVG), None)])
    await settle(world)
    assert world.bot_texts(dm) == [
        "I couldn't look at x.svg: SVG drawings can carry code, so I don't open them; send a PNG, JPEG, WebP or GIF "
        "instead."
    ]
    assert server.chat_requests == []


async def test_a_text_only_model_answers_on_discord_and_says_once_that_it_cannot_see(
    world: World, server: FakeLLMServer, sent: Path
) -> None:
    server.fail_with(openai_text_only())
    server.responder = lambda body: "ok" if not body.get("response_format") else json.dumps({"facts": []})
    path = a_file(sent, "dog.jpg", photo(640, 480))
    dm = await world.owner.create_dm()
    backend.make_message("my dog!", world.owner, dm, attachments=[attach(path, "image/jpeg")])
    await settle(world)
    backend.make_message("and again", world.owner, dm, attachments=[attach(path, "image/jpeg")])
    await settle(world)
    assert world.bot_texts(dm) == [f"{BLIND_MODEL}\n\nok", "ok"]
    assert sum(1 for body in server.chat_requests if image_urls(body)) == 1
