"""Realistic inputs for the training-data tests, built by the tests themselves.

A ChatGPT export shaped like the real one (a root placeholder, a hidden system message, custom instructions,
ChatGPT's memory list and a `bio` save, an edited question and a regenerated answer, a tool call with its
result, reasoning, an image part), session logs of each accepted shape, and a dump of an old Qdrant collection.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

T0 = datetime(2024, 5, 1, 18, 0, tzinfo=UTC).timestamp()
OWNER = "111222333444555666"


@dataclass
class Tree:
    """Builds one conversation's `mapping` node by node, the way ChatGPT stores it."""

    title: str
    start: float = T0
    mapping: dict[str, Any] = field(default_factory=dict)
    clock: float = 0

    def __post_init__(self) -> None:
        self.root = self.node(None, None)

    def node(self, parent: str | None, message: dict[str, Any] | None, node_id: str | None = None) -> str:
        node_id = node_id or str(uuid.uuid4())
        if message is not None:
            message = {"id": node_id, **message}
        self.mapping[node_id] = {"id": node_id, "message": message, "parent": parent, "children": []}
        if parent is not None and parent in self.mapping:
            self.mapping[parent]["children"].append(node_id)
        return node_id

    def say(self, parent: str, role: str, *parts: Any, kind: str = "text", **extra: Any) -> str:
        self.clock += 60
        message = {
            "author": {"role": role, "name": extra.pop("name", None), "metadata": {}},
            "create_time": self.start + self.clock,
            "update_time": None,
            "content": {"content_type": kind, "parts": list(parts), **extra.pop("content", {})},
            "status": "finished_successfully",
            "end_turn": role == "assistant",
            "weight": 1.0,
            "metadata": extra.pop("metadata", {}),
            "recipient": extra.pop("recipient", "all"),
            "channel": None,
        }
        return self.node(parent, message, extra.pop("node_id", None))

    def export(self, current: str | None, conversation_id: str | None = None) -> dict[str, Any]:
        return {
            "title": self.title,
            "create_time": self.start,
            "update_time": self.start + self.clock,
            "mapping": self.mapping,
            "moderation_results": [],
            "current_node": current,
            "plugin_ids": None,
            "conversation_id": conversation_id or str(uuid.uuid4()),
            "conversation_template_id": None,
            "gizmo_id": None,
            "is_archived": False,
            "safe_urls": [],
            "default_model_slug": "gpt-4o",
        }


def branching_conversation() -> dict[str, Any]:
    """An edited question, a regenerated answer, a tool call, reasoning, an image and ChatGPT's memory."""
    t = Tree("AIKI-HOME proxy")
    hidden = t.say(t.root, "system", "", metadata={"is_visually_hidden_from_conversation": True})
    context = t.say(
        hidden,
        "user",
        kind="user_editable_context",
        content={"user_profile": "I am Jovnna.", "user_instructions": "Be brief."},
        metadata={"is_visually_hidden_from_conversation": True},
    )
    memory = t.say(
        context,
        "assistant",
        kind="model_editable_context",
        content={
            "model_set_context": "1. [2024-04-02]. Jovnna is building AIKI-HOME.\n2. [2024-04-20]. Likes brunost."
        },
    )
    # The first question, then an edit of it: the original stays in the mapping on a branch not kept.
    t.say(memory, "user", "How do I block apps with a proxy? (first wording, edited away)")
    asked = t.say(memory, "user", "How do I make the AIKI-HOME proxy block distracting apps?")
    # A regenerated answer: the first reply is a branch not kept.
    t.say(asked, "assistant", "Old answer that was regenerated away.")
    thought = t.say(asked, "assistant", kind="thoughts", content={"thoughts": [{"summary": "hm", "content": "x"}]})
    call = t.say(thought, "assistant", kind="code", content={"text": "print('blocklist')", "language": "python"},
                 recipient="python")  # fmt: skip
    result = t.say(call, "tool", kind="execution_output", content={"text": "blocklist"}, name="python")
    answer = t.say(
        result, "assistant", "Use a PAC file and a blocklist \ue200cite\ue202turn0search1\ue201 in mitmproxy."
    )
    image = t.say(
        answer,
        "user",
        {"content_type": "image_asset_pointer", "asset_pointer": "file-service://file-abc", "size_bytes": 2048},
        "This is my screen, what is wrong?",
        kind="multimodal_text",
    )
    save = t.say(image, "assistant", "Jovnna works on the proxy in the evenings.", recipient="bio")
    saved = t.say(save, "tool", "Model set context updated.", name="bio")
    last = t.say(saved, "assistant", "The rule for port 443 is missing: add it and restart the proxy.")
    return t.export(last, "conv-branching")


