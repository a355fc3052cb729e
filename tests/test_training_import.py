"""`aiki data ...` on real files: ChatGPT exports, session logs and an old Qdrant collection into AIKI's history
and memory, idempotent, with bad input reported and the rest imported."""

from __future__ import annotations

import asyncio
import io
import json
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from qdrant_client import AsyncQdrantClient, models

from bot.cli.main import main
from bot.memory.bank import MemoryBank
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.memory.models import MemoryKind, SearchFilter
from bot.state.store import StateStore
from bot.state.training import HistoryTurn
from bot.training import chatgpt
from scripts.test_model import TEST_MODEL
from tests.conftest import ROOT
from tests.training_fixtures import (
    OLD_MEMORIES,
    OWNER,
    branching_conversation,
    qdrant_dump,
    session_jsonl,
    session_markdown,
    simple_conversation,
    standard_export,
    write_export,
)


@pytest.fixture
def env(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "AIKI_DATA_DIR": str(tmp_path / "data"),
        "AIKI_EMBEDDING_MODEL": TEST_MODEL,
        "AIKI_MODEL_CACHE_DIR": str(model_cache),
        "AIKI_OWNER_IDS": OWNER,
    }
    monkeypatch.chdir(tmp_path)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **values, "PYTHONPATH": str(ROOT)}


def run_cli(*args: str) -> int:
    return main(["-q", *args])


def history(data: Path) -> list[HistoryTurn]:
    async def read() -> list[HistoryTurn]:
        state = StateStore(data / "aiki.db")
        await state.open()
        try:
            return [turn async for turn in state.training.history([OWNER])]
        finally:
            await state.close()

    return asyncio.run(read())


def facts(data: Path, embedder: FastEmbedder, query: str) -> tuple[int, list[str], list[MemoryKind]]:
    async def read() -> tuple[int, list[str], list[MemoryKind]]:
        bank = MemoryBank(EdgeMemoryStore(data / "memory"), embedder)
        await bank.open()
        try:
            hits = await bank.search(query, SearchFilter(scopes=(OWNER,)), 10)
            return await bank.store.count(OWNER), [h.memory.text for h in hits], [h.memory.kind for h in hits]
        finally:
            await bank.close()

    return asyncio.run(read())


def test_chatgpt_export_imports_the_kept_branch_once_and_saved_memories_as_facts(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: FastEmbedder
) -> None:
    export = standard_export(tmp_path / "conversations.json")
    assert run_cli("data", "chatgpt", str(export)) == 1  # the cyclic conversation is rejected, the rest imported
    out = capsys.readouterr().out
    assert "imported : 10 messages" in out
    assert "conversation 3 (id conv-cycle) ('Broken loop'): the mapping has a cycle" in out
    assert "2 on branches not kept" in out and "tool calls and results" in out and "1 conversations with no" in out
    assert "node gone-node is missing from the mapping" in out
    assert "3 of ChatGPT's saved memories became facts" in out

    turns = history(tmp_path / "data")
    proxy = [t for t in turns if t.title == "AIKI-HOME proxy"]
    assert [(t.role, t.content) for t in proxy] == [
        ("user", "How do I make the AIKI-HOME proxy block distracting apps?"),
        ("assistant", "Use a PAC file and a blocklist in mitmproxy."),  # citation marker gone, tool call skipped
        ("user", "This is my screen, what is wrong?"),  # the image part is left out, its text kept
        ("assistant", "The rule for port 443 is missing: add it and restart the proxy."),
    ]
    assert proxy[0].created_at == datetime(2024, 5, 1, 18, 5, tzinfo=UTC)  # ChatGPT's own timestamps
    everything = " ".join(t.content for t in turns)
    assert "regenerated away" not in everything and "edited away" not in everything and "blocklist'" not in everything
    assert all(t.origin == "chatgpt" and t.scope == OWNER for t in turns)

    count, texts, kinds = facts(tmp_path / "data", embedder, "What is Jovnna building?")
    assert count == 3 and texts[0] == "Jovnna is building AIKI-HOME." and set(kinds) == {MemoryKind.FACT}

    assert run_cli("data", "chatgpt", str(export)) == 1
    again = capsys.readouterr().out
    assert "imported : 0 messages" in again and "10 already imported" in again
    assert "0 of ChatGPT's saved memories became facts (3 were there already)" in again
    assert len(history(tmp_path / "data")) == 10


