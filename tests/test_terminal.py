"""`aiki chat`: the terminal conversation over the real core, in-process and as a real subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.core import Consciousness, Person
from bot.embedder import FastEmbedder
from bot.terminal import Terminal
from scripts.test_model import TEST_MODEL
from tests.conftest import ROOT
from tests.core_fixtures import Clock, Replies, build_core, close_core, open_core
from tests.llm_server import Chunked, FakeLLMServer, server_error

ME = Person("42", "Jovnna")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as llm:
        yield llm


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


async def test_an_llm_failure_is_one_clear_line_not_a_traceback(core: Consciousness, server: FakeLLMServer) -> None:
    server.fail_with(server_error())
    out = await run_lines(core, "er du der?")
    server.clear_faults()
    assert "aiki: My language model had an error. Try again in a moment." in out
    assert "Traceback" not in out


def test_aiki_chat_as_a_real_command(tmp_path: Path, model_cache: Path, server: FakeLLMServer) -> None:
    server.reset()
    server.default_reply = "Hei fra AIKI!"
    env = {
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
    assert "Traceback" not in result.stderr
