"""`aiki memory ...` end to end on real files: import/export, idempotency, bad lines, locks, crashes,
migrate, reindex."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import AsyncQdrantClient

from bot.cli.main import EXIT_LOCKED, main
from bot.memory import edge as edge_module
from bot.memory import maintenance, swap
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.memory.models import ChunkVectors, SearchFilter, StoreInfo, Vector
from bot.memory.server import QdrantServerMemoryStore
from bot.state.store import StateStore, load_migrations
from scripts.test_model import TEST_MODEL
from tests.conftest import ROOT


@pytest.fixture
def env(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "AIKI_DATA_DIR": str(tmp_path / "data"),
        "AIKI_EMBEDDING_MODEL": TEST_MODEL,
        "AIKI_MODEL_CACHE_DIR": str(model_cache),
    }
    monkeypatch.chdir(tmp_path)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return {**os.environ, **values, "PYTHONPATH": str(ROOT)}


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def run_cli(*args: str) -> int:
    return main(["-q", *args])


async def open_bank(data_dir: Path, embedder: FastEmbedder) -> MemoryBank:
    bank = MemoryBank(EdgeMemoryStore(data_dir / "memory"), embedder)
    await bank.open()
    return bank


def test_import_reports_bad_lines_by_number_and_keeps_the_rest(
    env: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: FastEmbedder
) -> None:
    source = write_lines(
        tmp_path / "memories.jsonl",
        [
            json.dumps({"scope": "42", "kind": "fact", "text": "Jovnna builds AIKI-HOME"}).encode(),
            b'{"scope": "42", "text": "broken json',
            json.dumps({"scope": "42", "text": "Jovnna likes brunost"}).encode(),
            b'{"scope": "42", "text": "bad \xff\xfe bytes"}',
            b"",
            json.dumps({"scope": "42", "text": "   "}).encode(),
            json.dumps({"scope": "42", "kind": "dream", "text": "x"}).encode(),
            json.dumps({"text": "no scope at all"}).encode(),
            json.dumps({"scope": "43", "text": "Someone else's memory", "created_at": "2025-11-19T10:00:00Z"}).encode(),
        ],
    )
    assert run_cli("memory", "import", str(source)) == 1
    out = capsys.readouterr().out
    assert "imported 3" in out
    for number in (2, 4, 6, 7, 8):
        assert f"line {number}:" in out
    assert "UTF-8" in out and "JSON" in out and "kind" in out and "scope" in out

    # the same file again adds nothing
    run_cli("memory", "import", str(source))

    async def counts() -> tuple[int, int]:
        bank = await open_bank(tmp_path / "data", embedder)
        try:
            return await bank.store.count("42"), await bank.store.count("43")
        finally:
            await bank.close()

    assert asyncio.run(counts()) == (2, 1)


def test_export_then_import_elsewhere_gives_the_same_memories(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: FastEmbedder
) -> None:
    source = write_lines(
        tmp_path / "in.jsonl",
        [
            json.dumps({"scope": str(i % 3), "text": f"memory {i} about topic {i * 7}", "importance": 0.3}).encode()
            for i in range(40)
        ],
    )
    assert run_cli("memory", "import", str(source)) == 0
    exported = tmp_path / "out.jsonl"
    assert run_cli("memory", "export", str(exported)) == 0
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert len(lines) == 40 and {line["scope"] for line in lines} == {"0", "1", "2"}

    monkeypatch.setenv("AIKI_DATA_DIR", str(tmp_path / "other"))
    assert run_cli("memory", "import", str(exported)) == 0
    assert run_cli("memory", "export", str(tmp_path / "again.jsonl")) == 0
    again = {json.loads(line)["id"]: json.loads(line) for line in (tmp_path / "again.jsonl").read_text().splitlines()}
    assert again == {line["id"]: line for line in lines}


def test_stats_on_an_empty_setup(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("memory", "stats") == 0
    out = capsys.readouterr().out
    assert "not created yet" in out and f"schema v{len(load_migrations())}" in out


HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from bot.memory.edge import EdgeMemoryStore
    from bot.memory.models import StoreInfo
    async def hold():
        store = EdgeMemoryStore(sys.argv[1])
        await store.open(StoreInfo("sentence-transformers/all-MiniLM-L6-v2", 384))
        print("ready", flush=True)
        await asyncio.sleep(60)
    asyncio.run(hold())
    """
)


