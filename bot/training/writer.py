"""Writing imported conversations into the history: batched, one transaction a batch, idempotent."""

from __future__ import annotations

import asyncio

from bot.errors import ConfigError
from bot.state.store import StateStore
from bot.state.training import ImportedConversation, ImportedTurn
from bot.training.report import DataReport

TURN_BATCH = 2_000  # turns written per transaction
ALREADY = "already imported"


class HistoryWriter:
    """Collects imported turns and writes them a batch (one transaction) at a time.

    A batch is written while the next one is being parsed (SQLite works in aiosqlite's thread), so at most
    two batches are in memory; `flush()` waits for both.
    """

    def __init__(self, state: StateStore, report: DataReport) -> None:
        self.state = state
        self.report = report
        self.conversations: dict[str, ImportedConversation] = {}
        self.turns: list[ImportedTurn] = []
        self._writing: asyncio.Task[None] | None = None

    async def add(self, conversation: ImportedConversation, turns: list[ImportedTurn]) -> None:
        self.conversations.setdefault(conversation.id, conversation)  # the first message dates a conversation
        self.turns += turns
        if len(self.turns) >= TURN_BATCH:
            await self._send()

    async def _send(self) -> None:
        await self._wait()
        if self.conversations or self.turns:
            batch = (list(self.conversations.values()), self.turns)
            self.conversations, self.turns = {}, []
            self._writing = asyncio.create_task(self._write(*batch))
        await self.breathe()

    @staticmethod
    async def breathe() -> None:
        """Let the batch being written move on to its next statement while parsing goes on."""
        await asyncio.sleep(0)

    async def _write(self, conversations: list[ImportedConversation], turns: list[ImportedTurn]) -> None:
        new = await self.state.training.add_imported(conversations, turns)
        self.report.imported += new
        self.report.skip(ALREADY, len(turns) - new)

    async def _wait(self) -> None:
        writing, self._writing = self._writing, None
        if writing is not None:
            await writing

    async def flush(self) -> None:
        await self._send()
        await self._wait()


def owner_scope(explicit: str | None, owner_ids: list[int]) -> str:
    """Imported history and memories belong to the owner: `--scope`, else the first of AIKI_OWNER_IDS."""
    if explicit:
        return explicit.strip()
    if owner_ids:
        return str(owner_ids[0])
    raise ConfigError("Whose history is this? Set AIKI_OWNER_IDS (your Discord user id) or give --scope.")
