"""`aiki chat`: the terminal conversation over the real core, in-process and as a real subprocess."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pexpect
import pytest

from bot.memory.bank import NewMemory
from bot.memory.embedder import FastEmbedder
from bot.memory.models import MemoryKind
from bot.mind.core import Consciousness, Person
from bot.mind.memory_commands import MAX_REMEMBER_CHARS
from bot.state.store import StateStore
from bot.terminal import CUT_OFF, STOPPED, PromptReader, Terminal
from scripts.test_model import TEST_MODEL
from tests.conftest import ROOT
from tests.core_fixtures import Clock, Replies, build_core, close_core, open_core
from tests.llm_server import Chunked, FakeLLMServer, Hang, LengthCut, Reply, server_error

ME = Person("42", "Jovnna")


@pytest.fixture
async def core(tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer) -> AsyncIterator[Consciousness]:
    server.reset()
    server.responder = Replies(default="Hei Jovnna!")
    made = await open_core(build_core(tmp_path, embedder, server, Clock()))
    yield made
    await close_core(made)


async def run_lines(core: Consciousness, *lines: str) -> str:
    queue = list(lines)

    def read(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    out = io.StringIO()
    await Terminal(core, ME, read, out).run()
    return out.getvalue()


async def test_chat_streams_replies_and_commands_work(core: Consciousness, server: FakeLLMServer) -> None:
    server.script(Chunked(["Hei ", "der, ", "Jovnna!"]))
    out = await run_lines(core, "hei aiki", "/remember My bike is a blue Brompton", "/recall bicycle", "/mood", "/nope")
    assert "aiki> Hei der, Jovnna!" in out
    assert "Remembered" in out
    recall_line = next(line for line in out.splitlines() if "Brompton" in line)
    assert recall_line.startswith("[") and "note (cli)" in recall_line
    assert "I feel" in out and "Unknown command /nope" in out and out.rstrip().endswith("Ha det!")


async def test_forget_one_memory_by_its_short_id_and_then_everything(core: Consciousness) -> None:
    out = await run_lines(core, "/remember Jovnna's PIN hint is purple", "/recall PIN hint")
    short_id = next(line for line in out.splitlines() if "purple" in line)[1:9]
    out = await run_lines(core, f"/forget {short_id}", "/recall PIN hint", "/forget all", "no", "/forget all", "yes")
    assert "Forgotten." in out and "purple" not in out
    assert "Nothing was forgotten." in out and "Forgotten: " in out
    assert await core.bank.store.count(ME.scope) == 0


async def test_forget_takes_four_hex_characters_in_any_case_and_says_when_an_id_is_shared(
    core: Consciousness,
) -> None:
    twins = [f"0000{n}abc-0000-4000-8000-000000000000" for n in (1, 2)]
    await core.bank.add([NewMemory(ME.scope, f"Notat {i}", MemoryKind.NOTE, id=i) for i in twins])
    out = await run_lines(core, "/forget", "/forget 0", "/forget 00g0", "/forget 0000")
    assert "Usage: /forget ID" in out
    assert out.count("aiki: A memory id is at least 4 of the characters /recall shows") == 2
    assert "aiki: More than one memory starts with 0000: give more of its id." in out
    assert await core.bank.store.count(ME.scope) == 2  # a short or shared id picks nothing
    out = await run_lines(core, f"/forget {twins[0][:5].upper()}", "/forget ALL", "yes")
    assert "Forgotten." in out and "Forgotten: 1 memories" in out


async def test_a_message_of_only_invisible_characters_is_empty_and_never_reaches_the_model(
    core: Consciousness, server: FakeLLMServer
) -> None:
    out = await run_lines(core, "\u200b\u200c\u200d", "\ufeff \u2060\t\u200b", "\u3164")
    assert out.count("aiki: Your message is empty.") == 3
    assert server.chat_requests == []


async def test_remember_refuses_99_kb_with_a_short_message_and_stores_nothing(core: Consciousness) -> None:
    out = await run_lines(core, "/remember " + "Brompton " * 11_000, "/remember " + "x" * MAX_REMEMBER_CHARS)
    assert "aiki: That is too long to remember (98,999 characters; 8,000 at most)." in out
    assert out.count("Remembered (") == 1  # exactly at the limit is fine
    assert await core.bank.store.count(ME.scope) == 1


async def test_an_llm_failure_is_one_clear_line_not_a_traceback(core: Consciousness, server: FakeLLMServer) -> None:
    server.fail_with(server_error())
    out = await run_lines(core, "er du der?")
    server.clear_faults()
    assert "aiki: My language model had an error. Try again in a moment." in out
    assert "Traceback" not in out


def chat_env(tmp_path: Path, model_cache: Path, server: FakeLLMServer) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AIKI_DATA_DIR": str(tmp_path / "data"),
        "AIKI_EMBEDDING_MODEL": TEST_MODEL,
        "AIKI_MODEL_CACHE_DIR": str(model_cache),
        "AIKI_LLM_BASE_URL": server.base_url,
        "AIKI_LLM_API_KEY": "sk-test",
        "AIKI_OWNER_IDS": "4242",
        "AIKI_LOG_LEVEL": "WARNING",
    }


def test_aiki_chat_as_a_real_command(tmp_path: Path, model_cache: Path, server: FakeLLMServer) -> None:
    server.reset()
    server.default_reply = "Hei fra AIKI!"
    env = chat_env(tmp_path, model_cache, server)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="hei\n/quit\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "aiki> Hei fra AIKI!" in result.stdout
    assert "Traceback" not in result.stderr and "AIKI_LOG_CONTENT" not in result.stderr


def test_aiki_chat_shows_the_log_content_warning_on_the_screen_once(
    tmp_path: Path, model_cache: Path, server: FakeLLMServer
) -> None:
    server.reset()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="/quit\n",
        env={**chat_env(tmp_path, model_cache, server), "AIKI_LOG_CONTENT": "true"},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # the screen: both streams
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout
    screen = result.stdout
    assert screen.count("AIKI_LOG_CONTENT is on: THE LOGS MAY NOW HOLD WHAT PEOPLE WROTE") == 1
    assert str(tmp_path / "data" / "logs") in screen  # the folder to delete afterwards
    assert screen.index("AIKI_LOG_CONTENT is on") < screen.index("AIKI is listening")  # before the conversation


def test_piped_bytes_that_are_not_utf8_and_a_long_message_arrive_whole(
    tmp_path: Path, model_cache: Path, server: FakeLLMServer
) -> None:
    server.reset()
    server.default_reply = "Hei fra AIKI!"
    long_message = "ord " * 1_900  # 7,600 bytes: past the terminal's 4,096-byte line limit, under AIKI's 8,000
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input=b"hei \xff\xfe der\n" + long_message.encode() + b"\n/quit\n",
        env=chat_env(tmp_path, model_cache, server),
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr
    sent = [m["content"] for body in server.chat_requests for m in body["messages"] if m["role"] == "user"]
    assert "hei \ufffd\ufffd der" in sent
    assert long_message.strip() in sent


async def test_ctrl_c_cuts_the_reply_off_keeps_the_message_and_the_session_goes_on(
    core: Consciousness, server: FakeLLMServer
) -> None:
    server.script(Hang())
    queue = ["er du der?"]
    reading_again = asyncio.Event()

    def read(prompt: str) -> str:
        if queue:
            return queue.pop(0)
        reading_again.set()
        raise EOFError

    out = io.StringIO()
    terminal = Terminal(core, ME, read, out)
    session = asyncio.create_task(terminal.run())
    while not server.chat_requests:  # the reply is being generated
        await asyncio.sleep(0.01)
    terminal.interrupt()
    await session
    assert reading_again.is_set()  # after the cut-off reply, the prompt came back
    assert f"aiki> {CUT_OFF.format(why=STOPPED)}\n" in out.getvalue() and out.getvalue().rstrip().endswith("Ha det!")
    await core.drain()
    stored = await core.state.turns_of(ME.scope)  # kept, and marked: no reply came
    assert [(t.content, t.status) for t in stored if t.role == "user"] == [("er du der?", "failed")]


async def test_ctrl_c_at_the_prompt_leaves(core: Consciousness) -> None:
    started = asyncio.Event()

    async def never(prompt: str) -> str | None:
        started.set()
        await asyncio.Event().wait()
        return None

    class Waiting:
        read = staticmethod(never)

    out = io.StringIO()
    terminal = Terminal(core, ME, Waiting(), out)
    session = asyncio.create_task(terminal.run())
    await started.wait()
    terminal.interrupt()
    await session
    assert out.getvalue().rstrip().endswith("Ha det!")


async def test_a_reply_that_fails_in_an_unforeseen_way_ends_the_reply_not_the_session(
    core: Consciousness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def garbage(incoming: object) -> AsyncIterator[str]:
        yield "Hei"
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    monkeypatch.setattr(core, "respond", garbage)
    out = await run_lines(core, "hei", "/mood")
    assert "The reply failed (UnicodeDecodeError); your message was kept." in out
    assert "I feel" in out  # the session went on


async def test_a_real_ctrl_c_while_no_reply_runs_and_no_prompt_waits_changes_nothing(
    core: Consciousness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After prompt_toolkit's prompt (which takes SIGINT while it reads) AIKI hears Ctrl-C again; with nothing to cut
    off (a command runs, or the reply just ended) it neither leaves nor stops what is being done."""
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    heard = asyncio.Event()
    with create_pipe_input() as keys:
        out = io.StringIO()
        terminal = Terminal(core, ME, PromptReader(input=keys, output=DummyOutput()), out)
        handler = terminal.interrupt

        def interrupt() -> None:  # the handler AIKI installs, observed
            handler()
            heard.set()

        async def recall(person: Person, query: str) -> list[object]:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the command runs
            await asyncio.wait_for(heard.wait(), timeout=60)  # never heard: the handler is gone
            keys.send_text("/quit\r")
            return []

        monkeypatch.setattr(terminal, "interrupt", interrupt)
        monkeypatch.setattr(core, "recall", recall)
        keys.send_text("/recall sykkel\r")
        await terminal.run()
    assert "Nothing comes to mind." in out.getvalue() and out.getvalue().rstrip().endswith("Ha det!")