def simple_conversation(title: str, exchanges: list[tuple[str, str]], conversation_id: str) -> dict[str, Any]:
    t = Tree(title, start=T0 + 86_400)
    node = t.root
    for question, answer in exchanges:
        node = t.say(node, "user", question)
        node = t.say(node, "assistant", answer)
    return t.export(node, conversation_id)


def cyclic_conversation() -> dict[str, Any]:
    t = Tree("Broken loop")
    a = t.say(t.root, "user", "a", node_id="loop-a")
    b = t.say(a, "assistant", "b", node_id="loop-b")
    t.mapping[a]["parent"] = b  # a -> b -> a
    return t.export(b, "conv-cycle")


def orphan_conversation() -> dict[str, Any]:
    """The first half of the mapping is gone: the kept branch starts at a node whose parent is missing."""
    t = Tree("Half a conversation")
    q = t.say("gone-node", "user", "Where was I?")
    a = t.say(q, "assistant", "You were planning the weekend trip to Bergen.")
    return t.export(a, "conv-orphan")


def empty_conversation() -> dict[str, Any]:
    t = Tree("Only a root")
    return t.export(t.root, "conv-empty")


def write_export(path: Path, conversations: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(conversations, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def standard_export(path: Path) -> Path:
    return write_export(
        path,
        [
            branching_conversation(),
            simple_conversation(
                "Weekend",
                [
                    ("Any ideas for the weekend?", "A walk up Fløyen if the weather holds, then coffee in town."),
                    ("Thanks!", "Ok"),  # a one-word reply: never learned
                ],
                "conv-weekend",
            ),
            cyclic_conversation(),
            orphan_conversation(),
            empty_conversation(),
        ],
    )


# -- session logs -------------------------------------------------------------

SESSION_JSONL_LINES = [
    {"session": "2023-11-02", "role": "user", "content": "Hei AIKI, jeg er sliten i dag.",
     "timestamp": "2023-11-02T20:14:00"},
    {"session": "2023-11-02", "role": "aiki", "content": "Da tar vi det rolig. Vil du fortelle hva som skjedde?",
     "timestamp": "2023-11-02T20:14:30"},
    {"session": "2023-11-02", "role": "system", "content": "mood: calm"},
    {"session": "2023-11-02", "role": "user", "content": "Bare mye jobb med proxyen."},
    {"session": "2023-11-02", "role": "assistant", "content": "As an AI language model I cannot feel.", "bad": True},
]  # fmt: skip


def session_jsonl(path: Path) -> Path:
    lines = [json.dumps(line, ensure_ascii=False) for line in SESSION_JSONL_LINES]
    lines.insert(3, '{"session": "2023-11-02", "role": "user", "content": "broken')  # line 4: malformed
    lines.append(
        json.dumps(
            {
                "session": "2023-11-05",
                "messages": [
                    {"role": "user", "content": "God morgen! Jeg fikk proxyen til å kjøre.", "time": 1699164000},
                    {"role": "assistant", "content": "Så bra! Hva var det som manglet til slutt?", "time": 1699164030},
                ],
            },
            ensure_ascii=False,
        )
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SESSION_MARKDOWN = """---
session: 2023-12-24-kveld
date: 2023-12-24
---
# Julaften

**Jovnna** (19:02): God jul, AIKI!
**AIKI** (19:03): God jul! Har du fått noen fine gaver?

### Jovnna · 19:10
Ja, en ny tastatur.
Og sokker.

AIKI: Sokker er undervurdert. Hva slags tastatur?
"""


def session_markdown(path: Path) -> Path:
    path.write_text(SESSION_MARKDOWN, encoding="utf-8")
    return path


# -- an old Qdrant collection ---------------------------------------------------

OLD_MEMORIES = [
    {"id": 1, "payload": {"content": "Jovnna's sister lives in Bergen", "type": "fact",
                          "timestamp": "2023-06-01T10:00:00Z"}},
    {"id": 2, "payload": {"content": "Jovnna finished the first proxy prototype", "type": "milestone",
                          "timestamp": 1690000000}},
    {"id": "4b1d3c1e-9f5a-4c55-8d6e-0a1b2c3d4e5f", "payload": {"content": "Prefers short answers in the morning",
                                                              "type": "preference", "importance": 8}},
]  # fmt: skip


def qdrant_dump(path: Path) -> Path:
    lines = [json.dumps(m) for m in OLD_MEMORIES]
    lines.insert(1, '{"id": 9, "payload": {"content": ')  # line 2: malformed
    lines.append(json.dumps({"id": 10, "payload": {"type": "fact"}}))  # no text
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
