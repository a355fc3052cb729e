"""Reading JSONL the one way AIKI does: line by line, a bad line reported with its number, the rest going on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

Errors = list[tuple[int, str]]


def json_objects(
    handle: BinaryIO, errors: Errors, on_blank: Callable[[], None] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every good line; invalid UTF-8, invalid JSON and non-objects go into `errors`."""
    for number, raw in enumerate(handle, start=1):
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
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append((number, f"not valid JSON, column {exc.colno}: {exc.msg}"))
            continue
        if not isinstance(data, dict):
            errors.append((number, "expected a JSON object"))
            continue
        yield number, data
