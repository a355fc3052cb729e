"""SQL for training data and fine-tuning: imported conversations, replies marked bad, fine-tuning jobs.

Part of the state store (`StateStore.training`); the schema is `migrations/005_training.sql`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import from_iso, to_iso, utcnow
from bot.errors import StoreLockedError

IMPORTED = "imported"  # the status of imported turns: history for training, never part of a live prompt
_PAGE = 500


@dataclass(frozen=True)
class ImportedConversation:
    id: str  # e.g. "chatgpt:<conversation id>"; also every turn's conversation_id
    origin: str  # chatgpt | session-log
    scope: str
    title: str
    created_at: datetime


@dataclass(frozen=True)
class ImportedTurn:
    conversation_id: str
    position: int
    external_id: str
    role: str  # user | assistant
    content: str
    created_at: datetime
    marked_bad: bool = False


@dataclass(frozen=True)
class HistoryTurn:
    """A turn as the training export sees it: AIKI's own (origin None) or imported."""

    id: int
    scope: str
    role: str
    content: str
    created_at: datetime
    origin: str | None
    conversation_id: str | None
    marked_bad: bool
    title: str | None = None
    model: str | None = None  # the model that wrote an assistant reply (AIKI's own turns since migration 007)
    source: str = "import"  # where it was said: dm, channel, cli, import (bot.memory.models.OriginSource)
    guild_id: int | None = None
    channel_id: int | None = None


@dataclass(frozen=True)
class ImportCount:
    origin: str
    conversations: int
    turns: int
    marked_bad: int


@dataclass(frozen=True)
class ImportSummary:
    """What one person's imports from one source brought in (the owner's page: bot/web/imports.py)."""

    origin: str
    conversations: int
    turns: int
    marked_bad: int
    first: datetime | None  # when the earliest and latest imported conversation began
    last: datetime | None


@dataclass(frozen=True)
class ModelReplies:
    model: str
    replies: int
    learn: bool | None  # the owner's mark; None: not marked (the default applies)


@dataclass(frozen=True)
class FinetuneJobRecord:
    id: str
    base_url: str
    base_model: str
    training_file: str
    status: str
    fine_tuned_model: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime


