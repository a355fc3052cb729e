"""Issue 14: hostile and broken input. One bad record never loses the rest, limits hold on small files, and every
failure of an `aiki` command is one line with an exit code docs/troubleshooting.md lists, never a traceback."""

from __future__ import annotations

import asyncio
import errno
import io
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pytest

from bot import jsonlines
from bot.cli.main import main
from bot.memory.bank import MemoryBank
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.memory.models import SearchFilter
from bot.state.store import StateStore
from bot.state.training import HistoryTurn
from bot.training import chatgpt, writer
from scripts.test_model import TEST_MODEL
from tests.training_fixtures import OWNER, simple_conversation, write_export

DEEP = "[" * 5_000 + "]" * 5_000
# As docs/troubleshooting.md lists them (test_exit_codes_are_in_the_docs).
EXIT_FAILED, EXIT_DISK, EXIT_UNREACHABLE = 1, 4, 5


@pytest.fixture
def env(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The data folder of a fresh AIKI."""
    values = {
        "AIKI_DATA_DIR": str(tmp_path / "data"),
        "AIKI_EMBEDDING_MODEL": TEST_MODEL,
        "AIKI_MODEL_CACHE_DIR": str(model_cache),
        "AIKI_OWNER_IDS": OWNER,
    }
    monkeypatch.chdir(tmp_path)
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return tmp_path / "data"


def run_cli(*args: str) -> int:
    return main(["-q", *args])


def lines(path: Path, *items: str | bytes) -> Path:
    path.write_bytes(b"\n".join(i if isinstance(i, bytes) else i.encode() for i in items) + b"\n")
    return path


def memory(text: str, **extra: object) -> str:
    return json.dumps({"scope": OWNER, "text": text, **extra})


def texts(data: Path, embedder: FastEmbedder) -> set[str]:
    async def read() -> set[str]:
        bank = MemoryBank(EdgeMemoryStore(data / "memory"), embedder)
        await bank.open()
        try:
            return {hit.memory.text for hit in await bank.search("anything", SearchFilter(scopes=(OWNER,)), 50)}
        finally:
            await bank.close()

    return asyncio.run(read())


def history(data: Path) -> list[HistoryTurn]:
    async def read() -> list[HistoryTurn]:
        state = StateStore(data / "aiki.db")
        await state.open()
        try:
            return [turn async for turn in state.training.history([OWNER])]
        finally:
            await state.close()

    return asyncio.run(read())


# -- 1. one bad record never aborts an import ---------------------------------------


def test_memory_import_keeps_every_good_line_around_hostile_ones(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: FastEmbedder
) -> None:
    source = lines(
        tmp_path / "m.jsonl",
        memory("Jovnna builds AIKI-HOME"),
        memory("meta is a list", meta=[1, 2]),
        memory("x" * 100_001),
        '{"scope": "' + OWNER + '", "text": "not a number", "importance": NaN}',
        DEEP,
        memory("origin is text", origin="dm"),
        memory("Jovnna likes brunost"),
    )
    assert run_cli("memory", "import", str(source)) == EXIT_FAILED
    captured = capsys.readouterr()
    assert "imported 2, already there 0" in captured.out and "rejected 5" in captured.out
    assert "line 2: `meta` must be a JSON object" in captured.out
    assert "line 3: `text` is 100,001 characters" in captured.out
    assert "line 4: NaN is not a JSON number" in captured.out
    assert "line 5: nested deeper than 64 levels" in captured.out
    assert "line 6: `origin` must be a JSON object" in captured.out
    assert "Traceback" not in captured.err
    assert texts(env, embedder) == {"Jovnna builds AIKI-HOME", "Jovnna likes brunost"}


def test_a_line_over_the_limit_is_skipped_without_reading_it_whole(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonlines, "MAX_LINE_BYTES", 1_000)
    source = lines(tmp_path / "m.jsonl", memory("first"), memory("y" * 5_000), memory("third"))
    assert run_cli("memory", "import", str(source)) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "imported 2" in out and "line 2: longer than 1,000 bytes" in out


def test_bounded_lines_reads_a_long_line_in_chunks() -> None:
    class Counting(io.BytesIO):
        largest = 0

        def readline(self, size: int | None = -1) -> bytes:
            data = super().readline(size)
            Counting.largest = max(Counting.largest, len(data))
            return data

    handle = Counting(b"a\n" + b"z" * 3_000_000 + b"\nb")
    assert list(jsonlines.bounded_lines(handle, 100)) == [(1, b"a\n"), (2, None), (3, b"b")]
    assert Counting.largest <= 1024 * 1024


def test_importing_the_same_file_twice_counts_what_was_already_there(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = lines(tmp_path / "m.jsonl", memory("Jovnna likes brunost"), memory("Jovnna likes brunost"))
    assert run_cli("memory", "import", str(source)) == 0
    assert "imported 1, already there 1" in capsys.readouterr().out
    assert run_cli("memory", "import", str(source)) == 0
    assert "imported 0, already there 2" in capsys.readouterr().out


def test_chatgpt_bad_dates_odd_children_and_deep_nesting_lose_nothing_else(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: FastEmbedder
) -> None:
    first = simple_conversation("First", [("Hei", "Hei Jovnna")], "c1")
    odd = simple_conversation("Odd children", [("A", "B")], "c2")
    odd["current_node"] = None  # so the newest leaf is looked for, through every node's children
    next(iter(odd["mapping"].values()))["children"] = 5
    deep = json.loads("[" * 40 + "]" * 40)  # deeper than the limit once inside a conversation
    too_deep = {**simple_conversation("Too deep", [("x", "y")], "c3"), "extra": [[[deep]]] * 1}
    for _ in range(30):
        too_deep["extra"] = [too_deep["extra"]]
    memories = simple_conversation("Memory", [("Husk dette", "Ok")], "c4")
    node = next(n for n in memories["mapping"].values() if n.get("message"))
    node["message"]["content"] = {
        "content_type": "model_editable_context",
        "model_set_context": "1. [2024-13-45]. Lives in Oslo\n2. [2024-05-01]. Has a cat",
    }
    last = simple_conversation("Last", [("Siste", "Ja")], "c5")
    export = write_export(tmp_path / "conversations.json", [first, odd, too_deep, memories, last])
    assert run_cli("data", "chatgpt", str(export)) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "conversation 3: nested deeper than 64 levels" in out
    titles = {turn.title for turn in history(env)}
    assert {"First", "Odd children", "Last"} <= titles
    assert {"Lives in Oslo", "Has a cat"} <= texts(env, embedder)


def test_nested_brackets_are_refused_without_building_them() -> None:
    from bot.training.jsonstream import GuardedReader, Refused, TooLarge, items

    reader = GuardedReader(io.BytesIO(b"[" + b"[" * 5_000 + b"]" * 5_000 + b', {"title": "ok"}]'))
    found = list(items(reader, array=True))
    assert found == [Refused("nested deeper than 64 levels"), {"title": "ok"}]
    # Past 10,000 levels the file stops: no export nests so, and the tokenizer's stack would grow with it.
    reader = GuardedReader(io.BytesIO(b"[" * 400_000))
    with pytest.raises(TooLarge, match="nested more than 10,000 levels"):
        list(items(reader, array=True))
    assert reader.position < 400_000


def test_a_zip_that_would_inflate_a_thousand_times_is_refused_before_inflating(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "export.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("conversations.json", b"[" + b" " * 5_000_000 + b"]")
    assert run_cli("data", "chatgpt", str(bomb)) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "would inflate from" in err and "not a ChatGPT export" in err


def test_a_zip_member_longer_than_it_declared_stops_at_the_declared_size() -> None:
    from bot.training.jsonstream import GuardedReader, items

    reader = GuardedReader(io.BytesIO(b"[" + b" " * 1_000 + b"]"), limit=100)
    with pytest.raises(ValueError, match="more than the 100 bytes it declared"):
        list(items(reader, array=True))


def test_qdrant_dump_with_nan_and_deep_lines_keeps_the_rest(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = lines(
        tmp_path / "old.jsonl",
        json.dumps({"id": 1, "payload": {"content": "Sister lives in Bergen"}}),
        '{"id": 2, "payload": {"content": "nan", "importance": NaN}}',
        '{"id": 3, "payload": ' + DEEP + "}",
        json.dumps({"id": 4, "payload": {"content": "Prefers short answers"}}),
    )
    assert run_cli("data", "memories", "--jsonl", str(dump)) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "line 2" in out and "NaN is not a JSON number" in out and "line 3" in out and "nested deeper" in out
    assert "imported : 2 memories" in out


def test_finetune_validate_reports_a_deep_line_by_number(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = json.dumps({"messages": [{"role": "user", "content": "hei"}, {"role": "assistant", "content": "hei"}]})
    train = lines(tmp_path / "train.jsonl", example, DEEP, example)
    assert run_cli("finetune", "validate", str(train)) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "line 2: nested deeper than 64 levels" in out


# -- 3. session logs: identity by content, speakers found or refused ---------------------


def test_two_session_logs_with_the_same_name_are_two_sessions(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for folder, words in (("a", ["A one", "A two"]), ("b", ["B one", "B two", "B three"])):
        (tmp_path / folder).mkdir()
        rows = [json.dumps({"role": "user" if i % 2 == 0 else "aiki", "content": w}) for i, w in enumerate(words)]
        lines(tmp_path / folder / "log.jsonl", *rows)
    assert run_cli("data", "sessions", str(tmp_path / "a" / "log.jsonl")) == 0
    assert run_cli("data", "sessions", str(tmp_path / "b" / "log.jsonl")) == 0
    out = capsys.readouterr().out
    assert "already imported" not in out
    by_conversation: dict[str, list[str]] = {}
    for turn in history(env):
        by_conversation.setdefault(turn.conversation_id or "", []).append(turn.content)
    assert sorted(by_conversation.values()) == [["A one", "A two"], ["B one", "B two", "B three"]]
    assert run_cli("data", "sessions", str(tmp_path / "b" / "log.jsonl")) == 0  # the same log again adds nothing
    assert "already imported" in capsys.readouterr().out and len(history(env)) == 5


def test_a_markdown_log_finds_its_one_unknown_speaker_as_the_person(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "2024-03-03.md"
    log.write_text(
        "# Morning\n\n**Jovnna**: God morgen!\n**AIKI**: God morgen! Sov du godt?\n**Jovnna**: Ja, takk.\n",
        encoding="utf-8",
    )
    assert run_cli("data", "sessions", str(log)) == 0
    assert "imported : 3 messages" in capsys.readouterr().out
    turns = history(env)
    assert [(t.role, t.content) for t in turns] == [
        ("user", "God morgen!"),
        ("assistant", "God morgen! Sov du godt?"),
        ("user", "Ja, takk."),
    ]


def test_a_markdown_log_with_two_unknown_speakers_is_refused_with_the_fix(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "group.md"
    log.write_text("**Jovnna**: Hei\n**Kari**: Hallo\n**AIKI**: Hei begge!\n", encoding="utf-8")
    assert run_cli("data", "sessions", str(log)) == EXIT_FAILED
    out = capsys.readouterr().out
    assert "speakers Jovnna, Kari are not known" in out and "--user-name" in out and "rejected : 1" in out


# -- 4. disk full, read-only ------------------------------------------------------------


def test_memory_import_refuses_before_writing_when_the_disk_is_nearly_full(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = lines(tmp_path / "m.jsonl", memory("Jovnna likes brunost"))
    monkeypatch.setattr(shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))  # type: ignore[attr-defined]
    assert run_cli("memory", "import", str(source)) == EXIT_DISK
    err = capsys.readouterr().err
    assert err.startswith("aiki: Not enough free space at ") and "Traceback" not in err


@pytest.mark.parametrize(
    "failure",
    [OSError(errno.ENOSPC, "No space left on device", "/data/aiki.db-wal"), sqlite3.OperationalError("disk I/O error")],
)
def test_a_full_disk_during_an_import_is_one_line_and_keeps_what_was_stored(
    env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
) -> None:
    export = write_export(tmp_path / "one.json", [simple_conversation("First", [("Hei", "Hei!")], "c1")])
    assert run_cli("data", "chatgpt", "--no-memories", str(export)) == 0
    capsys.readouterr()

    async def full(*args: object) -> None:
        raise failure

    monkeypatch.setattr(writer.HistoryWriter, "_write", full)
    later = write_export(tmp_path / "two.json", [simple_conversation("Second", [("Hei", "Hei!")], "c2")])
    assert run_cli("data", "chatgpt", "--no-memories", str(later)) == EXIT_DISK
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot" in err and "Traceback" not in err
    assert "aiki.db" in err
    monkeypatch.undo()
    assert [t.title for t in history(env)] == ["First", "First"]


def test_an_unexpected_failure_is_one_line_and_the_traceback_goes_to_a_file(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError(f"nobody foresaw {args!r}")  # a message that quotes what was imported

    monkeypatch.setattr(chatgpt, "parse_conversation", broken)
    monkeypatch.setattr("bot.training.importer._SHAPE_ERRORS", (chatgpt.BrokenConversation,))
    export = write_export(tmp_path / "one.json", [simple_conversation("Kestreltitle", [("Hei", "Hei!")], "c1")])
    assert run_cli("data", "chatgpt", str(export)) == EXIT_FAILED
    err = capsys.readouterr().err
    assert "Traceback" not in err and "failed unexpectedly" in err
    saved = (env / "last-error.txt").read_text()
    assert "RuntimeError" in saved and ", in broken" in saved
    assert "Kestreltitle" not in saved  # frames and classes only, never the message


# -- 6. CLI cases that gave tracebacks -------------------------------------------------------


def test_exports_into_a_missing_folder_make_it_and_onto_a_folder_say_the_fix(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], embedder: FastEmbedder
) -> None:
    source = lines(tmp_path / "m.jsonl", memory("Jovnna likes brunost"))
    assert run_cli("memory", "import", str(source)) == 0
    capsys.readouterr()
    assert run_cli("memory", "export", str(tmp_path / "nowhere" / "m.jsonl")) == 0
    assert "brunost" in (tmp_path / "nowhere" / "m.jsonl").read_text(encoding="utf-8")
    folder = tmp_path / "out"
    folder.mkdir()
    assert run_cli("memory", "export", str(folder)) == EXIT_FAILED
    assert "is a folder: give a file name" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.partial"))


def test_importing_a_folder_says_it_is_a_folder(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("memory", "import", str(tmp_path)) == EXIT_FAILED
    assert "is a folder" in capsys.readouterr().err


def test_mark_bad_with_an_impossible_id_is_not_a_crash(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("finetune", "mark-bad", "99999999999999999999999") == EXIT_FAILED
    captured = capsys.readouterr()
    assert "no such turn" in captured.out and "Traceback" not in captured.err


def test_an_unreachable_qdrant_server_is_one_line(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli("data", "memories", "--url", "http://127.0.0.1:9", "--collection", "old")
    err = capsys.readouterr().err
    assert code == EXIT_UNREACHABLE, err
    assert "Cannot reach the Qdrant server at http://127.0.0.1:9" in err and "Traceback" not in err


def test_exit_codes_are_in_the_docs() -> None:
    from bot.cli import common as cli_common

    doc = (Path(__file__).parent.parent / "docs" / "troubleshooting.md").read_text(encoding="utf-8")
    for code in (cli_common.EXIT_FAILED, cli_common.EXIT_CONFIG, cli_common.EXIT_LOCKED, EXIT_DISK, EXIT_UNREACHABLE):
        assert f"| {code} |" in doc
    assert (cli_common.EXIT_DISK, cli_common.EXIT_UNREACHABLE) == (EXIT_DISK, EXIT_UNREACHABLE)


def test_the_memory_server_backend_unreachable_names_the_url(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIKI_MEMORY_BACKEND", "server")
    monkeypatch.setenv("AIKI_QDRANT_URL", "http://127.0.0.1:9")
    assert run_cli("memory", "stats") == EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert "cannot reach the Qdrant server at http://127.0.0.1:9" in err and "Traceback" not in err


def test_a_data_folder_that_is_a_file_is_one_line(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("AIKI_DATA_DIR", str(blocker))
    assert run_cli("data", "stats") == EXIT_DISK
    err = capsys.readouterr().err
    assert "is a file where AIKI needs a folder" in err and "Traceback" not in err


def test_an_empty_session_log_is_reported(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert run_cli("data", "sessions", str(empty)) == EXIT_FAILED
    assert "empty.jsonl: no messages found" in capsys.readouterr().out


def test_many_small_values_are_not_mistaken_for_one_huge_value(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.training import jsonstream

    monkeypatch.setattr(jsonstream, "MAX_TOKEN_BYTES", 200_000)  # ijson reads 64 KB at a time
    raw = b"[" + b"1," * 500_000 + b"1]"  # 1 MB of values, none larger than a byte
    found = list(jsonstream.items(jsonstream.GuardedReader(io.BytesIO(raw)), array=True))
    assert len(found) == 500_001
