"""`aiki finetune export / validate / replies / mark-bad`: chat-format JSONL from the history, checked like OpenAI's
cookbook checks it."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from bot.mind.persona import read_persona
from bot.state.store import StateStore, Turn
from bot.training.validate import default_epochs
from tests.training_fixtures import OWNER, session_jsonl, standard_export

LIVE = datetime(2026, 2, 10, 20, 0, tzinfo=UTC)
PERSONA = read_persona(None).text


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AIKI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIKI_OWNER_IDS", OWNER)
    return tmp_path / "data"


def run_cli(*args: str) -> int:
    return main(["-q", *args])


def add_live_turns(data: Path, pairs: list[tuple[str, str]], start: datetime = LIVE) -> None:
    """AIKI's own conversation (DMs), as the core stores it."""

    async def write() -> None:
        state = StateStore(data / "aiki.db")
        await state.open()
        try:
            for i, (question, answer) in enumerate(pairs):
                at = start + timedelta(minutes=2 * i)
                await state.add_turn(Turn(OWNER, "user", question, at, source="dm"))
                await state.add_turn(Turn(OWNER, "assistant", answer, at + timedelta(seconds=20), source="dm"))
        finally:
            await state.close()

    asyncio.run(write())


def examples(path: Path) -> list[list[dict[str, Any]]]:
    return [json.loads(line)["messages"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_builds_chat_examples_with_the_persona_and_leaves_out_what_should_not_be_learned(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli("data", "chatgpt", "--no-memories", str(standard_export(tmp_path / "c.json")))
    run_cli("data", "sessions", str(session_jsonl(tmp_path / "old.jsonl")))
    add_live_turns(
        env,
        [
            (
                "Hei! Mail meg på jovnna@example.no, nøkkelen er sk-proj-abcdefghijklmnopqrstuvwx",
                "Skal bli! Jeg noterer.",
            ),
            ("Ringer du meg på +47 412 34 567?", "Jeg kan dessverre ikke ringe, men jeg er her."),
        ],
    )
    add_live_turns(env, [("Same question", "Same answer, word for word.")], LIVE + timedelta(days=2))
    add_live_turns(env, [("Same question", "Same answer, word for word.")], LIVE + timedelta(days=3))
    capsys.readouterr()

    train = tmp_path / "train.jsonl"
    assert run_cli("finetune", "export", str(train), "--validation", "0") == 0
    out = capsys.readouterr().out
    written = examples(train)
    assert all(example[0] == {"role": "system", "content": PERSONA} for example in written)
    assert all(example[-1]["role"] == "assistant" for example in written)
    text = json.dumps(written, ensure_ascii=False)
    assert "jovnna@example.no" not in text and "sk-proj-" not in text and "412 34 567" not in text
    assert "[email]" in text and "[api-key]" in text and "[phone]" in text
    assert '"Ok"' not in text  # a one-word reply
    assert "As an AI language model" not in text  # marked bad in the session log
    assert "Jovnna is building AIKI-HOME" not in text  # facts stay in Qdrant
    assert text.count("Same answer, word for word.") == 1  # de-duplicated
    assert "1 duplicate examples" in out and "replies marked bad" in out and "replies under 2 words" in out
    assert "1 [api-key]" in out and "1 [email]" in out
    assert not (tmp_path / "train.validation.jsonl").exists()


def test_weights_keep_context_and_learn_only_some_replies(env: Path, tmp_path: Path) -> None:
    run_cli("data", "chatgpt", "--no-memories", str(standard_export(tmp_path / "c.json")))
    add_live_turns(env, [("Hvordan går det med AIKI-HOME?", "Det går fremover, proxyen blokkerer nå det meste.")])
    train = tmp_path / "train.jsonl"
    args = ["--validation", "0", "--weights", "--learn-from", "aiki,session-log"]
    assert run_cli("finetune", "export", str(train), *args) == 0
    written = examples(train)
    replies = [m for example in written for m in example if m["role"] == "assistant"]
    learned = [m["content"] for m in replies if m["weight"] == 1]
    assert learned == ["Det går fremover, proxyen blokkerer nå det meste."]  # only AIKI's own voice is learned
    # ChatGPT's conversations stay only where a learned reply follows them; here none does.
    assert all(m["weight"] in (0, 1) for m in replies)
    assert len(written) == 1


def test_validation_split_keeps_each_conversation_on_one_side(env: Path, tmp_path: Path) -> None:
    for day in range(40):
        add_live_turns(
            env,
            [
                (f"Dag {day}: hva gjør vi?", f"Vi tar dag {day} rolig og ser på proxyen."),
                ("Og så?", f"Så hviler vi, dag {day}."),
            ],
            LIVE + timedelta(days=day),
        )
    train = tmp_path / "train.jsonl"
    assert run_cli("finetune", "export", str(train), "--validation", "0.25") == 0
    held_out = examples(tmp_path / "train.validation.jsonl")
    kept = examples(train)
    assert len(held_out) + len(kept) == 40 and 3 <= len(held_out) <= 18
    days = {json.dumps(e[1:]) for e in kept} & {json.dumps(e[1:]) for e in held_out}
    assert not days
    assert all(len(e) == 5 for e in kept)  # one conversation per example: persona + 2 exchanges


def test_marking_a_reply_bad_keeps_it_out_of_the_next_export(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_live_turns(
        env, [("Kan du hjelpe meg?", "Nei, det orker jeg ikke i dag."), ("Hva med proxyen?", "Den kjører fint nå.")]
    )
    capsys.readouterr()
    assert run_cli("finetune", "replies", "orker") == 0
    turn_id = capsys.readouterr().out.split()[0]
    assert run_cli("finetune", "mark-bad", turn_id, "999999") == 1
    assert "marked bad: 1 replies; not AIKI replies (or no such turn): 999999" in capsys.readouterr().out
    train = tmp_path / "train.jsonl"
    assert run_cli("finetune", "export", str(train), "--validation", "0") == 0
    assert "orker" not in train.read_text(encoding="utf-8")
    assert run_cli("data", "stats") == 0
    assert "1 replies marked bad" in capsys.readouterr().out


def test_export_with_no_history_says_so(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("finetune", "export", str(tmp_path / "train.jsonl")) == 1
    assert "no examples" in capsys.readouterr().err


def good_example(i: int, **extra: Any) -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are AIKI."},
            {"role": "user", "content": f"Question number {i}?"},
            {"role": "assistant", "content": f"Answer number {i}, with a little more to say.", **extra},
        ]
    }


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_validate_accepts_a_good_file_made_elsewhere_and_estimates_tokens(
    env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "elsewhere.jsonl", [good_example(i, weight=1) for i in range(12)])
    assert run_cli("finetune", "validate", str(path)) == 0
    out = capsys.readouterr().out
    assert "12 examples, 0 problems" in out and "OK: the file passes every check." in out
    assert f"x {default_epochs(12)} epochs" in out and "tokens per example" in out and "estimated" in out
    assert default_epochs(12) == 8 and default_epochs(50) == 3 and default_epochs(20_000) == 1


def test_validate_lists_every_problem_by_line(env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows: list[Any] = [good_example(i) for i in range(9)]
    rows += [
        '{"messages": [{"role": "user", "content": "cut',
        {"messages": [{"role": "bot", "content": "hi"}, {"role": "assistant", "content": "hello there"}]},
        {"messages": [{"role": "user", "content": "only a question"}]},
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a", "mood": "x"}], "id": 3},
        good_example(99, weight=0.5),
        {"messages": [{"role": "user", "content": "long " * 20_000}, {"role": "assistant", "content": "ok then"}]},
    ]
    path = write_jsonl(tmp_path / "bad.jsonl", rows)
    assert run_cli("finetune", "validate", str(path)) == 1
    out = capsys.readouterr().out
    assert "line 10: not valid JSON" in out
    assert "line 11: message 1: unknown role: 'bot'" in out
    assert "line 12: no assistant message" in out
    assert "line 13: unknown key: id" in out and "line 13: message 2: unknown key: mood" in out
    assert "line 14: message 3: bad weight: 0.5" in out
    assert "line 15: too long" in out

    few = write_jsonl(tmp_path / "few.jsonl", [good_example(i) for i in range(3)])
    assert run_cli("finetune", "validate", str(few)) == 1
    assert "file: too few examples: 3, fine-tuning needs at least 10" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("key sk-proj-abcDEF1234567890abcdefXYZ ok", "key [api-key] ok"),
        ("ghp_0123456789abcdefghijABCDEFGHIJ012345 and AKIAIOSFODNN7EXAMPLE", "[api-key] and [api-key]"),
        ("bot token MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789", "bot token [token]"),
        ("see https://example.com/cb?access_token=abc123&x=1 now", "see [url] now"),
        ("skriv til jovnna.test@example.no!", "skriv til [email]!"),
        ("ring +47 412 34 567, 41234567 eller 22 33 44 55", "ring [phone], [phone] eller [phone]"),
        ("IBAN NO93 8601 1117 947, konto 8601.11.17947", "IBAN [iban], konto [account]"),
        ("kort 4111 1111 1111 1111", "kort [card]"),
        ("fnr 15076500565", "fnr [national-id]"),
        ("hei <@123456789012345678>", "hei [mention]"),
        # What must stay: dates, times, versions, counts, a number that fails the card checksum.
        ("on 20240501 at 14:30, Python 3.11.7, 12345678 items, 2024-05-01", None),
        ("order 4111 1111 1111 1112 and port 443", None),
    ],
)
def test_scrubbing_replaces_secrets_and_contact_details_but_not_ordinary_numbers(
    text: str, expected: str | None
) -> None:
    from bot.training.scrub import Scrubber

    assert Scrubber()(text) == (expected if expected is not None else text)
