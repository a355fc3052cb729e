"""AIKI's state in one SQLite file (aiosqlite, WAL). All SQL lives in this package."""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import from_iso, to_iso, utcnow
from bot.errors import StoreLockedError
from bot.mood import MoodEvent, MoodEventKind, MoodState
from bot.places import PRIVATE_SOURCES, UNKNOWN_GUILD, Audience
from bot.state.checkins import CheckinStore
from bot.state.training import TrainingStore

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class Turn:
    scope: str
    role: str  # "user" | "assistant"
    content: str
    created_at: datetime
    source: str = "cli"
    guild_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = None
    reply_to_message_id: int | None = None
    status: str = "ok"
    id: int | None = None
    model: str | None = None  # the model that wrote an assistant reply
    answers_turn_id: int | None = None  # a reply: the (last) message of the person's it answers
    pictures: int = 0  # how many pictures came with a message (the pictures themselves are never stored)
    seen: str | None = None  # what AIKI saw in them, in words, once it has described them


def load_migrations() -> list[tuple[int, str]]:
    """The numbered SQL files shipped with the package, in order."""
    found = []
    for entry in resources.files("bot.state").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise RuntimeError(f"migration files must be numbered 001, 002, ... without gaps, found {numbers}")
    return found


def _locked(path: Path) -> StoreLockedError:
    return StoreLockedError(
        f"The database {path} stayed locked by another process for {BUSY_TIMEOUT_MS // 1000} s. "
        "Is another AIKI command running? Let it finish, then try again."
    )


class StateStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: aiosqlite.Connection | None = None
        self._checkins: CheckinStore | None = None
        self._training: TrainingStore | None = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("state store is not open")
        return self._db

    @property
    def checkins(self) -> CheckinStore:
        """Check-in topics and what was sent (SQL in bot/state/checkins.py); built once per open connection."""
        if self._checkins is None:
            self._checkins = CheckinStore(self.db)
        return self._checkins

    @property
    def training(self) -> TrainingStore:
        """Imported conversations, replies marked bad and fine-tuning jobs (SQL in bot/state/training.py)."""
        if self._training is None:
            self._training = TrainingStore(self.db)
        return self._training

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        self._db.row_factory = aiosqlite.Row
        try:
            await self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await self._db.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: a commit survives the process being killed; only power loss can undo the last one.
            await self._db.execute("PRAGMA synchronous = NORMAL")
            await self._db.execute("PRAGMA foreign_keys = ON")
            # Deleted rows are overwritten with zeros, not left in free pages: /forget must erase from disk.
            await self._db.execute("PRAGMA secure_delete = ON")
            await self.migrate()
        except BaseException as exc:
            await self.close()  # an open connection's thread would keep the process alive
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise _locked(self.path) from None
            raise

    async def close(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            self._checkins = self._training = None
            await db.close()

    async def schema_version(self) -> int:
        async with self.db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply the migrations the file has not seen yet; running it again changes nothing."""
        current = await self.schema_version()
        for number, sql in load_migrations():
            if number <= current:
                continue
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                await self._run_script(sql)
                await self.db.execute(f"PRAGMA user_version = {number}")
                await self.db.commit()
            except BaseException:
                await self.db.rollback()
                raise
            log.info("database %s migrated to schema version %d", self.path, number)
            current = number
        return current

    async def _run_script(self, sql: str) -> None:
        # executescript() would COMMIT first; statements one by one keep the migration atomic.
        for statement in (part.strip() for part in _split_sql(sql)):
            if statement:
                await self.db.execute(statement)

    async def integrity_check(self) -> str:
        async with self.db.execute("PRAGMA integrity_check") as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else "no answer"

    # -- turns -------------------------------------------------------------

    async def add_turn(self, turn: Turn) -> int:
        """Store one turn and commit; when this returns, the turn is on disk."""
        turn_id = await self._insert_turn(turn, "INSERT")
        assert turn_id is not None
        return turn_id

    async def add_turn_once(self, turn: Turn) -> int | None:
        """Like add_turn, but None when this Discord message is stored already (read back twice, or redelivered)."""
        return await self._insert_turn(turn, "INSERT OR IGNORE")

    async def _insert_turn(self, turn: Turn, verb: str) -> int | None:
        try:
            cursor = await self.db.execute(
                f"{verb} INTO turns (scope, role, content, created_at, source, guild_id, channel_id,"
                " message_id, reply_to_message_id, status, model, answers_turn_id, pictures, seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    turn.scope,
                    turn.role,
                    turn.content,
                    to_iso(turn.created_at),
                    turn.source,
                    turn.guild_id,
                    turn.channel_id,
                    turn.message_id,
                    turn.reply_to_message_id,
                    turn.status,
                    turn.model,
                    turn.answers_turn_id,
                    turn.pictures,
                    turn.seen,
                ),
            )
            inserted = cursor.rowcount == 1
            if inserted and turn.role == "user" and turn.channel_id is not None and turn.message_id is not None:
                await self.db.execute(
                    "INSERT INTO seen_messages (channel_id, message_id) VALUES (?, ?) ON CONFLICT (channel_id)"
                    " DO UPDATE SET message_id = MAX(message_id, excluded.message_id)",
                    (turn.channel_id, turn.message_id),
                )
            await self.db.commit()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise _locked(self.path) from None
            raise
        return int(cursor.lastrowid) if inserted and cursor.lastrowid else None

    async def turns_of(self, scope: str) -> list[Turn]:
        """Every stored turn of a person whatever its status (ok, failed, partial, imported), oldest first."""
        async with self.db.execute("SELECT * FROM turns WHERE scope = ? ORDER BY created_at, id", (scope,)) as cursor:
            rows = await cursor.fetchall()
        return in_conversation_order([_turn(row) for row in rows])

    async def set_turn_status(self, turn_id: int, status: str) -> None:
        """`failed`: no reply came, so the message stays out of later prompts' history (a retry is not doubled)."""
        await self.db.execute("UPDATE turns SET status = ? WHERE id = ?", (status, turn_id))
        await self.db.commit()

    async def set_turn_seen(self, scope: str, turn_id: int, seen: str | None) -> None:
        """What AIKI saw in a message's pictures, in words (None: forgotten; secure_delete zeroes the old words)."""
        await self.db.execute("UPDATE turns SET seen = ? WHERE id = ? AND scope = ?", (seen, turn_id, scope))
        await self.db.commit()

    async def recent_turns(
        self,
        scope: str,
        limit: int = 20,
        audience: Audience | None = None,
        said_up_to: int | None = None,
        before: datetime | None = None,
    ) -> list[Turn]:
        """The last `limit` finished turns of a person's conversation that `audience` may see, oldest first.
        `said_up_to`: leave out the person's messages stored after that turn (they wait for a later reply).
        `before`: as they were at that moment (the hybrid export rebuilds a past turn's history)."""
        where, visible = _audience_sql(audience)
        args: tuple[int | str, ...] = visible
        if said_up_to is not None:
            where, args = f"{where} AND (role != 'user' OR id <= ?)", (*args, said_up_to)
        if before is not None:
            where, args = f"{where} AND created_at <= ?", (*args, to_iso(before) or "")
        async with self.db.execute(
            f"SELECT * FROM (SELECT * FROM turns WHERE scope = ? AND status = 'ok'{where}"
            " ORDER BY created_at DESC, id DESC LIMIT ?) ORDER BY created_at, id",
            (scope, *args, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return in_conversation_order([_turn(row) for row in rows])

    async def last_seen_messages(self) -> dict[int, int]:
        """The newest message AIKI has taken in per channel (Discord ids): where reading back after a break starts."""
        async with self.db.execute("SELECT channel_id, message_id FROM seen_messages") as cursor:
            rows = await cursor.fetchall()
        return {int(row[0]): int(row[1]) for row in rows}

    async def count_turns(self, scope: str | None = None) -> int:
        args: tuple[str, ...] = ()
        if scope is None:
            sql = "SELECT COUNT(*) FROM turns"
        else:
            sql, args = "SELECT COUNT(*) FROM turns WHERE scope = ?", (scope,)
        async with self.db.execute(sql, args) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def delete_turns(self, scope: str) -> int:
        cursor = await self.db.execute("DELETE FROM turns WHERE scope = ?", (scope,))
        await self.db.commit()
        return cursor.rowcount

    async def last_user_turn_before(self, scope: str, turn_id: int) -> datetime | None:
        """When the person last wrote before this turn (None if this is their first message)."""
        async with self.db.execute(
            "SELECT created_at FROM turns WHERE scope = ? AND role = 'user' AND status = 'ok' AND id < ?"
            " ORDER BY id DESC LIMIT 1",
            (scope, turn_id),
        ) as cursor:
            row = await cursor.fetchone()
        return from_iso(row[0]) if row else None

    # -- mood --------------------------------------------------------------

    async def mood(self, scope: str) -> MoodState | None:
        async with self.db.execute(
            "SELECT valence, arousal, updated_at FROM mood_state WHERE scope = ?", (scope,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        return MoodState(row["valence"], row["arousal"], from_iso(row["updated_at"]) or utcnow())

    async def save_mood(self, scope: str, state: MoodState, events: list[MoodEvent]) -> None:
        """The new state and the events that led to it, in one transaction."""
        await self.db.execute(
            "INSERT INTO mood_state (scope, valence, arousal, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(scope) DO UPDATE SET valence = excluded.valence, arousal = excluded.arousal,"
            " updated_at = excluded.updated_at",
            (scope, state.valence, state.arousal, to_iso(state.updated_at)),
        )
        await self.db.executemany(
            "INSERT INTO mood_events (scope, kind, reason, d_valence, d_arousal, valence_after, arousal_after,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    scope,
                    e.kind.value,
                    e.reason,
                    e.d_valence,
                    e.d_arousal,
                    e.valence_after,
                    e.arousal_after,
                    to_iso(e.created_at),
                )
                for e in events
            ],
        )
        await self.db.commit()

    async def mood_events(
        self, scope: str, since: datetime | None = None, limit: int = 50, before: datetime | None = None
    ) -> list[MoodEvent]:
        """The most recent events first (`before`: only those earlier than that moment, to replay a past mood)."""
        async with self.db.execute(
            "SELECT * FROM mood_events WHERE scope = ? AND created_at >= ? AND created_at < ?"
            " ORDER BY created_at DESC, id DESC LIMIT ?",
            (scope, to_iso(since) or "", to_iso(before) or "~", limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            MoodEvent(
                kind=MoodEventKind(row["kind"]),
                reason=row["reason"],
                d_valence=row["d_valence"],
                d_arousal=row["d_arousal"],
                created_at=from_iso(row["created_at"]) or utcnow(),
                valence_after=row["valence_after"],
                arousal_after=row["arousal_after"],
            )
            for row in rows
        ]

    async def delete_mood(self, scope: str) -> int:
        cursor = await self.db.execute("DELETE FROM mood_events WHERE scope = ?", (scope,))
        await self.db.execute("DELETE FROM mood_state WHERE scope = ?", (scope,))
        await self.db.commit()
        return cursor.rowcount

    # -- people ------------------------------------------------------------

    async def shares_dm_memories_in_servers(self, scope: str) -> bool:
        async with self.db.execute(
            "SELECT share_dm_memories_in_servers FROM people WHERE scope = ?", (scope,)
        ) as cursor:
            row = await cursor.fetchone()
        return bool(row[0]) if row else False

    async def set_share_dm_memories_in_servers(self, scope: str, allowed: bool) -> None:
        await self.db.execute(
            "INSERT INTO people (scope, share_dm_memories_in_servers) VALUES (?, ?)"
            " ON CONFLICT(scope) DO UPDATE SET share_dm_memories_in_servers = excluded.share_dm_memories_in_servers",
            (scope, int(allowed)),
        )
        await self.db.commit()

    async def delete_person(self, scope: str) -> None:
        await self.db.execute("DELETE FROM people WHERE scope = ?", (scope,))
        await self.db.execute("DELETE FROM imported_conversations WHERE scope = ?", (scope,))
        await self.db.execute("DELETE FROM sleep_watermarks WHERE scope = ?", (scope,))
        await self.db.execute("DELETE FROM sleep_passes WHERE scope = ?", (scope,))
        await self.db.commit()

    async def erase_freed(self) -> None:
        """After a forget: copy the zeroed pages into the database and empty the WAL, which still holds the old ones."""
        await self.db.commit()
        async with self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0]:
            log.warning("the database WAL could not be emptied after a forget (a reader was busy); it is at next close")

    # -- forgets finished late ----------------------------------------------

    async def add_late_forget(self, scope: str, kind: str, requested_at: datetime, completed_at: datetime) -> None:
        """A forget a stop cut short was finished now; the person is told once (`take_late_forgets`)."""
        await self.db.execute(
            "INSERT OR IGNORE INTO late_forgets (scope, kind, requested_at, completed_at) VALUES (?, ?, ?, ?)",
            (scope, kind, to_iso(requested_at), to_iso(completed_at)),
        )
        await self.db.commit()

    async def take_late_forgets(self, scope: str) -> list[tuple[str, datetime]]:
        """The person's forgets that were finished late, as (kind, asked at), oldest first; each is handed out once."""
        async with self.db.execute(
            "SELECT kind, requested_at FROM late_forgets WHERE scope = ? ORDER BY requested_at", (scope,)
        ) as cursor:
            rows = await cursor.fetchall()
        if rows:
            await self.db.execute("DELETE FROM late_forgets WHERE scope = ?", (scope,))
            await self.db.commit()
        return [(str(row["kind"]), from_iso(row["requested_at"]) or utcnow()) for row in rows]

    # -- which models take pictures ------------------------------------------

    async def model_sees(self, model: str) -> bool | None:
        """Whether `model` took pictures when AIKI last tried (None: never tried)."""
        async with self.db.execute("SELECT sees FROM model_vision WHERE model = ?", (model,)) as cursor:
            row = await cursor.fetchone()
        return None if row is None else bool(row[0])

    async def set_model_sees(self, model: str, sees: bool, at: datetime) -> None:
        await self.db.execute(
            "INSERT INTO model_vision (model, sees, checked_at) VALUES (?, ?, ?)"
            " ON CONFLICT(model) DO UPDATE SET sees = excluded.sees, checked_at = excluded.checked_at",
            (model, int(sees), to_iso(at)),
        )
        await self.db.commit()

    # -- sleep (bot/mind/sleep.py) -----------------------------------------

    async def sleep_watermark(self, scope: str) -> tuple[datetime, str] | None:
        """The newest episode a sleep pass has distilled for the person (time, memory id); None: none yet."""
        async with self.db.execute(
            "SELECT distilled_at, distilled_id FROM sleep_watermarks WHERE scope = ?", (scope,)
        ) as cursor:
            row = await cursor.fetchone()
        at = from_iso(row["distilled_at"]) if row else None
        return (at, str(row["distilled_id"])) if row and at else None

    async def set_sleep_watermark(self, scope: str, at: datetime, memory_id: str, passed_at: datetime) -> None:
        """One finished batch, committed: a pass that stops after this resumes after it."""
        await self.db.execute(
            "INSERT INTO sleep_watermarks (scope, distilled_at, distilled_id, passed_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(scope) DO UPDATE SET distilled_at = excluded.distilled_at,"
            " distilled_id = excluded.distilled_id, passed_at = excluded.passed_at",
            (scope, to_iso(at), memory_id, to_iso(passed_at)),
        )
        await self.db.commit()

    async def set_sleep_passed(self, scope: str, at: datetime) -> None:
        """A pass finished for the person (the scheduler runs the next one after they wrote again, or at night)."""
        await self.db.execute(
            "INSERT INTO sleep_passes (scope, finished_at) VALUES (?, ?)"
            " ON CONFLICT(scope) DO UPDATE SET finished_at = excluded.finished_at",
            (scope, to_iso(at)),
        )
        await self.db.commit()

    async def clear_sleep_passed(self, scope: str) -> None:
        """After a forget: the next pass runs once the person is quiet, and rebuilds what was derived."""
        await self.db.execute("DELETE FROM sleep_passes WHERE scope = ?", (scope,))
        await self.db.commit()

    async def sleep_passed_at(self) -> dict[str, datetime]:
        """When the last pass finished, per person who had one."""
        async with self.db.execute("SELECT scope, finished_at FROM sleep_passes") as cursor:
            rows = await cursor.fetchall()
        return {str(row[0]): at for row in rows if (at := from_iso(row[1])) is not None}

    async def last_written(self) -> dict[str, datetime]:
        """When each person last wrote to AIKI (any message of theirs, answered or not)."""
        async with self.db.execute(
            "SELECT scope, MAX(created_at) FROM turns WHERE role = 'user' GROUP BY scope"
        ) as cursor:
            rows = await cursor.fetchall()
        return {str(row[0]): at for row in rows if (at := from_iso(row[1])) is not None}

    # -- meta --------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async with self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
        await self.db.commit()


def _turn(row: Any) -> Turn:
    return Turn(
        id=row["id"],
        scope=row["scope"],
        role=row["role"],
        content=row["content"],
        created_at=from_iso(row["created_at"]) or utcnow(),
        source=row["source"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        message_id=row["message_id"],
        reply_to_message_id=row["reply_to_message_id"],
        status=row["status"],
        model=row["model"],
        answers_turn_id=row["answers_turn_id"],
        pictures=row["pictures"],
        seen=row["seen"],
    )


def in_conversation_order(turns: list[Turn]) -> list[Turn]:
    """Turns in time order, except that a reply follows the message it answers: messages that arrived while it
    was being written come after it (they are answered by the next reply)."""
    at = {turn.id: index for index, turn in enumerate(turns)}

    def place(item: tuple[int, Turn]) -> tuple[int, int, int]:
        index, turn = item
        anchor = at.get(turn.answers_turn_id) if turn.answers_turn_id is not None else None
        return (index, 0, index) if anchor is None else (anchor, 1, index)

    return [turn for _, turn in sorted(enumerate(turns), key=place)]


def _audience_sql(audience: Audience | None) -> tuple[str, tuple[int, ...]]:
    """bot/places.py's rule as a condition on turns (Audience.sees is the reference)."""
    if audience is None or audience.everything:
        return "", ()
    parts: list[str] = []
    args: tuple[int, ...] = ()
    if audience.private:
        parts.append("source IN (" + ", ".join(f"'{s.value}'" for s in PRIVATE_SOURCES) + ")")
    if audience.guilds is None:
        parts.append("source = 'channel'")
    elif audience.guilds:
        marks = ", ".join("?" for _ in audience.guilds)
        parts.append(f"(source = 'channel' AND COALESCE(guild_id, {UNKNOWN_GUILD}) IN ({marks}))")
        args = audience.guilds
    return (" AND (" + " OR ".join(parts) + ")" if parts else " AND 0"), args


def _split_sql(sql: str) -> list[str]:
    """Split a migration file into statements (our migrations hold no `;` inside strings or triggers)."""
    without_comments = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return without_comments.split(";")