def test_a_store_held_by_another_process_gives_a_clear_error_at_the_first_attempt(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Fast because nothing waits: one non-blocking attempt on the lock, then the message (bench/startup.py)."""
    store_path = tmp_path / "data" / "memory"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store_path)], env=env, stdout=subprocess.PIPE, text=True
    )
    attempts: list[str] = []
    real_shard = edge_module.EdgeShard

    class CountedShard:
        create = staticmethod(real_shard.create)

        @staticmethod
        def load(path: str) -> object:
            attempts.append(path)
            return real_shard.load(path)

    monkeypatch.setattr(edge_module, "EdgeShard", CountedShard)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        code = run_cli("memory", "stats")
    finally:
        holder.kill()
        holder.wait()
    out, err = capsys.readouterr()
    assert code == EXIT_LOCKED
    assert attempts == [str(store_path)]  # no retry loop, no waiting for the holder to go away
    assert out == ""  # the error comes first, not after half a report
    assert str(store_path) in err and "in use by another process" in err
    assert "Traceback" not in err


WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from datetime import datetime, UTC
    from pathlib import Path
    from bot.memory.embedder import FastEmbedder
    from bot.memory.bank import MemoryBank, NewMemory
    from bot.memory.edge import EdgeMemoryStore
    from bot.state.store import StateStore, Turn
    async def write(data, cache):
        model = FastEmbedder.load("sentence-transformers/all-MiniLM-L6-v2", cache)
        bank = MemoryBank(EdgeMemoryStore(data / "memory"), model)
        await bank.open()
        state = StateStore(data / "aiki.db")
        await state.open()
        acked = 0
        while True:
            await bank.add([NewMemory("7", f"note {acked + i} about the garden") for i in range(10)])
            await state.add_turn(Turn("7", "user", f"turn {acked}", datetime.now(UTC)))  # a writer, not a clock check
            acked += 10
            print(acked, flush=True)
    asyncio.run(write(Path(sys.argv[1]), Path(sys.argv[2])))
    """
)


def test_kill_9_during_batch_adds_loses_nothing_that_was_acknowledged(
    env: dict[str, str], tmp_path: Path, model_cache: Path, embedder: FastEmbedder
) -> None:
    data = tmp_path / "data"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data), str(model_cache)], env=env, stdout=subprocess.PIPE, text=True
    )
    acked = 0
    assert writer.stdout is not None
    for line in writer.stdout:
        acked = int(line)
        if acked >= 150:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()

    async def reopen() -> tuple[int, int, str]:
        bank = await open_bank(data, embedder)
        state = StateStore(data / "aiki.db")
        await state.open()
        try:
            return await bank.store.count("7"), await state.count_turns("7"), await state.integrity_check()
        finally:
            await bank.close()
            await state.close()

    memories, turns, integrity = asyncio.run(reopen())
    assert memories >= acked
    assert turns >= acked // 10
    assert integrity == "ok"


async def test_migrate_copies_everything_to_a_server_with_the_same_ids(tmp_path: Path, embedder: FastEmbedder) -> None:
    bank = MemoryBank(EdgeMemoryStore(tmp_path / "memory"), embedder)
    await bank.open()
    made = await bank.add([NewMemory(str(i % 4), f"Jovnna's memory number {i}") for i in range(30)])
    await bank.close()

    target = QdrantServerMemoryStore(AsyncQdrantClient(path=str(tmp_path / "server")), "aiki", "local")
    counts = await maintenance.migrate(EdgeMemoryStore(tmp_path / "memory"), target, progress=False)
    assert counts == {"0": 8, "1": 8, "2": 7, "3": 7}

    moved = MemoryBank(
        QdrantServerMemoryStore(AsyncQdrantClient(path=str(tmp_path / "server")), "aiki", "local"), embedder
    )
    await moved.open()
    hits = await moved.search("memory number 5", SearchFilter(scopes=("1",)), 1)
    assert hits[0].memory.id == made[5].id
    await moved.close()


class OldModel:
    """A stand-in for a store built with another model: the real vectors cut to 128 dimensions."""

    def __init__(self, real: FastEmbedder) -> None:
        self.real = real
        self.model_name, self.dim = "old/model-128", 128

    async def embed_passages(self, texts: list[str]) -> list[ChunkVectors]:
        return [[_cut(v) for v in chunks] for chunks in await self.real.embed_passages(texts)]

    async def embed_query(self, text: str) -> Vector:
        return _cut(await self.real.embed_query(text))


def _cut(vector: Vector) -> Vector:
    short = np.asarray(vector[:128])
    return (short / np.linalg.norm(short)).tolist()


