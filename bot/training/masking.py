"""Tokenising chat examples for training with a loss mask per message, through the model's own chat template.

Each example is rendered by the tokenizer's `apply_chat_template`, once for the whole conversation and once for
every prefix of it. The prefixes cut the text into one span per message, and a reply's span starts after the
generation prompt (`<|im_start|>assistant\\n`, ...), so the header the server writes itself is never learned.
The spans joined must give exactly the template's own output, or the template is one this trainer cannot handle
(it rewrites earlier messages, e.g. drops a past reply's reasoning); that example is refused with a message that
says so, instead of training on text the served model will never see.

Only AIKI's replies with `weight` other than 0 are learned (labels); everything else is context (label -100).
Pure Python over a Hugging Face tokenizer: no torch needed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

IGNORE = -100  # the label PyTorch's cross-entropy skips


class TemplateError(ValueError):
    """The chat template cannot be trained on with per-message masks; the message says why."""


class ChatTokenizer(Protocol):
    """The part of a Hugging Face tokenizer this module uses."""

    def apply_chat_template(self, conversation: Any, **kwargs: Any) -> Any: ...

    def __call__(self, text: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Span:
    start: int  # character offsets into the rendered text
    end: int
    role: str
    learn: bool


@dataclass(frozen=True)
class Encoded:
    input_ids: list[int]
    labels: list[int]  # IGNORE where nothing is learned

    @property
    def learned_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)


def chat_messages(messages: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Role and content only: a template must never see the `weight` key."""
    return [{"role": str(m["role"]), "content": str(m.get("content") or "")} for m in messages]


def _render(tokenizer: ChatTokenizer, messages: list[dict[str, str]], generation_prompt: bool) -> str:
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation_prompt)
    except Exception as exc:  # jinja2's TemplateError, or raise_exception() inside the template
        raise TemplateError(f"the model's chat template refused the conversation: {exc}") from None
    if not isinstance(text, str):
        raise TemplateError("the model's chat template did not render text")
    return text


def spans(tokenizer: ChatTokenizer, messages: Sequence[dict[str, Any]]) -> tuple[str, list[Span]]:
    """The template's own rendering of the whole example, cut into one span per message."""
    plain = chat_messages(messages)
    full = _render(tokenizer, plain, False)
    found: list[Span] = []
    before = 0
    for index, message in enumerate(messages):
        prefix = _render(tokenizer, plain[: index + 1], False)
        if not full.startswith(prefix) or len(prefix) < before:
            raise TemplateError(
                f"the chat template renders message {index + 1} ({message['role']}) differently once more messages "
                "follow it, so per-message masks would train on text the served model never sees. Use a model "
                "whose template keeps earlier messages as they were (ChatML, Llama 3, Mistral, Phi-3, ...)"
            )
        start = before
        if message["role"] == "assistant":
            header = _render(tokenizer, plain[:index], True)
            if not prefix.startswith(header) or len(header) < before:
                raise TemplateError(
                    f"the chat template's generation prompt does not start reply {index + 1} as written, so the "
                    "reply's own text cannot be told apart from the header the server adds"
                )
            if header != full[:before]:
                found.append(Span(before, len(header), "header", False))
            start = len(header)
        learn = message["role"] == "assistant" and message.get("weight", 1) != 0
        found.append(Span(start, len(prefix), str(message["role"]), learn))
        before = len(prefix)
    if before != len(full):  # e.g. a closing token the template adds after the last message
        found.append(Span(before, len(full), "end", False))
    if "".join(full[s.start : s.end] for s in found) != full:
        raise TemplateError("the message spans do not join up to the chat template's own output")
    return full, found


def encode(tokenizer: ChatTokenizer, messages: Sequence[dict[str, Any]]) -> Encoded:
    """Token ids of the template's output (exactly as rendered) and labels for the learned replies only."""
    full, cut = spans(tokenizer, messages)
    learned = [s for s in cut if s.learn]
    encoding = tokenizer(full, add_special_tokens=False, return_offsets_mapping=True)
    ids = list(encoding["input_ids"])
    offsets = encoding["offset_mapping"]
    labels = [IGNORE] * len(ids)
    for position, (begin, end) in enumerate(offsets):
        if end > begin and any(s.start <= begin < s.end for s in learned):
            labels[position] = ids[position]
    if ids != _template_ids(tokenizer, messages):
        raise TemplateError("tokenising the rendered text does not give the chat template's own token ids")
    return Encoded(ids, labels)


def _template_ids(tokenizer: ChatTokenizer, messages: Sequence[dict[str, Any]]) -> list[int]:
    ids = tokenizer.apply_chat_template(chat_messages(messages), tokenize=True, add_generation_prompt=False)
    if isinstance(ids, dict) or hasattr(ids, "keys"):  # transformers 5 returns a BatchEncoding
        ids = ids["input_ids"]
    return [int(i) for i in ids]