async def test_the_line_editor_handles_arrows_pastes_and_ctrl_d() -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    with create_pipe_input() as keys:
        reader = PromptReader(input=keys, output=DummyOutput())
        keys.send_text("helo\x1b[Dl\r")  # a typo fixed with the left arrow
        assert await reader.read("you> ") == "hello"
        pasted = "first line\n" + "x" * 10_000 + "\nlast line"
        keys.send_text("\x1b[200~" + pasted + "\x1b[201~\r")  # a bracketed paste, multi-line and long
        assert await reader.read("you> ") == pasted
        keys.send_text("\x1b[A\r")  # arrow up: the history
        assert await reader.read("you> ") == pasted
        keys.send_text("\x04")  # Ctrl-D
        assert await reader.read("you> ") is None


# -- a real terminal: keys go through a pseudo-terminal, Ctrl-C is the tty's interrupt character ----------------------

SLOW_WORDS = [f"ord{i} " for i in range(300)]  # 30 s at 0.1 s a word: Ctrl-C lands long before the end
SLOW_REPLY = "".join(SLOW_WORDS).strip()
LENGTH_CUT = ("Dette er et langt svar som ",)
CUT_OFF_LINE = r"\r\n\(cut off: [^\r\n]+\)\r\n"  # the note, alone on its line
PROMPT = "you>"  # prompt_toolkit draws the prompt's trailing space as a cursor move


