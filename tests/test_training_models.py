"""Issue 16 without torch: which model wrote each reply, the export's small-history fixes, `finetune use --env-file`,
and one message per side in live prompts."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.llm import ChatMessage, merge_same_role
from bot.state.store import StateStore, Turn
from tests.llm_server import FakeLLMServer
from tests.training_fixtures import OWNER, standard_export

LIVE = datetime(2026, 2, 10, 20, 0, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIKI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIKI_OWNER_IDS", OWNER)
    return tmp_path / "data"


def run_cli(*args: str) -> int:
    return main(["-q", *args])


def add_days(data: Path, days: int, model: str | None, first: int = 0, question: str = "hva gjør vi?") -> None:
    """One conversation a day, each reply written by `model`, as the core stores them."""

    async def write() -> None:
        state = StateStore(data / "aiki.db")
        await state.open()
        try:
            for day in range(first, first + days):
                at = LIVE + timedelta(days=day)
                await state.add_turn(Turn(OWNER, "user", f"Dag {day}: {question}", at, source="dm"))
                reply = f"Vi ser på proxyen i dag, dag {day}, sammen."
                await state.add_turn(Turn(OWNER, "assistant", reply, at + timedelta(seconds=9), model=model))
        finally:
            await state.close()

    asyncio.run(write())


def add_conversation(data: Path, replies: list[tuple[str, str]]) -> None:
    """One conversation, a message before each reply, each reply by its model."""

    async def write() -> None:
        state = StateStore(data / "aiki.db")
        await state.open()
        try:
            for i, (model, reply) in enumerate(replies):
                at = LIVE + timedelta(days=60, minutes=i)
                await state.add_turn(Turn(OWNER, "user", f"melding {i}", at, source="dm"))
                await state.add_turn(Turn(OWNER, "assistant", reply, at + timedelta(seconds=9), model=model))
        finally:
            await state.close()

    asyncio.run(write())


def examples(path: Path) -> list[list[dict[str, Any]]]:
    return [json.loads(line)["messages"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_store_records_which_model_wrote_a_reply(tmp_path: Path) -> None:
    async def check() -> list[Turn]:
        state = StateStore(tmp_path / "aiki.db")
        await state.open()
        try:
            await state.add_turn(Turn(OWNER, "user", "hei", LIVE))
            await state.add_turn(Turn(OWNER, "assistant", "hei du", LIVE, model="gpt-4o"))
            return await state.recent_turns(OWNER)
        finally:
            await state.close()

    user, reply = asyncio.run(check())
    assert (user.model, reply.model) == (None, "gpt-4o")


def test_export_leaves_out_replies_by_test_models_and_says_how_many(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_days(env, 12, "gpt-4o")
    add_days(env, 3, "smollm2", first=20)  # test runs on the tiny local model
    add_days(env, 2, None, first=30)  # replies from before models were recorded: learned
    train = tmp_path / "train.jsonl"
    assert run_cli("finetune", "export", str(train), "--validation", "0", "--no-dedupe") == 0
    out = capsys.readouterr().out
    assert "3 replies by a test model (smollm2)" in out
    assert "replies by these models are not learned: smollm2" in out
    replies = [m["content"] for e in examples(train) for m in e if m["role"] == "assistant"]
    assert len(replies) == 14

    assert run_cli("finetune", "models", "--aiki", "smollm2", "--not-aiki", "gpt-4o") == 0
    listed = capsys.readouterr().out
    assert "12  gpt-4o  not learned (marked not AIKI)" in listed and "3  smollm2  learned (marked)" in listed
    assert run_cli("finetune", "export", str(train), "--validation", "0", "--no-dedupe") == 0
    assert len(examples(train)) == 5  # the owner's marks win over the defaults


def test_a_small_history_gets_no_validation_file_and_a_missing_folder_is_created(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_days(env, 12, "gpt-4o")
    train = tmp_path / "new" / "folder" / "train.jsonl"
    stale = train.with_name("train.validation.jsonl")
    assert run_cli("finetune", "export", str(train), "--validation", "0.3") == 0
    out = capsys.readouterr().out
    assert "went into the training file" in out and not stale.exists()
    assert len(examples(train)) == 12
    assert run_cli("finetune", "validate", str(train)) == 0


def test_use_reads_the_model_and_endpoint_from_the_env_file_it_changes(
    env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeLLMServer(model="aiki") as local:
        monkeypatch.setenv("AIKI_LLM_BASE_URL", "http://127.0.0.1:9/v1")  # the running settings: elsewhere
        monkeypatch.setenv("AIKI_LLM_MODEL", "gpt-4o")
        other = tmp_path / "home.env"
        other.write_text(f"AIKI_LLM_MODEL=llama-stock\nAIKI_LLM_BASE_URL={local.base_url}\n")
        assert run_cli("finetune", "use", "aiki", "--env-file", str(other)) == 0
        out = capsys.readouterr().out
        assert "AIKI_LLM_MODEL: llama-stock -> aiki" in out  # not gpt-4o from the running settings
        assert "AIKI_LLM_MODEL=aiki" in other.read_text().splitlines()

        fresh = tmp_path / "fresh.env"
        fresh.write_text("AIKI_LLM_MODEL=gpt-4o\n")
        assert run_cli("finetune", "use", "aiki", "--env-file", str(fresh), "--base-url", local.base_url) == 0
        lines = fresh.read_text().splitlines()
        assert f"AIKI_LLM_BASE_URL={local.base_url}" in lines and "AIKI_LLM_MODEL=aiki" in lines
        assert "--base-url http://127.0.0.1:9/v1" in capsys.readouterr().out  # the way back


def test_live_prompts_send_one_message_per_side_as_the_export_does() -> None:
    sent = merge_same_role(
        [
            ChatMessage("system", "You are AIKI."),
            ChatMessage("user", "Er du der?"),
            ChatMessage("user", "Hallo?"),  # the turn before failed: two user messages in a row
            ChatMessage("assistant", "Ja!"),
            ChatMessage("user", "Bra."),
        ]
    )
    assert [(m.role, m.content) for m in sent] == [
        ("system", "You are AIKI."),
        ("user", "Er du der?\n\nHallo?"),
        ("assistant", "Ja!"),
        ("user", "Bra."),
    ]


def test_hybrid_export_gives_each_example_the_live_prompt_with_the_memories_known_then(
    env: Path, tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts.test_model import TEST_MODEL

    monkeypatch.setenv("AIKI_EMBEDDING_MODEL", TEST_MODEL)
    monkeypatch.setenv("AIKI_MODEL_CACHE_DIR", str(model_cache))
    dump = tmp_path / "old.jsonl"
    memories = [
        {"id": 1, "payload": {"content": "The proxy AIKI-HOME blocks social media", "timestamp": "2025-06-01T10:00Z"}},
        {
            "id": 2,
            "payload": {"content": "The proxy AIKI-HOME was rewritten in Rust", "timestamp": "2026-12-01T10:00Z"},
        },
    ]
    dump.write_text("\n".join(json.dumps(m) for m in memories) + "\n")
    assert run_cli("data", "memories", "--jsonl", str(dump)) == 0
    add_days(env, 2, "gpt-4o", question="what does the proxy AIKI-HOME block?")
    run_cli("data", "chatgpt", "--no-memories", str(standard_export(tmp_path / "c.json")))  # May 2024
    train = tmp_path / "train.jsonl"
    assert run_cli("finetune", "export", str(train), "--validation", "0", "--hybrid") == 0
    out = capsys.readouterr().out
    assert "retrieved memories in all" in out
    # ChatGPT's conversations are older than every memory: they are said to teach the voice alone.
    assert "3 examples have no <memories> block because every memory is newer than their conversation" in out
    for example in examples(train)[-2:]:  # AIKI's own conversations come after the imported ones
        system = example[0]["content"]
        assert system.startswith("You are AIKI.") and "Your mood right now:" in system
        assert "What you have decided to do in this reply:" in system
        assert "blocks social media" in system  # known at the time of the conversation
        assert "Rust" not in system  # learned ten months later: not in a prompt of February


def test_a_model_finetune_use_switched_to_is_fine_tuned_and_its_replies_are_not_learned_until_marked(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_days(env, 12, "gpt-4o")
    settings = tmp_path / "home.env"
    with FakeLLMServer(model="aiki") as local:
        settings.write_text(f"AIKI_LLM_MODEL=gpt-4o\nAIKI_LLM_BASE_URL={local.base_url}\n")
        assert run_cli("finetune", "use", "aiki", "--env-file", str(settings)) == 0
    assert "aiki is known as a fine-tuned AIKI: the export leaves its replies out" in capsys.readouterr().out
    add_days(env, 3, "aiki", first=20)  # the fine-tuned model talks as AIKI for three days

    assert run_cli("finetune", "models") == 0
    listed = capsys.readouterr().out
    assert "3  aiki  not learned: an earlier fine-tuned AIKI" in listed and "12  gpt-4o  learned" in listed
    train = tmp_path / "train.jsonl"
    assert run_cli("finetune", "export", str(train), "--validation", "0", "--weights") == 0
    out = capsys.readouterr().out
    assert "12 replies to learn" in out and "left out: 3 replies by an earlier fine-tuned AIKI (aiki)" in out
    assert len(examples(train)) == 12
    add_conversation(env, [("aiki", "Jeg heter AIKI og svarer slik."), ("gpt-4o", "Og slik svarer jeg, sammen.")])
    assert run_cli("finetune", "export", str(train), "--validation", "0", "--weights") == 0
    out = capsys.readouterr().out
    assert "kept as context with weight 0: 1 replies (1 replies by an earlier fine-tuned AIKI (aiki))" in out

    # Going back to the model AIKI ran on before does not make that one a fine-tuned model.
    assert run_cli("finetune", "use", "gpt-4o", "--env-file", str(settings), "--no-check") == 0
    assert "known as a fine-tuned" not in capsys.readouterr().out
    assert run_cli("finetune", "models") == 0
    assert "13  gpt-4o  learned" in capsys.readouterr().out

    assert run_cli("finetune", "models", "--aiki", "aiki") == 0  # the owner opts in, for this model
    assert "4  aiki  learned (marked)" in capsys.readouterr().out
    assert run_cli("finetune", "export", str(train), "--validation", "0") == 0
    assert "17 replies to learn" in capsys.readouterr().out
