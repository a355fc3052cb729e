"""Settings are read once, validated, and a wrong value names its variable."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli.common import EXIT_CONFIG
from bot.cli.main import main
from bot.errors import ConfigError
from bot.settings import MemoryBackend, load_settings
from bot.web.server import allowed_hosts, remote_warning


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(__import__("os").environ):
        if name.startswith("AIKI_"):
            monkeypatch.delenv(name)


def test_defaults_are_the_embedded_setup() -> None:
    settings = load_settings()
    assert settings.memory_backend is MemoryBackend.EDGE
    assert settings.edge_path == Path("data/memory")
    assert settings.database_path == Path("data/aiki.db")
    assert "multilingual" in settings.embedding_model


def test_ids_accept_commas_or_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIKI_OWNER_IDS", "111, 222")
    monkeypatch.setenv("AIKI_ALLOWED_USER_IDS", "333 444")
    settings = load_settings()
    assert settings.owner_ids == [111, 222]
    assert settings.allowed_ids == {111, 222, 333, 444}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AIKI_OWNER_IDS", "12,abc"),
        ("AIKI_TIMEZONE", "Mars/Olympus"),
        ("AIKI_LLM_TIMEOUT_S", "0"),
        ("AIKI_MEMORY_BACKEND", "postgres"),
        ("AIKI_LLM_BASE_URL", "localhost:11434"),
        ("AIKI_QDRANT_COLLECTION", "bad name!"),
        ("AIKI_SLEEP_AFTER_QUIET_MINUTES", "5"),
        ("AIKI_SLEEP_NIGHT_HOUR", "24"),
    ],
)
def test_a_wrong_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert name in str(caught.value)


def test_server_backend_needs_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIKI_MEMORY_BACKEND", "server")
    with pytest.raises(ConfigError, match="AIKI_QDRANT_URL"):
        load_settings()


def test_secrets_do_not_show_in_repr_or_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIKI_DISCORD_TOKEN", "discord-token-canary-123")
    monkeypatch.setenv("AIKI_LLM_API_KEY", "sk-canary-456")
    settings = load_settings()
    assert "canary" not in repr(settings)
    monkeypatch.setenv("AIKI_LLM_TIMEOUT_S", "never")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "canary" not in str(caught.value)


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("AIKI_LLM_MODEL=llama3.1:8b\nAIKI_DATA_DIR=/srv/aiki\n")
    settings = load_settings()
    assert settings.llm_model == "llama3.1:8b"
    assert settings.edge_path == Path("/srv/aiki/memory")


def test_the_reply_must_leave_room_for_the_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIKI_LLM_CONTEXT_TOKENS", "4096")
    monkeypatch.setenv("AIKI_LLM_MAX_REPLY_TOKENS", "3000")
    with pytest.raises(ConfigError, match="AIKI_LLM_MAX_REPLY_TOKENS"):
        load_settings()
    monkeypatch.setenv("AIKI_LLM_MAX_REPLY_TOKENS", "512")
    assert load_settings().prompt_tokens == 4096 - 512


def test_an_address_other_machines_can_reach_is_refused_unless_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    """The owner's page (`aiki web`) listens on loopback unless a wider address is asked for explicitly."""
    monkeypatch.setenv("AIKI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIKI_OWNER_IDS", "111")

    assert main(["web", "--host", "0.0.0.0"]) == EXIT_CONFIG
    assert "--allow-remote" in capsys.readouterr().err

    monkeypatch.setenv("AIKI_WEB_HOST", "192.168.1.20")
    assert main(["web"]) == EXIT_CONFIG
    assert "AIKI_WEB_ALLOW_REMOTE" in capsys.readouterr().err


def test_a_port_in_use_is_one_line_naming_the_setting_before_anything_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    monkeypatch.setenv("AIKI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIKI_OWNER_IDS", "111")
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["web", "--port", str(port)]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert f"Port {port} is in use" in error and "AIKI_WEB_PORT" in error and "Traceback" not in error


def test_a_page_for_someone_aiki_does_not_know_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    monkeypatch.setenv("AIKI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIKI_OWNER_IDS", "111")
    monkeypatch.setenv("AIKI_ALLOWED_USER_IDS", "222")

    assert main(["web", "--for", "999"]) == EXIT_CONFIG
    assert "999 is not in AIKI_OWNER_IDS or AIKI_ALLOWED_USER_IDS" in capsys.readouterr().err


def test_a_page_other_machines_can_reach_is_said_loudly_and_answers_to_any_name() -> None:
    warning = remote_warning("0.0.0.0")
    assert warning is not None and "other machines can reach it" in warning and "plain HTTP" in warning
    assert remote_warning("127.0.0.1") is None and remote_warning("::1") is None
    assert allowed_hosts("0.0.0.0") is None  # asked for explicitly: reached by the machine's names and addresses
    assert allowed_hosts("127.0.0.1") == frozenset({"127.0.0.1", "localhost", "::1"})