def stream_in_turn(*replies: Reply) -> Callable[[dict[str, Any]], Reply]:
    """The stand-in answers each streamed chat request with the next of `replies`, learning requests as usual."""
    queue, learning = list(replies), Replies(default="Hei igjen!")

    def answer(body: dict[str, Any]) -> Reply:
        return queue.pop(0) if body.get("stream") and queue else learning(body)

    return answer


def spawn_chat(tmp_path: Path, env: dict[str, str]) -> pexpect.spawn:
    """`python -m bot chat` on a pseudo-terminal, the way a person starts it (prompt_toolkit reads the keys)."""
    # A real terminal answers prompt_toolkit's cursor-position query; pexpect does not, so it is not asked.
    env = {**env, "TERM": "xterm-256color", "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(
        sys.executable, ["-m", "bot", "chat"], cwd=str(tmp_path), env=env, encoding="utf-8", timeout=60
    )
    child.setwinsize(40, 200)
    child.logfile_read = io.StringIO()  # the whole screen, for the no-traceback check
    child.expect_exact(PROMPT)
    return child


def stored_turns(data: Path, scope: str) -> list[tuple[str, str, str]]:
    async def read() -> list[tuple[str, str, str]]:
        state = StateStore(data / "aiki.db")
        await state.open()
        try:
            return [(t.role, t.status, t.content) for t in await state.turns_of(scope)]
        finally:
            await state.close()

    return asyncio.run(read())


