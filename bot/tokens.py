"""The one token estimator: prompt budgets, memory budgets and training files all count with it.

No tokenizer download (tiktoken fetches its encodings at first use; offline machines can't, and AIKI talks to
any model, whose tokenizer it does not have).

An estimate: the larger of characters / 4 and words x 1.3 (English averages ~4 characters a token, Norwegian
and code run denser, which the word count catches). Per message it adds the chat format's overhead the OpenAI
cookbook counts: 3 tokens a message, 1 for a `name`, and 3 that prime the reply. Reports say it is an estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

METHOD = "estimated as max(characters / 4, words x 1.3) + 3 a message (no tokenizer download needed)"
PER_MESSAGE = 3
PER_NAME = 1
REPLY_PRIMING = 3


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word, with an ellipsis when anything was cut; whitespace folded."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def estimate_tokens(text: str) -> int:
    if not text:
        return 0
    return math.ceil(max(len(text) / 4, len(text.split()) * 1.3))


def message_tokens(message: dict[str, Any]) -> int:
    content = message.get("content")
    text = content if isinstance(content, str) else ""
    return PER_MESSAGE + estimate_tokens(text) + (PER_NAME if message.get("name") else 0)


def example_tokens(messages: Sequence[dict[str, Any]]) -> int:
    return sum(message_tokens(m) for m in messages) + REPLY_PRIMING
