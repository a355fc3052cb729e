"""Logs hold no words (issue 19, item 2): not what people wrote, nor what a model or a provider made of it.

Each test sets logging up as `aiki run` does (bot/logs.py, at DEBUG), drives real turns through the core and the
stand-in LLM, and reads the log file the app writes: the one that stays in `data/logs` after `/forget all`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.llm import LLMRejectedError
from bot.logs import log_file, setup_logging
from bot.mind.core import Consciousness, Person
from bot.settings import Settings
from tests.core_fixtures import Replies, say
from tests.llm_server import FakeLLMServer, HttpError

KARI = Person("111", "Kari")
# Made up by the model: a fact key, and a fact it invents (not grounded in what Kari said, so it is skipped).
KEY_CANARY = "project_logkeycanary"
INVENTED_KEY_CANARY = "yacht_logkeycanary"
WORD_CANARY = "Zorblaxlogcanary"
ECHO_CANARY = "ECHOCANARY kestrel-9031"


@pytest.fixture
def settings(tmp_path: Path, restore_logging: None) -> Settings:
    """Logging as the app sets it up, at DEBUG, content switch off."""
    made = Settings(_env_file=None, data_dir=tmp_path / "data", log_level="DEBUG")  # type: ignore[call-arg]
    setup_logging(made, to_stderr=False)
    return made


def written(settings: Settings) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return log_file(settings).read_text(encoding="utf-8")


def _made_up_facts(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"key": KEY_CANARY, "text": f"Kari is building {WORD_CANARY}", "importance": 0.8},
        {"key": INVENTED_KEY_CANARY, "text": "Kari owns a yacht called Nimbus", "importance": 0.5},
    ]


async def test_fact_keys_and_decisions_are_logged_by_ids_never_by_the_models_words(
    core: Consciousness, replies: Replies, settings: Settings
) -> None:
    replies.facts = _made_up_facts
    replies.decide = lambda body: {"decision": "update", "id": "f1"}
    await say(core, KARI, f"I'm building {WORD_CANARY} this winter")
    await say(core, KARI, f"Still building {WORD_CANARY}, slowly")  # the same fact again: the model decides
    await core.forget_everything(KARI)
    log = written(settings)
    for canary in ("logkeycanary", WORD_CANARY, "Nimbus"):
        assert canary not in log
    assert "fact added for 111 (memory " in log and "fact decision for 111: update " in log
    assert "fact extraction skipped fact 2 (not in what the person said)" in log


async def test_a_provider_error_that_echoes_the_prompt_is_logged_by_status_and_code_only(
    core: Consciousness, server: FakeLLMServer, settings: Settings
) -> None:
    server.fail_with(HttpError(400, f"Invalid prompt near: 'Remember {ECHO_CANARY} for me'", code="invalid_prompt"))
    with pytest.raises(LLMRejectedError):
        await say(core, KARI, f"Remember {ECHO_CANARY} for me")
    server.clear_faults()
    log = written(settings)
    assert "ECHOCANARY" not in log and "kestrel" not in log
    assert "failed: HTTP 400 (invalid_prompt)" in log
    assert "turn for 111 ended without a finished reply (failed)" in log


def test_a_traceback_keeps_its_frames_and_classes_not_its_messages(settings: Settings) -> None:
    """An exception's message may quote its input (a validation error, a provider's body): only the stack is kept."""

    def parse(said: str) -> None:
        try:
            int(said)
        except ValueError as exc:
            raise RuntimeError(f"could not read {said!r}") from exc

    try:
        parse(WORD_CANARY)
    except RuntimeError:
        logging.getLogger("bot.mind.core").exception("learning after a turn failed for %s", KARI.scope)
    log = written(settings)
    assert WORD_CANARY not in log
    assert "learning after a turn failed for 111" in log
    assert "builtins.ValueError" in log and "builtins.RuntimeError" in log and ", in parse" in log
