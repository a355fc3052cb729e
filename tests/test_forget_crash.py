"""A forget cut short by kill -9 is finished at the next start (issue 19): no byte of it left on disk, no staging
leftovers, and the person is told once. Real child processes, real Qdrant Edge, real SQLite, real fastembed."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.places import Origin, OriginSource
from bot.state.journal import ForgetJournal, ForgetKind, ForgetRequest
from bot.state.store import StateStore, Turn
from scripts.test_model import TEST_MODEL
from tests.conftest import ROOT
from tests.test_privacy import files_holding

OWNER, FRIEND = "111", "222"
CANARY = "FORGETCANARY lynx-9083"
ONE_CANARY = "ONECANARY marten-5521"  # the one memory a forget-one takes
ONE_ID = "5d1f6a52-7c1e-4f0e-9a55-3b0c2f7e8d10"
FRIEND_CANARY = "KEEPCANARY otter-2216"
MEMORIES = 300
NOTICE = "was interrupted when AIKI stopped; it has now been completed."
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """What every process of this test reads: one data folder, the test model, the owner 111 (the terminal's person)."""
    values = {
        "AIKI_DATA_DIR": str(tmp_path / "data"),
        "AIKI_EMBEDDING_MODEL": TEST_MODEL,
        "AIKI_MODEL_CACHE_DIR": str(model_cache),
        "AIKI_OWNER_IDS": OWNER,
        "AIKI_LLM_BASE_URL": "http://127.0.0.1:9",  # never called: the sessions only start and quit
    }
    monkeypatch.chdir(tmp_path)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers[:] = []  # the commands run here install their own; none is left behind
    yield {**os.environ, **values, "PYTHONPATH": str(ROOT)}
    for handler in root.handlers:
        handler.close()
    root.handlers[:], root.level = handlers, level


async def _fill(data: Path, embedder: FastEmbedder) -> None:
    """A few hundred memories and a conversation of the owner's, and a friend's that must survive."""
    bank = MemoryBank(EdgeMemoryStore(data / "memory"), embedder)
    state = StateStore(data / "aiki.db")
    await bank.open()
    await state.open()
    try:
        dm = Origin(OriginSource.DM)
        for start in range(0, MEMORIES, 100):
            await bank.add([NewMemory(OWNER, f"{CANARY} note {i}", origin=dm) for i in range(start, start + 100)])
        await bank.add([NewMemory(OWNER, f"My PIN hint is {ONE_CANARY}", origin=dm, id=ONE_ID)])
        await bank.add([NewMemory(FRIEND, f"{FRIEND_CANARY} likes herons", origin=dm)])
        for scope, text in ((OWNER, f"My code word is {CANARY}"), (FRIEND, f"Mine is {FRIEND_CANARY}")):
            await state.add_turn(Turn(scope, "user", text, WHEN, source="dm"))
    finally:
        await bank.close()
        await state.close()


def fill(data: Path, embedder: FastEmbedder) -> None:
    asyncio.run(_fill(data, embedder))


# The product's own composition root runs a forget (everything, or the one memory); the test stops it at one
# moment and kills it there.
FORGETTER = textwrap.dedent(
    """
    import asyncio, shutil, sys
    from bot.app import open_core
    from bot.memory import edge
    from bot.state import journal
    from bot.mind.core import Person
    from bot.settings import load_settings

    def pause():
        print("paused", flush=True)
        sys.stdin.readline()  # killed here
        raise SystemExit("not killed")

    where = sys.argv[1]
    if where == "after the journal":  # written down, nothing deleted yet: the whole forget, SQLite too, is to run
        real_begin = journal.ForgetJournal.begin
        def begin(self, request):
            real_begin(self, request)
            pause()
        journal.ForgetJournal.begin = begin
    elif where == "before the rewrite":  # the points are deleted, their text still in the WAL and segments
        real_erase = edge.EdgeMemoryStore._erase_sync
        def erase(self):
            pause()
            real_erase(self)
        edge.EdgeMemoryStore._erase_sync = erase
    elif where == "after the copy":  # a full staging copy beside the live store, not yet marked complete
        real_copy = edge.EdgeMemoryStore._copy_into
        def copy(self, staging):
            copied = real_copy(self, staging)
            pause()
            return copied
        edge.EdgeMemoryStore._copy_into = copy
    elif where == "mid-swap":  # the new store swapped in, the old one (with the text) not yet removed
        real_rmtree = shutil.rmtree
        def rmtree(path, *args, **kwargs):
            if str(path).endswith(".old") and edge.Path(path).exists():
                pause()
            real_rmtree(path, *args, **kwargs)
        shutil.rmtree = rmtree

    async def forget(person, memory_id):
        async with open_core(load_settings()) as core:
            if memory_id:
                await core.forget(person, memory_id)
            else:
                await core.forget_everything(person)
    asyncio.run(forget(Person(sys.argv[2]), sys.argv[3]))
    """
)


def kill_during_forget(env: dict[str, str], where: str, memory_id: str = "") -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", FORGETTER, where, OWNER, memory_id],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "paused", child.stderr.read() if child.stderr else line
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.communicate()


def aiki_chat(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`aiki chat` as a person starts it (stdin piped: plain lines), leaving at once."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat"], env=env, input="/quit\n", capture_output=True, text=True, timeout=300
    )