@pytest.mark.parametrize("backend", ["edge", "server"])
async def test_reindex_moves_every_memory_to_the_new_model(
    backend: str, tmp_path: Path, embedder: FastEmbedder
) -> None:
    def store() -> EdgeMemoryStore | QdrantServerMemoryStore:
        if backend == "edge":
            return EdgeMemoryStore(tmp_path / "memory")
        return QdrantServerMemoryStore(AsyncQdrantClient(path=str(tmp_path / "server")), "aiki", "local")

    old = MemoryBank(store(), OldModel(embedder))  # type: ignore[arg-type]
    await old.open()
    await old.add([NewMemory("5", f"fact {i}: the proxy blocks app number {i}") for i in range(20)])
    await old.add([NewMemory("5", "Jovnna's sister lives in Bergen")])
    await old.close()

    if backend == "edge":
        counts = await maintenance.reindex_edge(tmp_path / "memory", embedder, progress=False)
    else:
        live = store()
        assert isinstance(live, QdrantServerMemoryStore)
        counts = await maintenance.reindex_server(live, embedder, progress=False)
        await live.close()
    assert counts == {"5": 21}

    new = MemoryBank(store(), embedder)
    await new.open()  # would raise StoreMismatchError if the store still said "old/model-128"
    assert await new.store.info() == StoreInfo(embedder.model_name, embedder.dim)
    hits = await new.search("where does her sister live?", SearchFilter(scopes=("5",)), 1)
    assert hits[0].memory.text == "Jovnna's sister lives in Bergen"
    await new.close()


async def test_a_reindex_cut_short_during_the_swap_is_completed_at_next_start(
    tmp_path: Path, embedder: FastEmbedder
) -> None:
    bank = MemoryBank(EdgeMemoryStore(tmp_path / "memory"), embedder)
    await bank.open()
    await bank.add([NewMemory("1", f"note {i}") for i in range(12)])
    await bank.close()
    # Simulate a crash right after the live directory was moved aside and before staging was moved in.
    staging = tmp_path / "memory.reindex"
    (tmp_path / "memory").rename(staging)
    (staging / swap.COMPLETE_MARKER).write_text("ok")

    swap.finish_interrupted_swap(tmp_path / "memory")

    reopened = MemoryBank(EdgeMemoryStore(tmp_path / "memory"), embedder)
    await reopened.open()
    assert await reopened.store.count("1") == 12
    await reopened.close()


async def test_a_store_moved_aside_with_no_copy_to_replace_it_is_put_back(
    tmp_path: Path, embedder: FastEmbedder
) -> None:
    bank = MemoryBank(EdgeMemoryStore(tmp_path / "memory"), embedder)
    await bank.open()
    await bank.add([NewMemory("1", f"note {i}") for i in range(3)])
    await bank.close()
    (tmp_path / "memory").rename(tmp_path / "memory.old")  # not a state a swap leaves, but nothing may be lost

    swap.finish_interrupted_swap(tmp_path / "memory")

    reopened = MemoryBank(EdgeMemoryStore(tmp_path / "memory"), embedder)
    await reopened.open()
    assert await reopened.store.count("1") == 3
    await reopened.close()
    assert not (tmp_path / "memory.old").exists()


@pytest.mark.parametrize("backend", ["edge", "server"])
async def test_reindex_reembed_gives_old_memories_the_vectors_new_ones_get(
    backend: str, env: dict[str, str], tmp_path: Path, embedder: FastEmbedder
) -> None:
    """An older AIKI embedded "Kari: ok" with the speaker's name; `aiki memory reindex --reembed` embeds what was
    said, as a memory stored today is (bot/memory/meaning.py). The embedded store through the command itself."""

    def store() -> EdgeMemoryStore | QdrantServerMemoryStore:
        if backend == "edge":
            return EdgeMemoryStore(tmp_path / "data" / "memory")
        return QdrantServerMemoryStore(AsyncQdrantClient(path=str(tmp_path / "server")), "aiki", "local")

    old_memory = NewMemory("5", "Kari: ok, see you at the handball practice", speaker="Kari").build()
    old = store()
    await old.open(StoreInfo(embedder.model_name, embedder.dim))
    await old.upsert([(old_memory, (await embedder.embed_passages([old_memory.text]))[0])])  # as stored before
    await old.close()

    if backend == "edge":
        assert await asyncio.to_thread(run_cli, "memory", "reindex", "--reembed") == 0
    else:
        live = store()
        assert isinstance(live, QdrantServerMemoryStore)
        await maintenance.reindex_server(live, embedder, progress=False, reembed=True)
        await live.close()

    new = store()
    await new.open(StoreInfo(embedder.model_name, embedder.dim))
    found = await new.get_with_vector("5", old_memory.id)
    await new.close()
    assert found is not None and found[0].text == old_memory.text  # the words stay as they were said
    today = (await embedder.embed_passages(["ok, see you at the handball practice"]))[0]
    assert np.allclose(found[1], today, atol=1e-5)
