"""Logging set-up: one format, and a filter that blanks out every configured secret wherever it appears."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from logging.handlers import RotatingFileHandler
from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Replaces secret values in the formatted message (arguments and exception text included)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        for secret in self._secrets:
            message = message.replace(secret, "***")
        record.msg, record.args = message, None
        return True


def secrets_of(settings: Settings) -> list[str]:
    values: list[SecretStr | None] = [
        settings.discord_token,
        settings.llm_api_key,
        settings.qdrant_api_key,
        settings.finetune_api_key,
    ]
    return [value.get_secret_value() for value in values if value is not None]


# Loggers that print what people wrote when at DEBUG: aiosqlite logs every statement with its values, the Discord
# gateway every event (message text included), HTTP clients request bodies. Clamped unless AIKI_LOG_CONTENT is set.
CONTENT_LOGGERS = {"aiosqlite": logging.WARNING, "discord": logging.INFO}
# Libraries that log request details (headers included) at DEBUG stay at WARNING, always.
NOISY = ("httpx", "httpx2", "httpcore", "openai", "discord.http", "urllib3")
# Said once at start when AIKI_LOG_CONTENT is on: in the log, and on the screen of `aiki chat` (whose log is the file).
CONTENT_WARNING = (
    "AIKI_LOG_CONTENT is on: THE LOGS MAY NOW HOLD WHAT PEOPLE WROTE (SQL values, Discord events). "
    "Turn it off when you are done debugging, and delete %s."
)
LOG_FILE_BYTES = 5_000_000
LOG_FILE_BACKUPS = 3


def log_file(settings: Settings) -> Path:
    return settings.data_dir / "logs" / "aiki.log"


def setup_logging(settings: Settings, to_stderr: bool = True) -> None:
    """Logs go to a rotating file under the data directory, and to stderr when `to_stderr` (never for `aiki chat`,
    whose screen is the conversation). They hold ids, kinds, counts and timings, never what people wrote."""
    redact = RedactSecrets(secrets_of(settings))
    path = log_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    handlers: list[logging.Handler] = [
        RotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8")
    ]
    if to_stderr:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(redact)
    root = logging.getLogger()
    for old in root.handlers:
        old.close()
    root.handlers[:] = handlers
    root.setLevel(settings.log_level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name, level in CONTENT_LOGGERS.items():
        logging.getLogger(name).setLevel(logging.NOTSET if settings.log_content else level)
    if settings.log_content:
        logging.getLogger(__name__).warning(CONTENT_WARNING, path.parent)


def content_warning(settings: Settings) -> str:
    """The AIKI_LOG_CONTENT warning as one line for a screen."""
    return CONTENT_WARNING % log_file(settings).parent
