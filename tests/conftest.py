"""Shared fixtures: the real offline embedding model, and both real Qdrant backends in temporary places."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from qdrant_client import AsyncQdrantClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.memory.bank import MemoryBank  # noqa: E402
from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.embedder import FastEmbedder  # noqa: E402
from bot.memory.port import MemoryStore  # noqa: E402
from bot.memory.server import QdrantServerMemoryStore  # noqa: E402
from bot.mind.core import Consciousness  # noqa: E402
from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402
from tests.core_fixtures import Clock, Replies, build_core, close_core, open_core  # noqa: E402
from tests.discord_world import reply_pause_s, world  # noqa: E402,F401  (the fixtures of the Discord tests)
from tests.llm_server import FakeLLMServer  # noqa: E402
from tests.web_fixtures import attacker, browser, context, site  # noqa: E402,F401  (the page tests' fixtures)

BACKENDS = ["edge", "server"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--frozen-at",
        metavar="ISO_TIME",
        help="run with the wall clock moved to this moment (and ticking on): the suite must pass at any hour",
    )


@pytest.fixture(scope="session", autouse=True)
def _wall_clock_at(request: pytest.FixtureRequest) -> Iterator[None]:
    moment = request.config.getoption("--frozen-at")
    if not moment:
        yield
        return
    import time_machine

    with time_machine.travel(datetime.fromisoformat(moment), tick=True):
        yield


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_cache(tmp_path_factory.mktemp("fastembed-cache"))


@pytest.fixture(scope="session")
def embedder(model_cache: Path) -> FastEmbedder:
    return FastEmbedder.load(TEST_MODEL, model_cache)


@pytest.fixture(scope="module")
def server() -> Iterator[FakeLLMServer]:
    """The OpenAI-compatible stand-in on 127.0.0.1 (tests/llm_server.py), one per test module."""
    with FakeLLMServer() as llm:
        yield llm


@pytest.fixture
def replies(server: FakeLLMServer) -> Replies:
    """The stand-in's answers for one test: chat replies in order, fact JSON by a rule (tests/core_fixtures.py)."""
    server.reset()
    answers = Replies()
    server.responder = answers
    return answers


@pytest.fixture
async def core(
    tmp_path: Path, embedder: FastEmbedder, server: FakeLLMServer, replies: Replies
) -> AsyncIterator[Consciousness]:
    """A real core (Edge memory, SQLite, the stand-in LLM) at a set clock; a module needing another defines its own."""
    made = await open_core(build_core(tmp_path, embedder, server, Clock()))
    yield made
    await close_core(made)


def make_store(backend: str, tmp_path: Path) -> MemoryStore:
    if backend == "edge":
        return EdgeMemoryStore(tmp_path / "memory")
    # qdrant-client's local mode speaks the server API; a path (not :memory:) so reopen tests work too.
    return QdrantServerMemoryStore(AsyncQdrantClient(path=str(tmp_path / "qdrant-local")), "aiki_test", "local")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def bank(backend: str, tmp_path: Path, embedder: FastEmbedder) -> AsyncIterator[MemoryBank]:
    memory = MemoryBank(make_store(backend, tmp_path), embedder)
    await memory.open()
    yield memory
    await memory.close()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """For tests that set logging up as the app does (bot/logs.py): the root handlers and levels come back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("aiosqlite", "discord")}
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)
