"""AIKI's settings: read once from the environment (and `.env`) in the composition root, validated, passed down."""

from __future__ import annotations

import ipaddress
from enum import Enum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError
from bot.languages import DEFAULT_LANGUAGE, LANGUAGES
from bot.pictures import VisionMode

ENV_PREFIX = "AIKI_"
DEFAULT_EMBEDDING_MODEL = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"


class MemoryBackend(str, Enum):
    EDGE = "edge"
    SERVER = "server"


def _split_ids(value: object) -> object:
    """Accept `123,456`, `123 456` or a JSON-less list for the id settings."""
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return value


IdList = Annotated[list[int], NoDecode]


def is_loopback(host: str) -> bool:
    """Whether a bind address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # `KEY=` in .env means "use the default"
        extra="ignore",
    )

    # Discord
    discord_token: SecretStr | None = None
    owner_ids: IdList = Field(default_factory=list)
    allowed_user_ids: IdList = Field(default_factory=list)
    dev_guild_id: int | None = None
    # DMs and mentions sent while AIKI was stopped are answered at start if they are at most this old (hours);
    # older ones are only learned. 0: never answer late.
    catch_up_hours: float = Field(default=24.0, ge=0, le=24 * 30)
    # After a message AIKI waits this many seconds for more, and longer while the person is still typing (at most
    # 20 s): what someone sends in a row is read to the end and answered once, as a person would. 0: answer at once.
    reply_pause_s: float = Field(default=1.5, ge=0, le=10)
    # An event a person says is coming ("exam on Friday") is followed up once it has passed. False: AIKI asks them
    # first (yes/no buttons where it was said); true: it follows up without asking (quiet hours and limits still hold).
    follow_up_without_asking: bool = False
    # Sleep passes (bot/checkins/bedtime.py): once a person has been quiet this many minutes after writing, and once
    # a night at this hour of their time zone, AIKI consolidates what they said (merges, facts, profile, reflections).
    sleep_after_quiet_minutes: int = Field(default=90, ge=10, le=7 * 24 * 60)
    sleep_night_hour: int = Field(default=3, ge=0, le=23)

    # LLM (any OpenAI-compatible endpoint)
    llm_base_url: str = "https://api.openai.com/v1"
    llm_api_key: SecretStr = SecretStr("")
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = Field(default=30.0, gt=0, le=600)
    llm_max_retries: int = Field(default=1, ge=0, le=5)
    # The model's context window in tokens, and the most a reply may use (sent as max_tokens); prompts are
    # fitted into the difference. Set the window to the model's real one (llama.cpp: its -c / --ctx-size).
    llm_context_tokens: int = Field(default=8_192, ge=1_024, le=2_000_000)
    llm_max_reply_tokens: int = Field(default=600, ge=32, le=100_000)
    # Pictures people send: auto finds out once per model whether it takes them (remembered); on / off.
    llm_vision: VisionMode = VisionMode.AUTO

    # Embeddings
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    embedding_model_path: Path | None = None
    model_cache_dir: Path = Path("data/models")

    # Long-term memory
    memory_backend: MemoryBackend = MemoryBackend.EDGE
    data_dir: Path = Path("data")
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    qdrant_collection: str = Field(default="aiki_memories", pattern=r"^[A-Za-z0-9_\-]{1,64}$")
    # The language memories are searched by words in (BM25 stop words and stemmer); changing it needs a reindex.
    memory_language: str = DEFAULT_LANGUAGE

    # Identity
    persona_file: Path | None = None

    # Fine-tuning (`aiki finetune ...`): any OpenAI-compatible files + fine_tuning.jobs API
    finetune_base_url: str | None = None  # default: llm_base_url
    finetune_api_key: SecretStr | None = None  # default: llm_api_key
    finetune_base_model: str = "gpt-4.1-mini-2025-04-14"
    finetune_poll_s: float = Field(default=30.0, ge=0, le=3600)

    # State
    sqlite_path: Path | None = None
    timezone: str = "Europe/Oslo"
    log_level: str = "INFO"
    # Debugging only: let libraries log what people wrote (SQL values, Discord events). Off by default.
    log_content: bool = False

    # The owner's page (`aiki web`, docs/web.md): on also serves it inside `aiki run`. Loopback unless a
    # non-loopback host is asked for with web_allow_remote (the page is plain HTTP).
    web: bool = False
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8765, ge=0, le=65535)
    web_allow_remote: bool = False

    _split = field_validator("owner_ids", "allowed_user_ids", mode="before")(_split_ids)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as Europe/Oslo") from exc
        return value

    @field_validator("llm_base_url", "qdrant_url", "finetune_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("memory_language")
    @classmethod
    def _memory_language(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in LANGUAGES:
            raise ValueError(f"unknown language {value!r}; use one of {', '.join(LANGUAGES)}")
        return name

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return level

    @model_validator(mode="after")
    def _reply_fits_the_window(self) -> Settings:
        if self.llm_max_reply_tokens > self.llm_context_tokens // 2:
            raise ValueError(
                f"{ENV_PREFIX}LLM_MAX_REPLY_TOKENS ({self.llm_max_reply_tokens}) must be at most half of "
                f"{ENV_PREFIX}LLM_CONTEXT_TOKENS ({self.llm_context_tokens}): the prompt needs the rest"
            )
        return self

    @property
    def prompt_tokens(self) -> int:
        """What a prompt may use: the window less the room kept for the reply."""
        return self.llm_context_tokens - self.llm_max_reply_tokens

    @model_validator(mode="after")
    def _web_stays_local(self) -> Settings:
        if not self.web_allow_remote and not is_loopback(self.web_host):
            raise ValueError(
                f"{ENV_PREFIX}WEB_HOST={self.web_host} is reachable from other machines, and the page is plain HTTP: "
                f"use 127.0.0.1, or set {ENV_PREFIX}WEB_ALLOW_REMOTE=true if you mean it"
            )
        return self

    @model_validator(mode="after")
    def _server_needs_url(self) -> Settings:
        if self.memory_backend is MemoryBackend.SERVER and not self.qdrant_url:
            raise ValueError(f"{ENV_PREFIX}QDRANT_URL is required when {ENV_PREFIX}MEMORY_BACKEND=server")
        return self

    @property
    def edge_path(self) -> Path:
        return self.data_dir / "memory"

    @property
    def forget_journal_path(self) -> Path:
        """Forgets that started and have not finished (ids only): the next start finishes them."""
        return self.data_dir / "forget-journal"

    @property
    def database_path(self) -> Path:
        return self.sqlite_path or self.data_dir / "aiki.db"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def allowed_ids(self) -> frozenset[int]:
        return frozenset(self.owner_ids) | frozenset(self.allowed_user_ids)


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings once; a bad value becomes a ConfigError naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"] if isinstance(part, str))
            name = f"{ENV_PREFIX}{field.upper()}" if field else "settings"
            problems.append(f"{name}: {error['msg']}")
        raise ConfigError("Invalid configuration:\n  " + "\n  ".join(problems)) from None
