"""Checking a chat-format JSONL file before it costs money: the checks of OpenAI's fine-tuning cookbook
("Data preparation and analysis for chat model fine-tuning"), with line numbers, plus token counts and an
estimate of the training tokens. It reads files made anywhere, one line at a time.

Problems (the file is refused): a line that is not a JSON object, unknown keys, a missing or empty
`messages` list, a message without `role` or `content`, a role other than system / user / assistant /
function, empty content, a `weight` other than 0 or 1 or on a non-assistant message, an example without an
assistant message (or with every assistant message at weight 0), an example over the token limit, and fewer
than 10 examples. Warnings (allowed): examples without a system or user message, duplicates.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import jsonlines, tokens

MIN_EXAMPLES = 10
MAX_TOKENS_PER_EXAMPLE = 16_385  # the cookbook's limit; newer models allow more (--max-tokens)
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES, MAX_TARGET_EXAMPLES = 100, 25_000
MIN_DEFAULT_EPOCHS, MAX_DEFAULT_EPOCHS = 1, 25
ROLES = ("system", "user", "assistant", "function")
MESSAGE_KEYS = {"role", "content", "name", "function_call", "weight"}
EXAMPLE_KEYS = {"messages", "tools", "functions", "parallel_tool_calls"}
SHOWN = 40


def default_epochs(examples: int) -> int:
    """The epochs OpenAI picks for `n_epochs: auto`, as the cookbook computes them."""
    if examples <= 0:
        return TARGET_EPOCHS
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        return min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    if examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        return max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return TARGET_EPOCHS


@dataclass
class Validation:
    path: Path
    max_tokens: int = MAX_TOKENS_PER_EXAMPLE
    epochs: float | None = None  # None: what the provider would choose ('auto')
    examples: int = 0
    problems: list[tuple[int, str]] = field(default_factory=jsonlines.Bounded)  # (line, what); line 0 = the whole file
    lengths: list[int] = field(default_factory=list)
    assistant_tokens: list[int] = field(default_factory=list)
    missing_system: int = 0
    missing_user: int = 0
    partly_weighted: int = 0
    duplicates: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def n_epochs(self) -> float:
        return self.epochs or default_epochs(self.examples)

    @property
    def tokens_per_epoch(self) -> int:
        return sum(min(self.max_tokens, n) for n in self.lengths)

    def report(self) -> str:
        lines = [f"{self.path}: {self.examples:,} examples, {len(self.problems):,} problems"]
        if self.lengths:
            ordered = sorted(self.lengths)
            p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
            lines.append(
                f"  tokens per example : min {ordered[0]:,}, median {int(statistics.median(ordered)):,}, "
                f"mean {int(statistics.fmean(ordered)):,}, p95 {p95:,}, max {ordered[-1]:,} "
                f"(limit {self.max_tokens:,})"
            )
            lines.append(
                f"  assistant tokens   : {sum(self.assistant_tokens):,} in total, "
                f"median {int(statistics.median(self.assistant_tokens)):,} per example"
            )
            lines.append(
                f"  without a system message: {self.missing_system:,}; without a user message: {self.missing_user:,}"
            )
            if self.partly_weighted:
                lines.append(
                    f"  weights            : {self.partly_weighted:,} examples learn only some of their replies"
                )
            if self.duplicates:
                lines.append(f"  duplicates         : {self.duplicates:,} examples appear more than once")
            epochs = f"{self.n_epochs:g} epochs" + ("" if self.epochs else " (what 'auto' picks for this size)")
            lines.append(
                f"  training tokens    : ~{self.tokens_per_epoch:,} per epoch x {epochs} "
                f"= ~{round(self.tokens_per_epoch * self.n_epochs):,}"
            )
            lines.append(f"  (tokens {tokens.METHOD})")
        if self.problems:
            kinds = Counter(what.split(":")[0] if ":" in what else what for _, what in self.problems)
            lines.append(f"PROBLEMS ({len(self.problems):,}): the file cannot be used as it is")
            lines += [f"  {'file' if n == 0 else f'line {n}'}: {what}" for n, what in self.problems[:SHOWN]]
            if len(self.problems) > SHOWN:
                lines.append(f"  ... and {len(self.problems) - SHOWN:,} more ({len(kinds)} kinds)")
        else:
            lines.append("OK: the file passes every check.")
        return "\n".join(lines)


def validate_file(path: Path, max_tokens: int = MAX_TOKENS_PER_EXAMPLE, epochs: float | None = None) -> Validation:
    result = Validation(path, max_tokens, epochs)
    seen: set[bytes] = set()
    with path.open("rb") as handle:
        for number, raw in jsonlines.bounded_lines(handle):
            if raw is None:
                result.problems.append((number, f"longer than {jsonlines.MAX_LINE_BYTES:,} bytes"))
                continue
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                result.problems.append((number, f"not valid UTF-8 (byte {exc.start})"))
                continue
            if not line:
                result.problems.append((number, "blank line (every line must be one example)"))
                continue
            try:
                data = jsonlines.loads(line)
            except json.JSONDecodeError as exc:
                result.problems.append((number, f"not valid JSON, column {exc.colno}: {exc.msg}"))
                continue
            except ValueError as exc:  # nested too deep, NaN
                result.problems.append((number, str(exc)))
                continue
            result.examples += 1
            problems = check_example(data)
            result.problems += [(number, p) for p in problems]
            if problems:
                continue
            _measure(data["messages"], result)
            digest = hashlib.blake2b(json.dumps(data["messages"], sort_keys=True).encode(), digest_size=16).digest()
            if digest in seen:
                result.duplicates += 1
            seen.add(digest)
            if result.lengths[-1] > max_tokens:
                result.problems.append(
                    (number, f"too long: ~{result.lengths[-1]:,} tokens, the limit is {max_tokens:,} an example")
                )
    if result.examples < MIN_EXAMPLES:
        result.problems.append((0, f"too few examples: {result.examples}, fine-tuning needs at least {MIN_EXAMPLES}"))
    return result


def check_example(data: Any) -> list[str]:
    """What is wrong with one example (empty when nothing is)."""
    if not isinstance(data, dict):
        return ["not a JSON object"]
    problems = []
    unknown = sorted(set(data) - EXAMPLE_KEYS)
    if unknown:
        problems.append(f"unknown key: {', '.join(unknown)}")
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*problems, "missing messages: `messages` must be a non-empty list"]
    for index, message in enumerate(messages, start=1):
        problems += [f"message {index}: {p}" for p in _check_message(message)]
    replies = [m for m in messages if isinstance(m, dict) and m.get("role") == "assistant"]
    if not replies:
        problems.append("no assistant message: an example must show at least one reply")
    elif all(m.get("weight") == 0 for m in replies):
        problems.append("nothing to learn: every assistant message has weight 0")
    return problems


def _check_message(message: Any) -> list[str]:
    if not isinstance(message, dict):
        return ["not a JSON object"]
    problems = []
    missing = [key for key in ("role", "content") if key not in message]
    if missing and not ("content" in missing and "function_call" in message):
        problems.append(f"missing key: {', '.join(missing)}")
    unknown = sorted(set(message) - MESSAGE_KEYS)
    if unknown:
        problems.append(f"unknown key: {', '.join(unknown)}")
    role = message.get("role")
    if "role" in message and role not in ROLES:
        problems.append(f"unknown role: {role!r} is not one of {', '.join(ROLES)}")
    content = message.get("content")
    if (
        "content" in message
        and (not isinstance(content, str) or not content.strip())
        and not message.get("function_call")
    ):
        problems.append("empty content: `content` must be non-empty text")
    if "weight" in message:
        if role != "assistant":
            problems.append("weight on a non-assistant message: only assistant messages take a weight")
        elif message["weight"] not in (0, 1) or isinstance(message["weight"], bool):
            problems.append(f"bad weight: {message['weight']!r} (use 0 or 1)")
    return problems


def _measure(messages: list[dict[str, Any]], result: Validation) -> None:
    roles = [m.get("role") for m in messages]
    result.missing_system += "system" not in roles
    result.missing_user += "user" not in roles
    result.partly_weighted += any(m.get("weight") == 0 for m in messages if m.get("role") == "assistant")
    result.lengths.append(tokens.example_tokens(messages))
    result.assistant_tokens.append(
        sum(tokens.estimate_tokens(str(m.get("content") or "")) for m in messages if m.get("role") == "assistant")
    )