def test_ctrl_c_on_a_real_terminal_cuts_off_the_first_and_the_second_reply(
    tmp_path: Path, model_cache: Path, server: FakeLLMServer
) -> None:
    server.reset()
    slow = Chunked(SLOW_WORDS, pause=0.1)
    server.responder = stream_in_turn(slow, slow, LengthCut(LENGTH_CUT))
    child = spawn_chat(tmp_path, chat_env(tmp_path, model_cache, server))
    for message in ("fortell en lang historie", "en til, takk"):  # the second: after prompt_toolkit's second prompt
        child.send(message + "\r")
        child.expect_exact("aiki> ord0 ")  # the reply is streaming
        child.sendintr()  # the person presses Ctrl-C
        assert child.expect([CUT_OFF_LINE, PROMPT]) == 0, f"the reply was not cut off: {child.before!r}"
        child.expect_exact(PROMPT)  # the session goes on
    child.send("og en kort en\r")
    child.expect(re.escape(LENGTH_CUT[0]) + CUT_OFF_LINE)  # the length-limit note, on its own line too
    assert "AIKI_LLM_MAX_REPLY_TOKENS" in child.after
    child.expect_exact(PROMPT)
    child.send("/quit\r")
    child.expect_exact("Ha det!")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "Traceback" not in child.logfile_read.getvalue()

    turns = stored_turns(tmp_path / "data", "4242")
    users = [(status, text) for role, status, text in turns if role == "user"]
    assert users == [("ok", "fortell en lang historie"), ("ok", "en til, takk"), ("ok", "og en kort en")]
    replies = [(status, text) for role, status, text in turns if role == "assistant"]
    assert [status for status, _ in replies] == ["partial"] * 3
    for _, text in replies[:2]:  # what was shown before Ctrl-C, and no more
        assert text.startswith("ord0") and len(text) < len(SLOW_REPLY)


def test_ctrl_c_at_the_prompt_of_a_real_terminal_leaves(
    tmp_path: Path, model_cache: Path, server: FakeLLMServer
) -> None:
    server.reset()
    child = spawn_chat(tmp_path, chat_env(tmp_path, model_cache, server))
    child.sendintr()
    child.expect_exact("Ha det!")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and "Traceback" not in child.logfile_read.getvalue()