def test_imported_turns_stay_out_of_the_live_conversation_window(env: dict[str, str], tmp_path: Path) -> None:
    assert run_cli("data", "chatgpt", "--no-memories", str(standard_export(tmp_path / "c.json"))) == 1

    async def recent() -> list[str]:
        state = StateStore(tmp_path / "data" / "aiki.db")
        await state.open()
        try:
            return [t.content for t in await state.recent_turns(OWNER, 50)]
        finally:
            await state.close()

    assert asyncio.run(recent()) == []


def test_split_export_files_a_folder_and_the_zip_as_downloaded(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    write_export(folder / "conversations-000.json", [branching_conversation()])
    write_export(folder / "conversations-001.json", [simple_conversation("Kaffe", [("Kaffe?", "Ja, gjerne!")], "c2")])
    (folder / "user.json").write_text("{}")
    assert run_cli("data", "chatgpt", "--no-memories", str(folder)) == 0
    assert "imported : 6 messages" in capsys.readouterr().out

    archive = tmp_path / "chatgpt-export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in sorted(folder.glob("conversations-*.json")):
            zf.write(part, f"export/{part.name}")
        zf.writestr("export/chat.html", "<html></html>")
    assert run_cli("data", "chatgpt", "--no-memories", str(archive)) == 0
    assert "imported : 0 messages" in capsys.readouterr().out  # the same conversations: nothing new


def test_a_broken_or_empty_export_says_what_is_wrong(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps([simple_conversation("One", [("Hei", "Hei på deg!")], "c-one")])
    truncated = tmp_path / "truncated.json"
    truncated.write_text(good[:-1] + ', {"title": "Two", "mapping": {"a": ')  # a download cut short
    assert run_cli("data", "chatgpt", str(truncated)) == 1
    out = capsys.readouterr().out
    assert "imported : 2 messages" in out
    assert "after conversation 1: not valid JSON near byte" in out and "the rest of this file was not read" in out

    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    assert run_cli("data", "chatgpt", str(empty)) == 1
    assert "holds no conversations" in capsys.readouterr().err

    (tmp_path / "zero.json").write_bytes(b"")
    assert run_cli("data", "chatgpt", str(tmp_path / "zero.json")) == 1
    assert "the file is empty" in capsys.readouterr().out


class Watched(io.BufferedReader):
    """A file that remembers how far it has been read."""

    furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        Watched.furthest = max(Watched.furthest, self.tell())
        return data

    def read1(self, size: int = -1) -> bytes:
        data = super().read1(size)
        Watched.furthest = max(Watched.furthest, self.tell())
        return data


def test_a_large_export_is_parsed_one_conversation_at_a_time(tmp_path: Path) -> None:
    conversations = [
        simple_conversation(f"Chat {i}", [(f"Question {i} " + "ord " * 700, "Svar " * 500)] * 3, f"c{i}")
        for i in range(200)
    ]
    path = write_export(tmp_path / "big.json", conversations)
    size = path.stat().st_size
    assert size > 3_000_000
    with Watched(io.FileIO(path)) as handle:
        stream = chatgpt.read_export(handle)
        first = next(stream)
        read_for_first = Watched.furthest
        assert chatgpt.parse_conversation(first).title == "Chat 0"
        assert sum(1 for _ in stream) == 199
    # The first conversation came out after reading a small window of the file, not the whole of it.
    assert read_for_first < 256 * 1024 < size


def test_session_logs_of_each_shape(env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    session_jsonl(logs / "old-aiki.jsonl")
    session_markdown(logs / "2023-12-24.md")
    (logs / "notes.md").write_text("Just some notes, no conversation here.\n")
    assert run_cli("data", "sessions", "--user-name", "Jovnna", str(logs)) == 1
    out = capsys.readouterr().out
    assert "imported : 10 messages" in out and "3 sessions read from 3 files" in out
    assert "old-aiki.jsonl line 4: not valid JSON" in out
    assert "notes.md: no messages found" in out
    assert "1 system or tool lines" in out

    turns = history(tmp_path / "data")
    evening = [t for t in turns if t.conversation_id == "session-log:2023-11-02"]
    assert [t.role for t in evening] == ["user", "assistant", "user", "assistant"]
    assert evening[0].created_at == datetime(2023, 11, 2, 19, 14, tzinfo=UTC)  # 20:14 in Oslo
    assert evening[-1].marked_bad and not evening[1].marked_bad
    christmas = [t for t in turns if t.conversation_id == "session-log:2023-12-24-kveld"]
    assert [(t.role, t.content) for t in christmas] == [
        ("user", "God jul, AIKI!"),
        ("assistant", "God jul! Har du fått noen fine gaver?"),
        ("user", "Ja, en ny tastatur.\nOg sokker."),
        ("assistant", "Sokker er undervurdert. Hva slags tastatur?"),
    ]
    assert christmas[2].created_at == datetime(2023, 12, 24, 18, 10, tzinfo=UTC)
    morning = [t for t in turns if t.conversation_id == "session-log:2023-11-05"]
    assert morning[0].created_at == datetime.fromtimestamp(1699164000, UTC)

    assert run_cli("data", "sessions", "--user-name", "Jovnna", str(logs)) == 1
    assert "imported : 0 messages" in capsys.readouterr().out
    assert len(history(tmp_path / "data")) == 10


def test_old_qdrant_memories_from_a_dump_and_from_a_server_land_once(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: FastEmbedder
) -> None:
    dump = qdrant_dump(tmp_path / "aiki_old.jsonl")
    mapping = ["--text-field", "content", "--kind-field", "type", "--time-field", "timestamp"]
    assert run_cli("data", "memories", "--jsonl", str(dump), *mapping, "--collection", "aiki_old") == 1
    out = capsys.readouterr().out
    assert "imported : 3 memories" in out
    assert "line 2: not valid JSON" in out and "line 5: no `content`" in out
    assert "kind 'milestone' (1 memories) became 'note'" in out

    count, texts, kinds = facts(tmp_path / "data", embedder, "Where does her sister live?")
    assert count == 3 and texts[0] == "Jovnna's sister lives in Bergen" and kinds[0] is MemoryKind.FACT

    async def make_old_collection() -> None:
        client = AsyncQdrantClient(path=str(tmp_path / "old-qdrant"))
        await client.create_collection(
            "aiki_old", vectors_config=models.VectorParams(size=4, distance=models.Distance.COSINE)
        )
        await client.upsert(
            "aiki_old",
            [
                models.PointStruct(id=m["id"], vector=[0.1, 0.2, 0.3, 0.4], payload=m["payload"])
                for m in [*OLD_MEMORIES, {"id": 5, "payload": {"content": "Has a cat called Pus", "type": "fact"}}]
            ],
        )
        await client.close()

    asyncio.run(make_old_collection())
    server = ["--path", str(tmp_path / "old-qdrant"), "--collection", "aiki_old", *mapping]
    assert run_cli("data", "memories", *server, "--kind-map", "milestone=episode") == 0
    out = capsys.readouterr().out
    assert "imported : 1 memories" in out and "3 already imported" in out  # same collection, same points
    count, texts, _ = facts(tmp_path / "data", embedder, "What is the cat called?")
    assert count == 4 and texts[0] == "Has a cat called Pus"

    assert run_cli("data", "memories", "--path", str(tmp_path / "old-qdrant"), "--collection", "nope") == 1
    assert "There is no collection 'nope' there; it has: aiki_old" in capsys.readouterr().err


def test_while_aiki_holds_the_memory_store_conversations_still_import_and_the_facts_wait(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: FastEmbedder
) -> None:
    export = write_export(tmp_path / "c.json", [branching_conversation()])

    async def import_while_held() -> int:
        running = MemoryBank(EdgeMemoryStore(tmp_path / "data" / "memory"), embedder)  # AIKI, running
        await running.open()
        try:
            return await asyncio.to_thread(run_cli, "data", "chatgpt", str(export))
        finally:
            await running.close()

    assert asyncio.run(import_while_held()) == 1
    out = capsys.readouterr().out
    assert "imported : 4 messages" in out
    assert "ChatGPT's saved memories: The memory store" in out and "in use by another process" in out
    assert "run again for these" in out
    assert run_cli("data", "chatgpt", str(export)) == 0  # AIKI stopped: the facts come in, nothing doubles
    assert "3 of ChatGPT's saved memories became facts" in capsys.readouterr().out
