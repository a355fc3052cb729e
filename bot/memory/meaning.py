"""What the meaning vectors are made of: what was said, not who said it.

A memory's text begins with its speaker's label ("Kari: I moved to Oslo", "AIKI: try the 9:15 bus"), which the
prompt shows and the word search may match. Its meaning vector leaves the label out: every memory of a person carries
the same name, so in a small model the name pulls a question that names the person towards their shortest messages,
and who said it is already counted by the speaker boost (bot/memory/hybrid.py). A question is searched by meaning the
same way: "what are Fahim's hobbies?" as "what are hobbies?", while its words, names included, still go to the
word search and the speaker boost. (A name that is also a word, a person called Summer, leaves "summer" out of the
meaning of every question of theirs: the word search still has it.)

Measured on REALTALK as AIKI stores it (bench/retrieval.py --layout live, recall@10): the label left out of the
memories' vectors 0.555 -> 0.563, and the speakers' names out of the questions' too 0.572 (dense alone 0.387 ->
0.458); no knob to tune. With the sentence windows below, 0.582 (docs/memory.md, "What the meaning vector holds").
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from bot.memory.embedder import Embedder
from bot.memory.models import ChunkVectors, Memory, name_keys

# A memory is embedded in windows of whole sentences of at most this many words, one vector each, and found by its
# best window (MaxSim): a long message that tells three things is found for each of them, where one vector of its
# first 200 words averaged them away. Measured on REALTALK's first half (bench/retrieval.py --split dev, recall@10):
# 200 words 0.601, windows of 20/30/40 words 0.616/0.614/0.613, of 40 words cut mid-sentence 0.615.
WINDOW_WORDS = 30
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")

_TOPIC = re.compile(r"\(about [^)]*\) ")  # a check-in topic's prefix (bot/mind/learning.py) stays: it is meaning
_NAMED_WORD = re.compile(r"(\w+)(['’]s\b)?")  # a word and its possessive "'s"
_SPACES = re.compile(r"\s+")


def passage_of(memory: Memory) -> str:
    """The words a memory's meaning vector is made of: its text without the leading "Speaker: " label."""
    text = memory.text
    if not memory.speaker:
        return text
    topic = _TOPIC.match(text)
    start = topic.end() if topic else 0
    label = f"{memory.speaker}: "
    if not text.startswith(label, start) or not text[start + len(label) :].strip():
        return text
    return text[:start] + text[start + len(label) :]


def windows_of(text: str, size: int = WINDOW_WORDS) -> list[str]:
    """Whole sentences packed into windows of at most `size` words (a longer sentence is cut by words)."""
    if len(text.split()) <= size:
        return [text]
    windows: list[str] = []
    current: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        words = sentence.split()
        if current and len(current) + len(words) > size:
            windows.append(" ".join(current))
            current = []
        while len(words) > size:
            windows.append(" ".join(words[:size]))
            words = words[size:]
        current += words
    if current:
        windows.append(" ".join(current))
    return windows


async def embed_memories(embedder: Embedder, memories: Sequence[Memory]) -> list[ChunkVectors]:
    """Each memory's vectors: one per window of what it says (`passage_of`), in one batch for all of them."""
    windows = [windows_of(passage_of(memory)) for memory in memories]
    vectors = await embedder.embed_passages([window for each in windows for window in each])
    out: list[ChunkVectors] = []
    start = 0
    for each in windows:
        out.append([vector for chunks in vectors[start : start + len(each)] for vector in chunks])
        start += len(each)
    return out


def meaning_of(query: str, speakers: Collection[str]) -> str:
    """The question as it is searched by meaning: without the speakers' names (and their "'s")."""
    names = {key for speaker in speakers for key in name_keys(speaker)}
    if not names:
        return query
    kept = _NAMED_WORD.sub(lambda word: "" if word.group(1).lower() in names else word.group(0), query)
    kept = _SPACES.sub(" ", kept).strip()
    return kept if any(ch.isalnum() for ch in kept) else query
