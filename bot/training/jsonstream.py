"""The items of one big JSON array (or one object), streamed with bounded memory whatever the file holds.

ijson's `items()` keeps a path prefix per nesting level, so a file of nested brackets costs memory with the
square of its depth (60 KB of `[` took 2.3 GB). Here ijson's C tokenizer (`basic_parse`, no prefixes) feeds a
small builder that counts depth and size: an item nested deeper than MAX_DEPTH, or with more than MAX_EVENTS
values, is skipped to its end without being built and reported as `Refused`; the rest of the file goes on.
A single token larger than MAX_TOKEN_BYTES (one 1 GB string), or nesting past MAX_SKIP_DEPTH, stops the file:
the tokenizer would hold it whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import ijson

from bot.jsonlines import MAX_DEPTH

MAX_EVENTS = 2_000_000  # JSON values in one item (a long ChatGPT conversation has ~100,000)
MAX_TOKEN_BYTES = 64 * 1024 * 1024  # bytes read without the tokenizer producing anything
# Nested this deep, no export is left to read: the file stops (the tokenizer's own stack would grow with it).
MAX_SKIP_DEPTH = 10_000
_CLOSE = frozenset({"end_map", "end_array"})
_STRUCTURE = frozenset({"start_map", "start_array", "end_map", "end_array"})


@dataclass(frozen=True)
class Refused:
    """An item that was skipped, and why (it was not built)."""

    reason: str


class TooLarge(ValueError):
    """A limit that stops the file: a token too large to tokenize, or more bytes than the source declared."""


class GuardedReader:
    """A binary stream that refuses to go on past `limit` bytes, or MAX_TOKEN_BYTES past the last event."""

    def __init__(self, raw: IO[bytes], limit: int | None = None) -> None:
        self.raw = raw
        self.limit = limit
        self.position = 0
        self.mark = 0  # where the last parser event was seen

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.position += len(data)
        if self.limit is not None and self.position > self.limit:
            raise TooLarge(f"more than the {self.limit:,} bytes it declared (a zip bomb?)")
        if self.position - self.mark > MAX_TOKEN_BYTES:
            raise TooLarge(f"one JSON value is larger than {MAX_TOKEN_BYTES // 2**20} MB")
        return data

    def tell(self) -> int:
        return self.position


def items(reader: GuardedReader, array: bool) -> Iterator[Any]:
    """Each item of the top-level array (or the one top-level object); a refused item comes as `Refused`."""
    base = 1 if array else 0  # the depth at which an item lives
    depth = 0
    events = 0  # values in the current item
    containers: list[Any] = []
    key: Any = None
    skipping: str | None = None
    for event, value in ijson.basic_parse(reader, use_float=True):
        reader.mark = reader.position
        if event == "map_key":  # the commonest event first: the loop is the parser's speed
            key = value
            continue
        if event not in _STRUCTURE:  # a scalar
            if depth == base:
                yield value  # a bare value in the array
                continue
            events += 1
            if skipping is not None:
                continue
            if events > MAX_EVENTS:
                skipping, containers = f"more than {MAX_EVENTS:,} values", []
                continue
            top = containers[-1]
            if top.__class__ is list:
                top.append(value)
            else:
                top[key] = value
            continue
        if event in _CLOSE:
            depth -= 1
            if depth < base:
                return
            if skipping is None:
                finished = containers.pop()
                if not containers:
                    yield finished
            elif depth == base:
                yield Refused(skipping)
                skipping = None
            continue
        depth += 1
        if depth <= base:  # the opening bracket of the array itself
            continue
        if depth > MAX_SKIP_DEPTH:
            raise TooLarge(f"nested more than {MAX_SKIP_DEPTH:,} levels deep")
        if depth == base + 1:
            events = 0
        events += 1
        if skipping is not None:
            continue
        if depth - base > MAX_DEPTH:
            skipping, containers = f"nested deeper than {MAX_DEPTH} levels", []
            continue
        if events > MAX_EVENTS:
            skipping, containers = f"more than {MAX_EVENTS:,} values", []
            continue
        made: Any = {} if event == "start_map" else []
        if containers:
            top = containers[-1]
            if top.__class__ is list:
                top.append(made)
            else:
                top[key] = made
        containers.append(made)
