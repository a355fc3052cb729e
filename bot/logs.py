"""Logging set-up: one format, and a filter that blanks out every configured secret wherever it appears."""

from __future__ import annotations

import logging
from collections.abc import Iterable

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


def setup_logging(settings: Settings) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets(secrets_of(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Libraries that log request details (headers included) at DEBUG stay at WARNING.
    for noisy in ("httpx", "httpx2", "httpcore", "openai", "discord.http", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
