"""AIKI sees: a picture sent in `aiki chat` (`/image PATH [text]`) reaches the model as an OpenAI image part, the
reply answers it, and what AIKI saw is remembered in words (found weeks later, forgotten with /forget, never the
picture itself on disk). A text-only model still answers the words and says once that it cannot see pictures,
and AIKI_LLM_VISION=auto remembers that per model. Real core, SQLite, Qdrant Edge, the HTTP test LLM and Pillow."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.llm import ChatMessage, LLMRejectedError, OpenAICompatibleLLM, PicturesRefusedError
from bot.memory.embedder import FastEmbedder
from bot.mind.core import Consciousness, Incoming, Person
from bot.mind.forgetting import finish_interrupted_forgets
from bot.mind.seeing import BLIND_MODEL, BLIND_SETTING, DESCRIBE_PROMPT, PICTURE_REFUSED, picture_memory
from bot.mind.turn import Received
from bot.pictures import Picture, VisionMode, prepare_picture
from bot.state.journal import ForgetJournal, ForgetKind, ForgetRequest
from bot.state.store import Turn
from bot.terminal import Terminal
from tests.core_fixtures import Clock, Replies, build_core, close_core, open_core
from tests.llm_server import (
    FakeLLMServer,
    HttpError,
    RejectsImages,
    SeenImage,
    image_urls,
    llama_cpp_text_only,
    openai_invalid_image,
    openai_text_only,
    openrouter_text_only,
)
from tests.picture_files import NOT_A_PNG, SVG, photo
from tests.test_privacy import files_holding

ME = Person("42", "Jovnna")
FLAT = "A bright apartment living room with a green Zorblax sofa by the window."
REPLY = "What a lovely green room!"
PICTURE = prepare_picture(photo(64, 48), "tiny.jpg")


async def run_lines(core: Consciousness, *lines: str) -> str:
    queue = list(lines)

    def read(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    out = io.StringIO()
    await Terminal(core, ME, read, out).run()
    await core.drain()
    return out.getvalue()


def describing(body: dict[str, Any]) -> bool:
    return bool(body["messages"][0]["content"] == DESCRIBE_PROMPT)


def sees_a_flat(images: list[SeenImage], body: dict[str, Any]) -> str:
    return FLAT if describing(body) else REPLY


def with_pictures(server: FakeLLMServer) -> list[dict[str, Any]]:
    return [body for body in server.chat_requests if image_urls(body)]


def replies_to_people(server: FakeLLMServer) -> list[dict[str, Any]]:
    return [b for b in server.chat_requests if "response_format" not in b and not describing(b)]


@pytest.fixture
def sent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the person's own files are: apart from AIKI's data directory (the test's tmp_path)."""
    return tmp_path_factory.mktemp("their-files")


@pytest.fixture
def flat_photo(sent: Path) -> Path:
    path = sent / "stue.jpg"
    path.write_bytes(photo(2_000, 1_500, colour=(40, 160, 60)))
    return path


async def open_at(tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer, vision: VisionMode) -> Consciousness:
    return await open_core(build_core(tmp_path, embedder, server, Clock(), vision=vision))


@pytest.fixture
async def auto_core(
    tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer, replies: Replies
) -> AsyncIterator[Consciousness]:
    made = await open_at(tmp_path, embedder, server, VisionMode.AUTO)
    yield made
    await close_core(made)


# -- a picture seen, answered and remembered ------------------------------------------------------------------