def leftovers(data: Path) -> list[str]:
    return sorted(p.name for p in data.iterdir() if p.name.endswith((".old", ".reindex")))


# The two ends of a forget: nothing erased yet, and the rewritten store half swapped in. (The points between,
# "before the rewrite" and "after the copy", were checked the same way when this was built; each run costs ~10 s.)
@pytest.mark.parametrize("where", ["after the journal", "mid-swap"])
def test_a_forget_killed_midway_is_finished_at_the_next_start_and_the_person_is_told_once(
    env: dict[str, str], tmp_path: Path, embedder: FastEmbedder, where: str
) -> None:
    data = tmp_path / "data"
    fill(data, embedder)
    assert files_holding(data, CANARY)

    kill_during_forget(env, where)
    assert files_holding(data, CANARY)  # the crash left the person's words on disk

    first = aiki_chat(env)
    assert first.returncode == 0, first.stderr
    assert files_holding(data, CANARY) == []
    assert leftovers(data) == []
    assert NOTICE in first.stdout
    assert first.stdout.index(NOTICE) < first.stdout.index("Ha det!")  # before the first prompt was answered
    assert f"finished a forget a stop cut short: everything of {OWNER}" in (data / "logs" / "aiki.log").read_text()
    assert files_holding(data, FRIEND_CANARY)  # the friend's memories and turns are untouched
    assert not any((data / "forget-journal").glob("*"))
    assert asyncio.run(_left_of(data, OWNER)) == (0, 0, 0)  # nothing, and no notice left to give
    if where == "after the journal":  # once through the door too (each start of a process costs seconds here)
        second = aiki_chat(env)
        assert second.returncode == 0 and NOTICE not in second.stdout


async def _left_of(data: Path, scope: str) -> tuple[int, int, int]:
    """What the stores hold of a person after the fact: memories, turns, notices not yet given."""
    store, state = EdgeMemoryStore(data / "memory"), StateStore(data / "aiki.db")
    info = await store.info()
    assert info is not None
    await store.open(info)
    await state.open()
    try:
        return await store.count(scope), await state.count_turns(scope), len(await state.take_late_forgets(scope))
    finally:
        await store.close()
        await state.close()


def test_a_forget_of_one_memory_killed_before_the_rewrite_is_finished_at_the_next_start(
    env: dict[str, str], tmp_path: Path, embedder: FastEmbedder
) -> None:
    data = tmp_path / "data"
    fill(data, embedder)
    kill_during_forget(env, "before the rewrite", ONE_ID)
    assert files_holding(data, ONE_CANARY)

    first = aiki_chat(env)
    assert first.returncode == 0, first.stderr
    assert files_holding(data, ONE_CANARY) == []
    assert files_holding(data, CANARY)  # only that memory was to go
    assert "to forget a memory was interrupted when AIKI stopped" in first.stdout
    assert asyncio.run(_left_of(data, OWNER))[2] == 0  # told once


def test_leftovers_of_an_interrupted_swap_holding_text_are_removed_at_start(
    env: dict[str, str], tmp_path: Path, embedder: FastEmbedder, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    fill(data, embedder)
    (data / "memory").rename(data / "memory.old")  # a retired store, every word still in it
    staging = data / "memory.reindex"  # a staging copy that never finished
    staging.mkdir()
    (staging / "page_0.dat").write_bytes(CANARY.encode())
    asyncio.run(_fresh_store(data, embedder))
    assert files_holding(data, CANARY)

    assert main(["-q", "memory", "stats"]) == 0
    assert "memories     : 1 in 1 scopes" in capsys.readouterr().out
    assert leftovers(data) == []
    assert files_holding(data, CANARY) == ["aiki.db"]  # the conversation was never forgotten; the stores hold none


async def _fresh_store(data: Path, embedder: FastEmbedder) -> None:
    bank = MemoryBank(EdgeMemoryStore(data / "memory"), embedder)
    await bank.open()
    await bank.add([NewMemory(FRIEND, f"{FRIEND_CANARY} likes herons")])
    await bank.close()


def test_a_forget_running_in_another_process_is_not_taken_for_one_cut_short(tmp_path: Path) -> None:
    running = ForgetJournal(tmp_path / "forget-journal")
    request = ForgetRequest(ForgetKind.EVERYTHING, "111", WHEN)
    running.begin(request)
    starting = ForgetJournal(tmp_path / "forget-journal")  # what a second `aiki` command sees at its start
    assert starting.interrupted() == []
    running.release(request)  # the forget failed, or its process died: the lock goes with it
    assert starting.interrupted() == [request]
    running.done(request)
    assert starting.interrupted() == []
    assert files_holding(tmp_path, "111") == []  # crossed out means gone