class TrainingStore:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    # -- imports -----------------------------------------------------------

    async def add_imported(self, conversations: Sequence[ImportedConversation], turns: Sequence[ImportedTurn]) -> int:
        """Store a batch in one transaction; turns already imported (same external id) are left alone.

        Returns how many turns are new.
        """
        try:
            return await self._add_imported(conversations, turns)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise StoreLockedError(
                    "The database stayed locked by another process. Is another AIKI command running? "
                    "Let it finish, then import again (what was imported is kept)."
                ) from None
            raise

    async def _add_imported(self, conversations: Sequence[ImportedConversation], turns: Sequence[ImportedTurn]) -> int:
        await self.db.executemany(
            "INSERT INTO imported_conversations (id, origin, scope, title, created_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(id) DO UPDATE SET title = excluded.title",
            [(c.id, c.origin, c.scope, c.title, to_iso(c.created_at)) for c in conversations],
        )
        counted_from = self.db.total_changes
        origins = {c.id: (c.origin, c.scope) for c in conversations}
        await self.db.executemany(
            "INSERT INTO turns (scope, role, content, created_at, source, status, origin, conversation_id, position,"
            " external_id, marked_bad) VALUES (?, ?, ?, ?, 'import', ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(external_id) WHERE external_id IS NOT NULL DO NOTHING",
            [
                (
                    origins[t.conversation_id][1],
                    t.role,
                    t.content,
                    to_iso(t.created_at),
                    IMPORTED,
                    origins[t.conversation_id][0],
                    t.conversation_id,
                    t.position,
                    t.external_id,
                    int(t.marked_bad),
                )
                for t in turns
            ],
        )
        await self.db.commit()
        return self.db.total_changes - counted_from

    async def import_counts(self) -> list[ImportCount]:
        async with self.db.execute(
            "SELECT origin, COUNT(DISTINCT conversation_id), COUNT(*), SUM(marked_bad) FROM turns"
            " WHERE origin IS NOT NULL GROUP BY origin ORDER BY origin"
        ) as cursor:
            rows = await cursor.fetchall()
        counts = [ImportCount(row[0], int(row[1]), int(row[2]), int(row[3] or 0)) for row in rows]
        async with self.db.execute(
            "SELECT COUNT(*), SUM(marked_bad) FROM turns WHERE origin IS NULL AND status = 'ok'"
        ) as cursor:
            row = await cursor.fetchone()
        if row and row[0]:
            counts.insert(0, ImportCount("aiki", 0, int(row[0]), int(row[1] or 0)))
        return counts

    async def imports_of(self, scope: str) -> list[ImportSummary]:
        """One person's imported conversations, per source."""
        async with self.db.execute(
            "SELECT origin, COUNT(*), MIN(created_at), MAX(created_at) FROM imported_conversations"
            " WHERE scope = ? GROUP BY origin",
            (scope,),
        ) as cursor:
            conversations = {
                row[0]: (int(row[1]), from_iso(row[2]), from_iso(row[3])) for row in await cursor.fetchall()
            }
        async with self.db.execute(
            "SELECT origin, COUNT(*), SUM(marked_bad) FROM turns"
            " WHERE scope = ? AND origin IS NOT NULL GROUP BY origin",
            (scope,),
        ) as cursor:
            turns = {row[0]: (int(row[1]), int(row[2] or 0)) for row in await cursor.fetchall()}
        return [
            ImportSummary(origin, count, *turns.get(origin, (0, 0)), first, last)
            for origin, (count, first, last) in sorted(conversations.items())
        ]

    # -- marking replies ---------------------------------------------------

    async def set_marked_bad(self, turn_ids: Sequence[int], bad: bool) -> list[int]:
        """Mark AIKI's (or an imported assistant's) replies; returns the ids that are assistant turns."""
        found: list[int] = []
        for turn_id in turn_ids:
            cursor = await self.db.execute(
                "UPDATE turns SET marked_bad = ? WHERE id = ? AND role = 'assistant'", (int(bad), turn_id)
            )
            if cursor.rowcount:
                found.append(turn_id)
        await self.db.commit()
        return found

    async def find_replies(self, scopes: Sequence[str], text: str, limit: int) -> list[HistoryTurn]:
        """Assistant turns containing `text` (case-insensitive for ASCII), newest first."""
        marks = ",".join("?" * len(scopes))
        async with self.db.execute(
            "SELECT t.*, c.title FROM turns t LEFT JOIN imported_conversations c ON c.id = t.conversation_id"
            f" WHERE t.scope IN ({marks}) AND t.role = 'assistant' AND t.status IN ('ok', ?)"
            " AND t.content LIKE ? ESCAPE '\\' ORDER BY t.created_at DESC, t.id DESC LIMIT ?",
            (*scopes, IMPORTED, "%" + _like(text) + "%", limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_history(row) for row in rows]

    # -- reading history for the export ----------------------------------

    async def history(self, scopes: Sequence[str]) -> AsyncIterator[HistoryTurn]:
        """Every finished turn of these scopes: imported conversations in order, then AIKI's own by time.

        Read a conversation (or a page of AIKI's own turns) at a time along an index, so a large history
        streams with bounded memory and no read transaction stays open while the caller works.
        """
        marks = ",".join("?" * len(scopes))
        async with self.db.execute(
            f"SELECT id FROM imported_conversations WHERE scope IN ({marks}) ORDER BY id", tuple(scopes)
        ) as cursor:
            conversation_ids = [row[0] for row in await cursor.fetchall()]
        for conversation_id in conversation_ids:
            async with self.db.execute(
                "SELECT t.*, c.title FROM turns t JOIN imported_conversations c ON c.id = t.conversation_id"
                " WHERE t.conversation_id = ? AND t.status = ? ORDER BY t.position, t.id",
                (conversation_id, IMPORTED),
            ) as cursor:
                rows = await cursor.fetchall()
            for row in rows:
                yield _history(row)
        for scope in scopes:
            after: tuple[str, int] = ("", -1)
            while True:
                async with self.db.execute(
                    "SELECT t.*, NULL AS title FROM turns t WHERE t.scope = ? AND t.created_at >= ?"
                    " AND (t.created_at > ? OR t.id > ?) AND t.status = 'ok' AND t.conversation_id IS NULL"
                    " ORDER BY t.created_at, t.id LIMIT ?",
                    (scope, after[0], after[0], after[1], _PAGE),
                ) as cursor:
                    rows = list(await cursor.fetchall())
                for row in rows:
                    yield _history(row)
                if len(rows) < _PAGE:
                    break
                after = (rows[-1]["created_at"], rows[-1]["id"])

    # -- which models wrote the replies -----------------------------------

    async def reply_models(self, scopes: Sequence[str]) -> list[ModelReplies]:
        """Every model that wrote AIKI's replies in these scopes, with its count and the owner's mark."""
        marks = ",".join("?" * len(scopes))
        async with self.db.execute(
            "SELECT t.model, COUNT(*), m.learn FROM turns t LEFT JOIN model_marks m ON m.model = t.model"
            f" WHERE t.scope IN ({marks}) AND t.role = 'assistant' AND t.status = 'ok' AND t.model IS NOT NULL"
            " GROUP BY t.model ORDER BY COUNT(*) DESC, t.model",
            tuple(scopes),
        ) as cursor:
            rows = await cursor.fetchall()
        return [ModelReplies(row[0], int(row[1]), None if row[2] is None else bool(row[2])) for row in rows]

    async def model_marks(self) -> dict[str, bool]:
        """The owner's marks: model -> learn its replies or not."""
        async with self.db.execute("SELECT model, learn FROM model_marks") as cursor:
            return {row[0]: bool(row[1]) for row in await cursor.fetchall()}

    async def mark_model(self, model: str, learn: bool | None) -> None:
        """Mark a model's replies as the owner's (learn) or not; None forgets the mark (back to the default)."""
        if learn is None:
            await self.db.execute("DELETE FROM model_marks WHERE model = ?", (model,))
        else:
            await self.db.execute(
                "INSERT INTO model_marks (model, learn) VALUES (?, ?) ON CONFLICT(model) DO UPDATE SET"
                " learn = excluded.learn",
                (model, int(learn)),
            )
        await self.db.commit()

    async def fine_tuned_models(self) -> list[str]:
        """Models fine-tuning made or switched to from here (earlier AIKIs): provider jobs', `finetune train`'s and
        `finetune use`'s."""
        async with self.db.execute(
            "SELECT fine_tuned_model FROM finetune_jobs WHERE fine_tuned_model IS NOT NULL"
            " UNION SELECT model FROM fine_tuned_models ORDER BY 1"
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def add_fine_tuned_model(self, model: str, made_by: str, at: datetime) -> None:
        """Remember a model a local command made or switched to (the first time counts)."""
        await self.db.execute(
            "INSERT INTO fine_tuned_models (model, made_by, created_at) VALUES (?, ?, ?) ON CONFLICT(model) DO NOTHING",
            (model, made_by, to_iso(at)),
        )
        await self.db.commit()

    async def has_replies_by(self, model: str) -> bool:
        """Whether this model wrote any of AIKI's replies (in any scope): it was AIKI's model before."""
        async with self.db.execute(
            "SELECT 1 FROM turns WHERE model = ? AND role = 'assistant' LIMIT 1", (model,)
        ) as cursor:
            return await cursor.fetchone() is not None

    # -- fine-tuning jobs --------------------------------------------------

    async def save_finetune_job(self, job: FinetuneJobRecord) -> None:
        await self.db.execute(
            "INSERT INTO finetune_jobs (id, base_url, base_model, training_file, status, fine_tuned_model, error,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
            " status = excluded.status, fine_tuned_model = excluded.fine_tuned_model, error = excluded.error,"
            " updated_at = excluded.updated_at",
            (
                job.id,
                job.base_url,
                job.base_model,
                job.training_file,
                job.status,
                job.fine_tuned_model,
                job.error,
                to_iso(job.created_at),
                to_iso(job.updated_at),
            ),
        )
        await self.db.commit()

    async def finetune_job(self, job_id: str | None = None) -> FinetuneJobRecord | None:
        """That job, or the one started last."""
        args: tuple[str, ...] = ()
        if job_id is None:
            sql = "SELECT * FROM finetune_jobs ORDER BY created_at DESC LIMIT 1"
        else:
            sql, args = "SELECT * FROM finetune_jobs WHERE id = ?", (job_id,)
        async with self.db.execute(sql, args) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return FinetuneJobRecord(
            id=row["id"],
            base_url=row["base_url"],
            base_model=row["base_model"],
            training_file=row["training_file"],
            status=row["status"],
            fine_tuned_model=row["fine_tuned_model"],
            error=row["error"],
            created_at=from_iso(row["created_at"]) or utcnow(),
            updated_at=from_iso(row["updated_at"]) or utcnow(),
        )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _history(row: Any) -> HistoryTurn:
    return HistoryTurn(
        id=row["id"],
        scope=row["scope"],
        role=row["role"],
        content=row["content"],
        created_at=from_iso(row["created_at"]) or utcnow(),
        origin=row["origin"],
        conversation_id=row["conversation_id"],
        marked_bad=bool(row["marked_bad"]),
        title=row["title"],
        model=row["model"],
        source=row["source"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
    )
