"""`aiki finetune submit / status / use` against the suite's OpenAI-compatible server (files + fine_tuning.jobs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main
from tests.llm_server import FakeLLMServer, JobFailure

BASE = "gpt-4o-mini-2024-07-18"


@pytest.fixture
def server() -> Iterator[FakeLLMServer]:
    with FakeLLMServer(model="gpt-4o-mini") as llm:
        yield llm


@pytest.fixture
def env(tmp_path: Path, server: FakeLLMServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for key, value in {
        "AIKI_DATA_DIR": str(tmp_path / "data"),
        "AIKI_LLM_BASE_URL": server.base_url,
        "AIKI_LLM_API_KEY": "sk-test-key",
        "AIKI_LLM_MAX_RETRIES": "0",
        "AIKI_FINETUNE_BASE_MODEL": BASE,
        "AIKI_FINETUNE_POLL_S": "0",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AIKI_LLM_MODEL", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text("# my settings\nAIKI_OWNER_IDS=42\nAIKI_LLM_MODEL=gpt-4o-mini\nAIKI_TIMEZONE=Europe/Oslo\n")
    return env_file


def run_cli(*args: str) -> int:
    return main(["-q", *args])


def training_file(path: Path, count: int = 12) -> Path:
    rows: list[dict[str, Any]] = [
        {
            "messages": [
                {"role": "system", "content": "You are AIKI."},
                {"role": "user", "content": f"Hvordan går det med AIKI-HOME, del {i}?"},
                {"role": "assistant", "content": f"Det går fint, del {i} av proxyen virker nå."},
            ]
        }
        for i in range(count)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def uploads(server: FakeLLMServer) -> list[Any]:
    return [r for r in server.requests if r.path == "/v1/files" and r.method == "POST"]


def test_submit_follow_and_use_switch_the_chat_model_with_retrieval_on(
    env: Path, tmp_path: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    train = training_file(tmp_path / "train.jsonl")
    valid = training_file(tmp_path / "train.validation.jsonl", 10)
    assert run_cli("finetune", "submit", str(train), "--validation-file", str(valid), "--epochs", "2", "--follow") == 0
    out = capsys.readouterr().out
    [job] = server.jobs.values()
    assert job["status"] == "succeeded" and job["model"] == BASE
    assert job["method"]["supervised"]["hyperparameters"]["n_epochs"] == 2
    assert server.file_bytes[job["training_file"]] == train.read_bytes()  # uploaded byte for byte
    assert server.files[job["training_file"]]["purpose"] == "fine-tune" and job["validation_file"]
    assert "Fine-tuning job started" in out and "The job has successfully completed" in out
    assert f"fine-tuned model: {job['fine_tuned_model']}" in out
    assert f"aiki finetune use {job['id']}" in out

    assert run_cli("finetune", "status") == 0  # the last job, remembered
    assert f"{job['id']}: succeeded" in capsys.readouterr().out

    assert run_cli("finetune", "use", job["id"]) == 0
    out = capsys.readouterr().out
    assert f"AIKI_LLM_MODEL: gpt-4o-mini -> {job['fine_tuned_model']}" in out
    assert "Memory retrieval stays on" in out and "aiki finetune use gpt-4o-mini" in out
    lines = env.read_text().splitlines()
    assert f"AIKI_LLM_MODEL={job['fine_tuned_model']}" in lines
    assert lines[:2] == ["# my settings", "AIKI_OWNER_IDS=42"] and lines[-1] == "AIKI_TIMEZONE=Europe/Oslo"
    assert sum(line.startswith("AIKI_LLM_MODEL=") for line in lines) == 1

    from bot.settings import load_settings

    assert load_settings().llm_model == job["fine_tuned_model"]  # what AIKI reads at its next start

    assert run_cli("finetune", "use", "gpt-4o-mini") == 0  # and back
    assert "AIKI_LLM_MODEL=gpt-4o-mini" in env.read_text().splitlines()
    assert sum(line.startswith("# aiki finetune use:") for line in env.read_text().splitlines()) == 1


def test_a_file_that_fails_validation_is_never_uploaded(
    env: Path, tmp_path: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    train = training_file(tmp_path / "train.jsonl", 4)
    assert run_cli("finetune", "submit", str(train)) == 1
    captured = capsys.readouterr()
    assert "too few examples: 4" in captured.out and "nothing was uploaded" in captured.err
    assert uploads(server) == [] and server.jobs == {}


def test_an_upload_the_provider_refuses_says_why(
    env: Path, tmp_path: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.file_validator = lambda name, data: "File train.jsonl has 3 lines over the context limit."
    assert run_cli("finetune", "submit", str(training_file(tmp_path / "train.jsonl"))) == 1
    err = capsys.readouterr().err
    assert "Uploading train.jsonl failed: the provider answered HTTP 400" in err
    assert "3 lines over the context limit" in err and "Traceback" not in err
    assert server.jobs == {}


def test_a_job_that_fails_on_the_provider_side_gives_the_providers_reason(
    env: Path, tmp_path: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.job_failure = JobFailure("Training file has 2 examples with no assistant reply.", "invalid_training_file")
    assert run_cli("finetune", "submit", str(training_file(tmp_path / "train.jsonl"))) == 0
    job_id = next(iter(server.jobs))
    assert f"started fine-tuning job {job_id}" in capsys.readouterr().out
    assert run_cli("finetune", "status", job_id, "--follow") == 1
    err = capsys.readouterr().err
    assert f"Fine-tuning job {job_id} failed" in err
    assert "2 examples with no assistant reply. (invalid_training_file)" in err

    assert run_cli("finetune", "use", job_id) == 1
    assert "there is no model to use" in capsys.readouterr().err
    assert "AIKI_LLM_MODEL=gpt-4o-mini" in env.read_text()


def test_use_refuses_a_model_the_chat_endpoint_does_not_have(
    env: Path, server: FakeLLMServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("finetune", "use", "aiki-llama-3.1-8b") == 1
    assert "does not list the model 'aiki-llama-3.1-8b'" in capsys.readouterr().err
    assert "AIKI_LLM_MODEL=gpt-4o-mini" in env.read_text()
    # A local server (Ollama, vLLM) that does not list it yet: the owner decides.
    assert run_cli("finetune", "use", "aiki-llama-3.1-8b", "--no-check") == 0
    assert "AIKI_LLM_MODEL=aiki-llama-3.1-8b" in env.read_text()


def test_status_without_any_job(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("finetune", "status") == 1
    assert "No fine-tuning job yet" in capsys.readouterr().err
