"""A nearly full disk (issue 19): refused before the memory store opens, in one line naming the folder and the space
needed, exit 4, nothing created; a forget refused for room is finished at the next start that has it.

The free-space reading is the one thing faked (filling a real disk would starve the other processes on it)."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli.common import EXIT_DISK
from bot.cli.main import main
from bot.errors import DiskFullError
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.mind.core import Person
from bot.places import Origin, OriginSource
from bot.state.journal import ForgetJournal
from scripts.test_model import TEST_MODEL
from tests.core_fixtures import Clock, build_core, close_core, open_core
from tests.llm_server import FakeLLMServer
from tests.test_privacy import files_holding

NEARLY_FULL = 50 * 2**20
CANARY = "DISKCANARY puffin-3304"


@pytest.fixture
def data(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The data folder of the commands run here; the log handlers they install go with the test."""
    folder = tmp_path / "data"
    for key, value in {
        "AIKI_DATA_DIR": str(folder),
        "AIKI_EMBEDDING_MODEL": TEST_MODEL,
        "AIKI_MODEL_CACHE_DIR": str(model_cache),
        "AIKI_OWNER_IDS": "111",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers[:] = []  # none left by an earlier test, writing to a stream that is gone
    yield folder
    for handler in root.handlers:
        handler.close()
    root.handlers[:], root.level = handlers, level


def nearly_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on the disk reports 50 MB free (the Edge store needs ~100 MB to open, plus the margin kept)."""
    real = shutil.disk_usage

    def reading(path: str | Path) -> object:
        total, used, _ = real(path)
        return shutil._ntuple_diskusage(total, used, NEARLY_FULL)

    monkeypatch.setattr(shutil, "disk_usage", reading)


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def one_line_naming(err: str, folder: Path) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"aiki: Not enough free space at {folder}: 50 MB free, about ")
    assert "MB needed" in err


def test_chat_on_a_nearly_full_disk_says_so_in_one_line_and_creates_no_store(
    data: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    nearly_full(monkeypatch)
    assert main(["chat"]) == EXIT_DISK
    out, err = capsys.readouterr()
    assert out == ""
    one_line_naming(err, data / "memory")
    assert not (data / "memory").exists() and not (data / "aiki.db").exists()


@pytest.mark.parametrize("command", [["memory", "stats"], ["memory", "export", "out.jsonl"]])
def test_memory_commands_on_a_nearly_full_disk_refuse_before_opening_the_store(
    data: Path, embedder: FastEmbedder, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    command: list[str],
) -> None:  # fmt: skip
    asyncio.run(_store_with_one_memory(data, embedder))
    before = snapshot(data / "memory")
    nearly_full(monkeypatch)

    assert main(["-q", *command]) == EXIT_DISK
    out, err = capsys.readouterr()
    assert out == ""  # the refusal comes first, not after half a report
    one_line_naming(err, data / "memory")
    assert snapshot(data / "memory") == before  # nothing opened, mapped or grown
    assert not Path("out.jsonl").exists()


async def _store_with_one_memory(data: Path, embedder: FastEmbedder) -> None:
    bank = MemoryBank(EdgeMemoryStore(data / "memory"), embedder)
    await bank.open()
    await bank.add([NewMemory("111", "Jovnna likes brunost")])
    await bank.close()


async def test_a_forget_refused_for_room_is_finished_at_the_next_start_with_room(
    data: Path, embedder: FastEmbedder, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    core = await open_core(build_core(data, embedder, server, Clock()))
    person = Person("111")
    await core.remember(person, f"My code word is {CANARY}", Origin(OriginSource.DM))
    with pytest.MonkeyPatch.context() as disk:
        nearly_full(disk)
        with pytest.raises(DiskFullError):
            await core.forget_everything(person)  # deleted from search, but the rewrite has no room
    assert await core.bank.count(person.scope) == 0
    await close_core(core)
    assert files_holding(data, CANARY)

    assert await asyncio.to_thread(main, ["-q", "memory", "stats"]) == 0  # the next start, with room
    assert files_holding(data, CANARY) == []
    capsys.readouterr()
    again = await open_core(build_core(data, embedder, server, Clock()))
    try:
        notice = await again.take_late_forget_notice(person)
        assert notice is not None and "2 March 2026 to forget everything about you" in notice
        assert await again.take_late_forget_notice(person) is None
    finally:
        await close_core(again)


async def test_a_forget_that_failed_is_crossed_out_by_a_later_one_that_succeeds(
    data: Path, embedder: FastEmbedder, server: FakeLLMServer
) -> None:
    core = await open_core(build_core(data, embedder, server, Clock()))
    person = Person("111")
    try:
        await core.remember(person, f"My code word is {CANARY}", Origin(OriginSource.DM))
        with pytest.MonkeyPatch.context() as disk:
            nearly_full(disk)
            with pytest.raises(DiskFullError):
                await core.forget_everything(person)
        assert [r.scope for r in ForgetJournal(data / "forget-journal").interrupted()] == ["111"]
        await core.forget_everything(person)  # room again: this one covers the first
        assert ForgetJournal(data / "forget-journal").interrupted() == []
        assert files_holding(data, CANARY) == []
    finally:
        await close_core(core)
