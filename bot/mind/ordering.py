"""One turn at a time per person, in arrival order, whichever surface calls the core; others never wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Line:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0  # turns holding or waiting for the lock; the line is dropped when none are left


class PersonQueue:
    def __init__(self) -> None:
        self._lines: dict[str, _Line] = {}

    @asynccontextmanager
    async def exclusive(self, scope: str) -> AsyncIterator[None]:
        """Wait for this person's earlier turns. The lock is asked for before the first await, and
        asyncio.Lock wakes waiters first come first served, so turns run in the order they arrived."""
        line = self._lines.setdefault(scope, _Line())
        line.waiting += 1
        try:
            async with line.lock:
                yield
        finally:
            line.waiting -= 1
            if line.waiting == 0:
                del self._lines[scope]

    def busy(self, scope: str) -> bool:
        return scope in self._lines

    def __len__(self) -> int:
        return len(self._lines)
