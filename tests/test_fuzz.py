"""Property-based fuzzing (hypothesis) of every importer's record parser and of the reply splitter.

Each parser may refuse a record only with its own error type (which the importers report and go on from);
any other exception would end an import. Fixed seed (`derandomize`) and small example counts: the whole file
runs in a few seconds and finds the same things on every run.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any
from zoneinfo import ZoneInfo

import ijson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import jsonlines
from bot.memory.jsonl import parse_line
from bot.training import chatgpt, sessions
from bot.training.jsonstream import GuardedReader, Refused, TooLarge, items
from bot.training.qdrant_source import FieldMap, to_memory
from cogs.common import split_message

FUZZ = settings(max_examples=80, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
ZONE = ZoneInfo("Europe/Oslo")

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def with_keys(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are mostly the ones a parser looks for, holding any JSON value."""
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), json_values, max_size=len(keys) + 2)


@FUZZ
@given(st.binary(max_size=300))
def test_jsonl_reader_turns_any_bytes_into_objects_or_numbered_errors(data: bytes) -> None:
    errors: list[tuple[int, str]] = []
    found = list(jsonlines.json_objects(io.BytesIO(data), errors, max_bytes=64))
    assert all(isinstance(obj, dict) for _, obj in found)
    numbers = [n for n, _ in found] + [n for n, _ in errors]
    assert len(numbers) == len(set(numbers)) and all(n >= 1 for n in numbers)


@FUZZ
@given(json_values)
def test_jsonl_loads_agrees_with_json_within_the_limits(value: Any) -> None:
    text = json.dumps(value)
    assert jsonlines.loads(text) == json.loads(text)


MEMORY_KEYS = ["id", "scope", "kind", "text", "created_at", "last_recalled_at", "importance", "origin", "meta"]


@FUZZ
@given(with_keys(MEMORY_KEYS), st.none() | st.just("42"))
def test_memory_line_is_a_memory_or_a_value_error(data: dict[str, Any], scope: str | None) -> None:
    try:
        memory = parse_line(data, scope)
    except ValueError:
        return
    memory.build()  # a parsed line always becomes a memory


NODE_KEYS = ["message", "parent", "children", "id"]
MESSAGE_KEYS = ["author", "content", "create_time", "metadata", "recipient", "id"]
nodes = st.fixed_dictionaries(
    {},
    optional={
        "message": with_keys(MESSAGE_KEYS)
        | st.fixed_dictionaries(
            {
                "author": st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "tool"]) | json_values}),
                "content": with_keys(["content_type", "parts", "text", "model_set_context"]),
            }
        ),
        "parent": st.sampled_from(["a", "b", "c"]) | json_values,
        "children": st.lists(st.sampled_from(["a", "b", "c"]) | json_values, max_size=3) | json_values,
    },
)
conversations = st.fixed_dictionaries(
    {"mapping": st.dictionaries(st.sampled_from(["a", "b", "c"]), nodes | json_values, max_size=3)},
    optional={"current_node": st.sampled_from(["a", "b", "c"]) | json_values, "title": json_values,
              "create_time": json_values, "id": json_values},
)  # fmt: skip


@FUZZ
@given(conversations | json_values)
def test_chatgpt_conversation_is_parsed_or_broken(data: Any) -> None:
    try:
        chatgpt.parse_conversation(data)
    except chatgpt.BrokenConversation:
        pass


def _within_int64(value: Any) -> bool:
    """yajl (ijson's C tokenizer) refuses integers beyond 64 bits as a parse error; exports hold none."""
    if isinstance(value, bool) or not isinstance(value, int | list | dict):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return all(_within_int64(v) for v in (value.values() if isinstance(value, dict) else value))


@FUZZ
@given(st.lists(json_values, max_size=5).filter(_within_int64))
def test_streamed_items_equal_json_items(values: list[Any]) -> None:
    raw = json.dumps(values).encode()
    assert list(items(GuardedReader(io.BytesIO(raw)), array=True)) == json.loads(raw)


@FUZZ
@given(st.binary(max_size=200))
def test_streamed_items_of_any_bytes_end_in_items_or_a_json_error(data: bytes) -> None:
    try:
        for item in items(GuardedReader(io.BytesIO(b"[" + data)), array=True):
            assert not isinstance(item, Refused) or "nested" in item.reason
    except (ijson.JSONError, TooLarge):
        pass


SESSION_KEYS = ["session", "role", "speaker", "content", "text", "timestamp", "time", "id", "bad", "messages"]


@FUZZ
@given(with_keys(SESSION_KEYS))
def test_session_line_is_messages_or_line_errors(data: dict[str, Any]) -> None:
    errors: list[tuple[int, str]] = []
    raw = json.dumps(data).encode() + b"\n"
    for item in sessions.read_jsonl(io.BytesIO(raw), "file", sessions.Speakers(), ZONE, errors):
        assert item == "skipped" or isinstance(item, sessions.SessionMessage)


@FUZZ
@given(st.lists(st.sampled_from(["**Jovnna**: hei", "**AIKI** (08:02): svar", "### AIKI - 2024-03-03 08:05",
                                 "---", "session: x", "date: 2024-13-45", "**Kari**: ja", "tekst", ""])
                | st.text(max_size=30), max_size=8))  # fmt: skip
def test_markdown_log_is_messages_or_a_line_error(lines: list[str]) -> None:
    try:
        read = sessions.read_markdown("\n".join(lines), "2024-03-03.md", sessions.Speakers(), ZONE, "s")
    except sessions.LineError:
        return
    assert all(m.content.strip() for m in read.messages)


@FUZZ
@given(with_keys(["text", "content", "kind", "type", "created_at", "timestamp", "importance"]), json_values)
def test_qdrant_payload_is_a_memory_or_a_value_error(payload: dict[str, Any], point_id: Any) -> None:
    try:
        memory, _ = to_memory(point_id, payload, "42", "old", FieldMap(), ZONE)
    except ValueError:
        return
    memory.build()


def _fence_free(text: str) -> str:
    return re.sub(r"\s", "", text)


@FUZZ
@given(st.text(alphabet=st.sampled_from("ab c\n`é😀\u202e"), max_size=400), st.integers(20, 120))
def test_split_parts_fit_and_keep_every_character(text: str, limit: int) -> None:
    parts = split_message(text, limit)
    assert all(len(part) <= limit for part in parts)
    if "`" not in text:
        assert _fence_free("".join(parts)) == _fence_free(text)
