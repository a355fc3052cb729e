"""Logging set-up: one format, and a filter that blanks out every configured secret wherever it appears."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable, Iterator
from logging.handlers import RotatingFileHandler
from pathlib import Path

from pydantic import SecretStr

from bot.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


PLACEHOLDER_CHARS = 8


class RedactSecrets(logging.Filter):
    """Replaces secret values in the formatted message (arguments and exception text included)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # Shorter values are placeholders a local server takes ("none", "ollama", as docs suggest), not secrets:
        # replaced, they would blank that word in every line ("facts: none" read "facts: ***").
        self._secrets = [s for s in secrets if len(s) >= PLACEHOLDER_CHARS]

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


class OneLineReconnects(logging.Filter):
    """discord.py logs every reconnect attempt with a full traceback at ERROR (~60 lines each while the network is
    down). One WARNING line with the error's class says the same."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.msg == "Attempting a reconnect in %.2fs":
            error = record.exc_info[1]
            record.msg = "connection to Discord lost (%s); reconnecting in %.1f s"
            record.args = (type(error).__name__, *(record.args if isinstance(record.args, tuple) else ()))
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and the ones that led to it, first cause first, as Python prints them."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return reversed(chain)


def traceback_without_messages(exc: BaseException) -> str:
    """A traceback's frames and exception classes, causes included, without the messages: a message may quote what
    someone wrote (a validation error shows its input, a provider's error the prompt); the frames are only code."""
    parts: list[str] = []
    for one in _chain(exc):
        if parts:
            parts.append("\nwhich led to:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(one.__traceback__))
        parts.append(f"{type(one).__module__}.{type(one).__qualname__} (its message is not logged)\n")
    return "".join(parts).rstrip("\n")


class TracebacksWithoutMessages(logging.Filter):
    """Folds a record's traceback into its message with `traceback_without_messages`, for every library's records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.getMessage()}\n{traceback_without_messages(record.exc_info[1])}"
            record.args, record.exc_info, record.exc_text = None, None, None
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
NOISY = ("httpx", "httpx2", "httpcore", "httpcore2", "openai", "discord.http", "urllib3")
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
    whose screen is the conversation). They hold ids, kinds, counts, status codes and timings, never what people
    wrote nor what a model or provider said about it; tracebacks keep their frames, not their messages."""
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
        if not settings.log_content:  # the debugging switch shows exception messages too
            handler.addFilter(TracebacksWithoutMessages())
        handler.addFilter(redact)
    root = logging.getLogger()
    for old in root.handlers:
        old.close()
    root.handlers[:] = handlers
    root.setLevel(settings.log_level)
    for noisy in NOISY:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    reconnects = logging.getLogger("discord.client")
    if not any(isinstance(f, OneLineReconnects) for f in reconnects.filters):
        reconnects.addFilter(OneLineReconnects())
    for name, level in CONTENT_LOGGERS.items():
        logging.getLogger(name).setLevel(logging.NOTSET if settings.log_content else level)
    if settings.log_content:
        logging.getLogger(__name__).warning(CONTENT_WARNING, path.parent)


def content_warning(settings: Settings) -> str:
    """The AIKI_LOG_CONTENT warning as one line for a screen."""
    return CONTENT_WARNING % log_file(settings).parent
