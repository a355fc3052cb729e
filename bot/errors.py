"""Errors that carry a message fit for the person who sees it; everything else is a bug and gets logged."""

from __future__ import annotations


class AikiError(Exception):
    """Base for known failures. `str(error)` is safe to show to a user: no stack, no secrets."""


class ConfigError(AikiError):
    """A setting is missing or wrong; the message names the environment variable."""


class EmbeddingModelError(AikiError):
    """The embedding model cannot be found or loaded."""


class StoreLockedError(AikiError):
    """Another process (usually a running AIKI) holds the memory store or database."""


class StoreMismatchError(AikiError):
    """The memory store was built with another embedding model or dimension."""


class InvalidInputError(AikiError):
    """Input that cannot be used as it is (empty text, a malformed line, ...)."""


class DiskFullError(AikiError):
    """Not enough free space (or no permission) where AIKI must write; the message names the path."""


class ServerUnreachableError(AikiError):
    """A server the command needs (Qdrant, the LLM) cannot be reached; the message names it."""


class StoppedError(AikiError):
    """The person stopped the command (Ctrl-C) and it stopped cleanly; the message says what was kept and how to
    go on."""
