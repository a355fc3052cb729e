"""Reading a ChatGPT data export: the branch the person kept of each conversation, and ChatGPT's saved memories.

`conversations.json` is one JSON array (split exports: `conversations-000.json`, ...). Each conversation is
a tree in `mapping` (node id -> {message, parent, children}); editing a message or regenerating a reply adds
a branch, and `current_node` is the leaf the person ended on. Following `parent` links back from it gives the
conversation as they last saw it. The array is parsed incrementally with ijson's C backend (bench/import.py:
well over 100 MB/s), one conversation object at a time, so memory stays bounded by the largest conversation.

What is kept: user and assistant messages addressed to everyone, their text parts (images and other files are
left out). What is skipped: the root placeholder, system and hidden messages, custom instructions, reasoning,
tool calls (an assistant message to a tool) and tool results. ChatGPT's memory appears twice in an export: as
`bio` tool calls (the memory being saved) and as `model_editable_context` snapshots (the whole list as the
model saw it, "1. [2024-05-01]. Lives in Oslo"); both become facts, the newest snapshot winning.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

import ijson

from bot.errors import InvalidInputError
from bot.training import jsonstream
from bot.training.jsonstream import GuardedReader

log = logging.getLogger(__name__)

ORIGIN = "chatgpt"
# ChatGPT's private-use citation markers ("\ue200cite\ue202turn0search1\ue201") and file citations.
_CITATIONS = re.compile(r"[ \t]*\ue200[^\ue201]*\ue201|\u3010\d+(?::\d+)?\u2020[^\u3011]*\u3011")
_MEMORY_LINE = re.compile(r"^\s*(?:\d+\.\s*)?(?:\[(\d{4}-\d{2}-\d{2})\]\.?\s*)?(.+?)\s*$")
_TEXT_TYPES = {"text", "multimodal_text"}

SKIP_BRANCH = "on branches not kept (edits, regenerations)"
SKIP_SYSTEM = "system or hidden"
SKIP_TOOL = "tool calls and results"
SKIP_REASONING = "reasoning"
SKIP_EMPTY = "without text (images or files only)"
SKIP_CONTEXT = "custom instructions or memory lists"


class BrokenConversation(ValueError):
    """The conversation cannot be read as a conversation (e.g. its mapping has a cycle)."""


@dataclass(frozen=True)
class ParsedMessage:
    external_id: str
    role: str  # user | assistant
    content: str
    created_at: datetime


@dataclass(frozen=True)
class SavedMemory:
    text: str
    created_at: datetime | None


@dataclass
class ParsedConversation:
    id: str
    title: str
    created_at: datetime
    messages: list[ParsedMessage] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    memory_snapshot: tuple[datetime, list[SavedMemory]] | None = None
    saved: list[SavedMemory] = field(default_factory=list)  # `bio` calls on the kept branch


# -- the stream --------------------------------------------------------------


def read_export(handle: IO[bytes], reader: GuardedReader | None = None) -> Iterator[Any]:
    """Each conversation object of an export, built one at a time (`Refused` for one too deep or too large);
    a single-conversation file works too. `reader` (made when not given) wraps `handle` and bounds what is read.

    Raises InvalidInputError for a file that is not a ChatGPT export, and ijson.JSONError where the JSON breaks.
    """
    if ijson.backend != "yajl2_c":
        log.warning("ijson uses its %s backend: parsing runs at ~10 MB/s instead of >100 MB/s", ijson.backend)
    head = _head(handle)
    if not head:
        raise InvalidInputError("the file is empty")
    if head.startswith(b"[") or head.startswith(b"{"):
        yield from jsonstream.items(reader or GuardedReader(handle), array=head.startswith(b"["))
    else:
        raise InvalidInputError("expected ChatGPT's conversations.json: a JSON array of conversations")


def _head(handle: IO[bytes]) -> bytes:
    peek = getattr(handle, "peek", None)
    head = peek(64)[:64] if peek else b""
    if head.startswith(b"\xef\xbb\xbf"):  # a byte-order mark that an editor added
        handle.read(3)
        head = head[3:]
    return head.lstrip()


# -- one conversation --------------------------------------------------------


def parse_conversation(data: Any) -> ParsedConversation:
    """The kept branch of one conversation; raises BrokenConversation when it cannot be read."""
    if not isinstance(data, dict) or not isinstance(data.get("mapping"), dict):
        raise BrokenConversation("not a conversation (no `mapping`)")
    mapping: dict[str, Any] = data["mapping"]
    started = _time(data.get("create_time")) or _time(data.get("update_time")) or datetime(1970, 1, 1, tzinfo=UTC)
    conversation = ParsedConversation(
        id=str(data.get("conversation_id") or data.get("id") or _derived_id(data)),
        title=str(data.get("title") or "").strip() or "(untitled)",
        created_at=started,
    )
    path = kept_branch(mapping, data.get("current_node"), conversation.notes)
    kept = {id(node) for node in path}
    off_branch = sum(
        1 for node in mapping.values() if isinstance(node, dict) and node.get("message") and id(node) not in kept
    )
    conversation.skipped[SKIP_BRANCH] += off_branch
    last = started
    for node in path:
        message = node.get("message")
        if isinstance(message, dict):
            last = _time(message.get("create_time")) or last
            _read_message(node, message, last, conversation)
    return conversation


def kept_branch(mapping: dict[str, Any], current: Any, notes: list[str]) -> list[dict[str, Any]]:
    """The nodes from the root to `current_node`, oldest first."""
    if not mapping:
        return []
    if not isinstance(current, str) or current not in mapping:
        current = _newest_leaf(mapping)
        notes.append("no usable current_node: followed the newest message instead")
        if current is None:
            return []
    path: list[dict[str, Any]] = []
    seen: set[str] = set()
    node_id: Any = current
    while node_id is not None:
        if not isinstance(node_id, str):
            raise BrokenConversation(f"a parent link is not a node id ({node_id!r})")
        if node_id in seen:
            raise BrokenConversation(f"the mapping has a cycle (node {node_id} is its own ancestor)")
        seen.add(node_id)
        node = mapping.get(node_id)
        if not isinstance(node, dict):
            notes.append(f"node {node_id} is missing from the mapping: kept the {len(path)} nodes after it")
            break
        path.append(node)
        node_id = node.get("parent")
    path.reverse()
    return path


def _dict(value: object) -> dict[str, Any]:
    """A JSON object, or an empty one where the export holds something else."""
    return value if isinstance(value, dict) else {}


def _newest_leaf(mapping: dict[str, Any]) -> str | None:
    best: tuple[float, str] | None = None
    for node_id, node in mapping.items():
        children = node.get("children") if isinstance(node, dict) else None
        if not isinstance(node, dict) or any(
            isinstance(child, str) and child in mapping for child in (children if isinstance(children, list) else [])
        ):
            continue
        stamp = _dict(node.get("message")).get("create_time")
        seconds = float(stamp) if isinstance(stamp, int | float) else 0.0
        if best is None or seconds >= best[0]:
            best = (seconds, node_id)
    return best[1] if best else None


def _read_message(node: dict[str, Any], message: dict[str, Any], at: datetime, into: ParsedConversation) -> None:
    role = _dict(message.get("author")).get("role")
    content = _dict(message.get("content"))
    kind = content.get("content_type", "text")
    metadata = _dict(message.get("metadata"))
    recipient = message.get("recipient") or "all"
    if kind == "model_editable_context":
        listed = [
            m for m in (_memory_line(line) for line in str(content.get("model_set_context") or "").splitlines()) if m
        ]
        if listed:
            into.memory_snapshot = (at, listed)
        into.skipped[SKIP_CONTEXT] += 1
    elif kind == "user_editable_context":
        into.skipped[SKIP_CONTEXT] += 1
    elif role == "assistant" and recipient == "bio":  # ChatGPT saving a memory
        into.saved += [SavedMemory(line.strip(), at) for line in _text(content).splitlines() if line.strip()]
        into.skipped[SKIP_TOOL] += 1
    elif role == "system" or metadata.get("is_visually_hidden_from_conversation"):
        into.skipped[SKIP_SYSTEM] += 1
    elif role == "tool" or (role == "assistant" and recipient != "all"):
        into.skipped[SKIP_TOOL] += 1
    elif kind in ("thoughts", "reasoning_recap"):
        into.skipped[SKIP_REASONING] += 1
    elif role not in ("user", "assistant"):
        into.skipped[f"{role or 'unknown'} messages"] += 1
    elif kind not in _TEXT_TYPES:
        into.skipped[f"{kind} content"] += 1
    else:
        text = _text(content).strip()
        if not text:
            into.skipped[SKIP_EMPTY] += 1
            return
        external = str(message.get("id") or node.get("id") or "")
        if not external:
            external = hashlib.sha1(f"{into.id}\x1f{len(into.messages)}".encode()).hexdigest()
        into.messages.append(ParsedMessage(f"{ORIGIN}:{external}", role, text, at))


def _text(content: dict[str, Any]) -> str:
    """The text parts joined; image pointers and other files are left out."""
    pieces: list[str] = []
    for part in content.get("parts") or []:
        if isinstance(part, str):
            pieces.append(part)
        elif isinstance(part, dict) and isinstance(part.get("text"), str):  # e.g. audio_transcription
            pieces.append(part["text"])
    if not pieces and isinstance(content.get("text"), str):
        pieces.append(content["text"])
    text = "\n".join(p for p in pieces if p.strip())
    return _CITATIONS.sub("", text) if "\ue200" in text or "\u3010" in text else text


def _memory_line(line: str) -> SavedMemory | None:
    if not line.strip() or line.lstrip().startswith("#"):
        return None
    match = _MEMORY_LINE.match(line)
    if not match or not match.group(2):
        return None
    try:
        when = datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC) if match.group(1) else None
    except ValueError:  # "[2024-13-45]": the memory is kept, its impossible date is not
        when = None
    return SavedMemory(match.group(2), when)


def _time(value: Any) -> datetime | None:
    if isinstance(value, int | float) and value > 0:
        try:
            return datetime.fromtimestamp(float(value), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _derived_id(data: dict[str, Any]) -> str:
    return hashlib.sha1(f"{data.get('title')}\x1f{data.get('create_time')}".encode()).hexdigest()


@dataclass
class SavedMemories:
    """ChatGPT's memory across a whole export: the newest list snapshot, plus memories saved after it."""

    snapshot_at: datetime | None = None
    snapshot: list[SavedMemory] = field(default_factory=list)
    saved: list[SavedMemory] = field(default_factory=list)

    def add(self, conversation: ParsedConversation) -> None:
        if conversation.memory_snapshot is not None:
            at, listed = conversation.memory_snapshot
            if self.snapshot_at is None or at >= self.snapshot_at:
                self.snapshot_at, self.snapshot = at, listed
        self.saved += conversation.saved

    def result(self) -> list[SavedMemory]:
        """Each memory once; with a snapshot, `bio` saves older than it are already in it (or were deleted)."""
        newer = [
            m for m in self.saved if self.snapshot_at is None or (m.created_at and m.created_at > self.snapshot_at)
        ]
        unique: dict[str, SavedMemory] = {}
        for memory in [*self.snapshot, *newer]:
            unique.setdefault(" ".join(memory.text.lower().split()), memory)
        return list(unique.values())
