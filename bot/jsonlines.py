"""Reading JSONL the one way AIKI does: line by line, a bad line reported with its number, the rest going on.

Hostile input stays cheap: a line longer than MAX_LINE_BYTES is skipped in bounded chunks (never read whole),
JSON nested deeper than MAX_DEPTH is refused before it is parsed, and NaN / Infinity (not JSON) are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, SupportsIndex, TypeVar

T = TypeVar("T")
KEPT = 1_000  # problems kept in full per list; the rest are only counted


class Bounded(list[T]):
    """A list of problems that keeps the first KEPT and counts the rest: a garbage file costs no memory.

    `len()` is the true count; iterating and slicing see only the kept ones.
    """

    def __init__(self, items: Iterable[T] = (), keep: int = KEPT) -> None:
        super().__init__()
        self.keep = keep
        self.dropped = 0
        self.extend(items)

    def append(self, item: T) -> None:
        if super().__len__() < self.keep:
            super().append(item)
        else:
            self.dropped += 1

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.append(item)

    def __iadd__(self, items: Iterable[T]) -> Bounded[T]:  # type: ignore[override,misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, item: T) -> None:
        self.append(item)

    def __len__(self) -> int:
        return super().__len__() + self.dropped


Errors = list[tuple[int, str]]

MAX_LINE_BYTES = 4 * 1024 * 1024  # one record; the largest memory is 100,000 characters (<= 400 KB of UTF-8)
MAX_DEPTH = 64  # AIKI's own formats nest 4 deep; ChatGPT's conversations about 10
_CHUNK = 1024 * 1024
# A JSON string, possessive so an unterminated one cannot make the scan backtrack.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTAS = bytes.maketrans(b"[]{}", b"\x02\x00\x02\x00")


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH."""


def nesting_depth(raw: bytes, limit: int = MAX_DEPTH) -> int:
    """How deep the brackets of `raw` go, outside strings (counting stops just past `limit`)."""
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    opening = brackets.count(b"[") + brackets.count(b"{")
    if opening <= limit:
        return opening
    depth = deepest = 0
    for delta in brackets.translate(_DELTAS):
        depth += delta - 1
        if depth > deepest:
            deepest = depth
            if deepest > limit:
                break
    return deepest


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def loads(raw: bytes | str, limit: int = MAX_DEPTH) -> Any:
    """json.loads with the depth limit and without NaN / Infinity; ValueError (TooDeep) says what is wrong."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if data.count(b"[") + data.count(b"{") > limit and nesting_depth(data, limit) > limit:
        raise TooDeep(f"nested deeper than {limit} levels")
    try:
        return _DECODER.decode(raw if isinstance(raw, str) else raw.decode("utf-8"))
    except RecursionError:  # a guard; the scan above refuses these first
        raise TooDeep(f"nested deeper than {limit} levels") from None


def bounded_lines(handle: BinaryIO, max_bytes: int | None = None) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) for every line; None for a line over `max_bytes` (default MAX_LINE_BYTES), which is
    skipped chunk by chunk."""
    max_bytes = max_bytes or MAX_LINE_BYTES
    number = 0
    while True:
        raw = handle.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) <= max_bytes or raw.endswith(b"\n"):
            yield number, raw
            continue
        while raw and not raw.endswith(b"\n"):  # the rest of the long line, a chunk at a time
            raw = handle.readline(_CHUNK)
        yield number, None


def json_objects(
    handle: BinaryIO,
    errors: Errors,
    on_blank: Callable[[], None] | None = None,
    max_bytes: int | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every good line; long, deep, invalid UTF-8 or JSON and non-objects go to `errors`."""
    max_bytes = max_bytes or MAX_LINE_BYTES
    for number, raw in bounded_lines(handle, max_bytes):
        if raw is None:
            errors.append((number, f"longer than {max_bytes:,} bytes; skipped without reading it"))
            continue
        try:
            line = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            errors.append((number, f"not valid UTF-8 (byte {exc.start})"))
            continue
        if not line:
            if on_blank is not None:
                on_blank()
            continue
        try:
            data = loads(line)
        except json.JSONDecodeError as exc:
            errors.append((number, f"not valid JSON, column {exc.colno}: {exc.msg}"))
            continue
        except ValueError as exc:
            errors.append((number, str(exc)))
            continue
        if not isinstance(data, dict):
            errors.append((number, "expected a JSON object"))
            continue
        yield number, data