async def test_a_picture_from_the_terminal_reaches_the_model_and_is_remembered_in_words(
    core: Consciousness, server: FakeLLMServer, flat_photo: Path, tmp_path: Path
) -> None:
    server.describer = sees_a_flat
    out = await run_lines(core, f"/image {flat_photo} my new apartment!")

    assert f"aiki> {REPLY}" in out
    reply, description = with_pictures(server)
    content = reply["messages"][-1]["content"]
    assert [part["type"] for part in content] == ["text", "image_url"]
    assert content[0]["text"] == "my new apartment!"
    assert content[1]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert [(i.media_type, i.width, i.height, i.colour) for i in server.images_received] == [
        ("image/jpeg", 1_024, 768, "green")
    ] * 2  # the reply saw it, and so did the description after it
    assert describing(description) and "my new apartment!" in description["messages"][1]["content"][0]["text"]

    memories, _ = await core.list_memories(ME, 50, None)
    [picture] = [m for m in memories if m.meta.get("picture")]
    assert picture.text == f'Jovnna sent a picture with the words "my new apartment!". AIKI saw: {FLAT}'
    assert (picture.origin.source.value, picture.created_at) == ("cli", core.clock())
    [turn] = [t for t in await core.state.turns_of(ME.scope) if t.role == "user"]
    assert (turn.content, turn.pictures, turn.seen) == ("my new apartment!", 1, FLAT)

    # The next prompt's history shows what was seen; weeks later, a question finds it in memory.
    await run_lines(core, "what colour was the sofa?")
    assert f"what you saw: {FLAT!r}".replace("'", '"') in replies_to_people(server)[-1]["messages"][1]["content"]
    clock = core.clock
    assert isinstance(clock, Clock)
    clock.advance(days=40)
    found = await core.recall(ME, "what did my apartment look like?")
    assert found[0].hit.memory.id == picture.id

    # Neither the picture sent nor the bytes the model got are in any file; /forget takes the description away.
    sent_jpeg = base64.b64decode(content[1]["image_url"]["url"].split(",", 1)[1])
    middle = sent_jpeg[len(sent_jpeg) // 2 : len(sent_jpeg) // 2 + 48]
    original = flat_photo.read_bytes()
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert not any(chunk in data for data in files for chunk in (middle, original[4_000:4_048]))
    assert any(b"Zorblax" in data for data in files)
    assert await core.forget(ME, picture.id)
    assert files_holding(tmp_path, "Zorblax") == []
    assert [t.seen for t in await core.state.turns_of(ME.scope) if t.pictures] == [None]


async def test_a_picture_without_words_is_a_message(core: Consciousness, server: FakeLLMServer, sent: Path) -> None:
    path = sent / "dog.gif"
    path.write_bytes(photo(300, 200, colour=(230, 210, 50)))  # named .gif, a JPEG inside: read by what it is
    out = await run_lines(core, f'/image "{path}"')
    assert "aiki> I see a 300x200 JPEG picture, mostly yellow." in out
    assert replies_to_people(server)[0]["messages"][-1]["content"][0]["text"] == "(They sent a picture without words.)"
    memories, _ = await core.list_memories(ME, 50, None)
    assert [m.text for m in memories if m.meta.get("picture")] == [
        "Jovnna sent a picture. AIKI saw: I see a 300x200 JPEG picture, mostly yellow."
    ]
    assert not [m for m in memories if m.text.startswith("Jovnna:")]  # no empty words remembered


async def test_a_text_only_turn_sends_plain_text_as_before(core: Consciousness, server: FakeLLMServer) -> None:
    await run_lines(core, "hei")
    assert all(isinstance(m["content"], str) for body in server.chat_requests for m in body["messages"])


async def test_a_forget_of_a_picture_cut_short_by_a_crash_clears_its_description_at_the_next_start(
    core: Consciousness, tmp_path: Path
) -> None:
    at = core.clock()
    turn_id = await core.state.add_turn(Turn(ME.scope, "user", "look", at, pictures=1, seen=FLAT))
    received = Received(Incoming(ME, "look", pictures=(PICTURE,)), "look", turn_id, at)
    memory = await core.bank.add_one(picture_memory(received, FLAT))
    journal = ForgetJournal(tmp_path / "forget-journal")
    request = ForgetRequest(ForgetKind.MEMORY, ME.scope, at, memory.id)
    journal.begin(request)  # asked for; then AIKI was killed before anything was erased
    journal.release(request)
    await finish_interrupted_forgets(journal, core.bank.store, core.state, core.clock)
    assert [t.seen for t in await core.state.turns_of(ME.scope)] == [None]
    assert files_holding(tmp_path, "Zorblax") == []


# -- files AIKI does not look at ---------------------------------------------------------------------------------


async def test_bad_files_in_the_terminal_get_one_line_each_and_the_words_are_still_answered(
    core: Consciousness, server: FakeLLMServer, sent: Path
) -> None:
    fake = sent / "cat.png"
    fake.write_bytes(NOT_A_PNG)
    drawing = sent / "logo.svg"
    drawing.write_bytes(SVG)
    out = await run_lines(core, f"/image {fake} is this my cat?", f"/image {drawing}", f"/image {sent / 'gone.jpg'} hm")
    assert (
        "aiki> (I couldn't look at cat.png: it is not a PNG, JPEG, WebP or GIF picture, whatever its name says.)\n"
        "\nHei! Fortell meg mer."
    ) in out
    assert "aiki: I couldn't look at logo.svg: SVG drawings can carry code" in out  # nothing else to answer
    assert "(I couldn't look at gone.jpg: there is no such file.)" in out
    assert server.images_received == []
    assert [body["messages"][-1]["content"] for body in replies_to_people(server)] == ["is this my cat?", "hm"]


# -- a model that cannot see ---------------------------------------------------------------------------------------


async def test_a_text_only_model_answers_the_words_says_so_once_and_auto_remembers_it(
    tmp_path: Path,
    embedder: FastEmbedder,
    server: FakeLLMServer,
    replies: Replies,
    flat_photo: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.fail_with(openai_text_only())
    core = await open_at(tmp_path, embedder, server, VisionMode.AUTO)
    try:
        with caplog.at_level(logging.INFO):
            out = await run_lines(core, f"/image {flat_photo} look at my flat", f"/image {flat_photo} and again")
    finally:
        await close_core(core)

    assert f"aiki> {BLIND_MODEL}\n\nHei! Fortell meg mer." in out
    assert out.count(BLIND_MODEL) == 1  # once per conversation
    assert len(with_pictures(server)) == 1  # tried once; the second picture was never sent
    first, second = [body["messages"][-1]["content"] for body in replies_to_people(server) if not image_urls(body)]
    assert first == "look at my flat\n\n(They also sent a picture, which you cannot see.)"
    assert second == "and again\n\n(They also sent a picture, which you cannot see.)"
    said = [r.getMessage() for r in caplog.records if "pictures" in r.getMessage()]
    assert said == [
        "model aiki-test-model takes no pictures (HTTP 400 (invalid_request_error)): "
        "AIKI_LLM_VISION=auto sends it none from now on"
    ]

    again = await open_at(tmp_path, embedder, server, VisionMode.AUTO)  # a restart: still known, never tried again
    try:
        await run_lines(again, f"/image {flat_photo} one more")
    finally:
        await close_core(again)
    assert len(with_pictures(server)) == 1


async def test_on_always_shows_pictures_and_off_never(
    tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer, replies: Replies, flat_photo: Path
) -> None:
    server.fail_with(openai_text_only())
    core = await open_at(tmp_path / "on", embedder, server, VisionMode.ON)
    try:
        out = await run_lines(core, f"/image {flat_photo} a", f"/image {flat_photo} b")
        assert await core.state.model_sees("aiki-test-model") is None  # a refusal under `on` is not remembered
    finally:
        await close_core(core)
    assert len(with_pictures(server)) == 2 and out.count(BLIND_MODEL) == 1

    server.clear_faults()
    core = await open_at(tmp_path / "off", embedder, server, VisionMode.OFF)
    try:
        out = await run_lines(core, f"/image {flat_photo} c", f"/image {flat_photo} d")
    finally:
        await close_core(core)
    assert len(with_pictures(server)) == 2  # none more
    assert out.count(BLIND_SETTING) == 1


async def test_a_seeing_model_that_refuses_one_picture_costs_that_reply_its_picture_only(
    auto_core: Consciousness, server: FakeLLMServer, flat_photo: Path
) -> None:
    server.fail_with(openai_invalid_image())
    out = await run_lines(auto_core, f"/image {flat_photo} a", f"/image {flat_photo} b")
    assert out.count(PICTURE_REFUSED) == 2 and "Hei! Fortell meg mer." in out
    assert len(with_pictures(server)) == 2  # tried each time: the model sees
    assert await auto_core.state.model_sees("aiki-test-model") is None


async def test_a_model_that_took_pictures_is_remembered_as_seeing(
    auto_core: Consciousness, server: FakeLLMServer, flat_photo: Path
) -> None:
    await run_lines(auto_core, f"/image {flat_photo} hei")
    assert await auto_core.state.model_sees("aiki-test-model") is True


# -- how real endpoints refuse pictures, as the adapter reads them -------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "blind"),
    [
        (openai_text_only(), True),
        (openrouter_text_only(), True),
        (llama_cpp_text_only(), True),
        (openai_invalid_image(), False),
    ],
    ids=["openai", "openrouter", "llama.cpp", "openai invalid image"],
)
@pytest.mark.parametrize("streamed", [True, False])
async def test_the_adapter_tells_a_refusal_of_pictures_from_other_errors(
    server: FakeLLMServer, fault: RejectsImages, blind: bool, streamed: bool
) -> None:
    server.reset()
    server.fail_with(fault)
    llm = OpenAICompatibleLLM(server.base_url, "k", "m", timeout_s=5, max_retries=0, max_reply_tokens=50)
    asked = [ChatMessage("system", "You are AIKI."), ChatMessage("user", "look", (PICTURE,))]
    try:
        with pytest.raises(PicturesRefusedError) as refused:
            if streamed:
                [chunk async for chunk in llm.stream(asked, 0.5)]
            else:
                await llm.complete(asked, 0.5)
        assert refused.value.blind is blind
        assert await llm.complete([ChatMessage("user", "no picture")], 0.5) == "OK"  # words alone still work
        server.fail_with(HttpError(400, "Bad request: temperature is invalid"))
        with pytest.raises(LLMRejectedError) as other:
            await llm.complete(asked, 0.5)
        assert not isinstance(other.value, PicturesRefusedError)
    finally:
        await llm.close()


async def test_the_test_server_checks_image_parts_like_openai(server: FakeLLMServer) -> None:
    server.reset()
    llm = OpenAICompatibleLLM(server.base_url, "k", "m", timeout_s=5, max_retries=0, max_reply_tokens=50)
    broken = Picture("x.jpg", b"\x89PNG\r\n\x1a\n not a jpeg", 10, 10)
    try:
        assert await llm.complete([ChatMessage("user", "look", (PICTURE,))], 0.5) == (
            "I see a 64x48 JPEG picture, mostly red."
        )
        with pytest.raises(PicturesRefusedError) as refused:  # the media type does not match the bytes
            await llm.complete([ChatMessage("user", "look", (broken,))], 0.5)
        assert refused.value.blind is False
        server.max_image_bytes = 100
        with pytest.raises(PicturesRefusedError):
            await llm.complete([ChatMessage("user", "look", (PICTURE,))], 0.5)
    finally:
        await llm.close()
