"""SQL for check-ins: topics, sent check-ins and per-person preferences (part of the state store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import aiosqlite

from bot.clock import from_iso, to_iso, utcnow
from bot.places import Origin, OriginSource

FOLLOWUP = "followup"  # a topic's kind: fires once, after an event the person said was coming


@dataclass(frozen=True)
class Topic:
    id: int
    scope: str
    name: str
    cadence_hours: float
    status: str
    created_at: datetime
    next_due_at: datetime
    unanswered: int
    retry_at: datetime | None = None
    kind: str = "topic"  # topic | followup

    @property
    def once(self) -> bool:
        return self.kind == FOLLOWUP

    @property
    def wake_at(self) -> datetime:
        """When the scheduler should look at this topic next."""
        return max(self.next_due_at, self.retry_at) if self.retry_at else self.next_due_at


@dataclass(frozen=True)
class CheckinPrefs:
    scope: str
    enabled: bool = True
    paused_reason: str | None = None
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    timezone: str | None = None
    daily_cap: int = 2


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up asks about: the event (its memory, the person's word for it, when) and where it was said."""

    topic_id: int
    scope: str
    memory_id: str
    what: str
    event_start: datetime
    origin: Origin


@dataclass(frozen=True)
class SentCheckin:
    id: int
    scope: str
    topic_id: int
    sent_at: datetime
    text: str
    answered_at: datetime | None
    ignored: bool


def _topic(row: Any) -> Topic:
    return Topic(
        id=row["id"],
        scope=row["scope"],
        name=row["name"],
        cadence_hours=row["cadence_hours"],
        status=row["status"],
        created_at=from_iso(row["created_at"]) or utcnow(),
        next_due_at=from_iso(row["next_due_at"]) or utcnow(),
        unanswered=row["unanswered"],
        retry_at=from_iso(row["retry_at"]),
        kind=row["kind"],
    )


def _followup(row: Any) -> FollowUp:
    return FollowUp(
        topic_id=row["topic_id"],
        scope=row["scope"],
        memory_id=row["memory_id"],
        what=row["what"],
        event_start=from_iso(row["event_start"]) or utcnow(),
        origin=Origin(OriginSource(row["source"]), row["guild_id"], row["channel_id"]),
    )


def _sent(row: Any) -> SentCheckin:
    return SentCheckin(
        id=row["id"],
        scope=row["scope"],
        topic_id=row["topic_id"],
        sent_at=from_iso(row["sent_at"]) or utcnow(),
        text=row["text"],
        answered_at=from_iso(row["answered_at"]),
        ignored=bool(row["ignored"]),
    )


class CheckinStore:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db = db

    async def _one(self, sql: str, args: tuple[Any, ...]) -> Any:
        async with self.db.execute(sql, args) as cursor:
            return await cursor.fetchone()

    async def _all(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        async with self.db.execute(sql, args) as cursor:
            return list(await cursor.fetchall())

    # -- topics --------------------------------------------------------------

    async def upsert_topic(
        self, scope: str, name: str, cadence_hours: float, now: datetime, first_due: datetime
    ) -> Topic:
        """Create a topic, or re-activate one with that name, with a new cadence."""
        await self.db.execute(
            "INSERT INTO topics (scope, name, cadence_hours, status, created_at, next_due_at)"
            " VALUES (?, ?, ?, 'active', ?, ?) ON CONFLICT(scope, name) DO UPDATE SET"
            " cadence_hours = excluded.cadence_hours, status = 'active', next_due_at = excluded.next_due_at,"
            " unanswered = 0",
            (scope, name, cadence_hours, to_iso(now), to_iso(first_due)),
        )
        await self.db.commit()
        topic = await self.topic_named(scope, name)
        assert topic is not None
        return topic

    async def decline_topic(self, scope: str, name: str, now: datetime) -> None:
        """Remember a proposal the person said no to, so AIKI does not ask again."""
        await self.db.execute(
            "INSERT INTO topics (scope, name, cadence_hours, status, created_at, next_due_at)"
            " VALUES (?, ?, 0, 'declined', ?, ?) ON CONFLICT(scope, name) DO NOTHING",
            (scope, name, to_iso(now), to_iso(now)),
        )
        await self.db.commit()

    async def topic(self, topic_id: int) -> Topic | None:
        row = await self._one("SELECT * FROM topics WHERE id = ?", (topic_id,))
        return _topic(row) if row else None

    async def topic_named(self, scope: str, name: str) -> Topic | None:
        row = await self._one("SELECT * FROM topics WHERE scope = ? AND name = ? COLLATE NOCASE", (scope, name))
        return _topic(row) if row else None

    async def topics(self, scope: str | None = None, statuses: tuple[str, ...] = ("active", "paused")) -> list[Topic]:
        marks = ",".join("?" for _ in statuses)
        if scope is None:
            rows = await self._all(f"SELECT * FROM topics WHERE status IN ({marks}) ORDER BY scope, id", statuses)
        else:
            rows = await self._all(
                f"SELECT * FROM topics WHERE scope = ? AND status IN ({marks}) ORDER BY id", (scope, *statuses)
            )
        return [_topic(row) for row in rows]

    async def set_topic_status(self, topic_id: int, status: str) -> None:
        await self.db.execute("UPDATE topics SET status = ? WHERE id = ?", (status, topic_id))
        await self.db.commit()

    async def delete_topic(self, topic_id: int) -> None:
        await self.db.execute("DELETE FROM checkins WHERE topic_id = ?", (topic_id,))
        await self.db.execute("DELETE FROM followups WHERE topic_id = ?", (topic_id,))
        await self.db.execute("DELETE FROM topics WHERE id = ?", (topic_id,))
        await self.db.commit()

    async def set_next_due(self, topic_id: int, when: datetime) -> None:
        await self.db.execute(
            "UPDATE topics SET next_due_at = ?, retry_at = NULL WHERE id = ?", (to_iso(when), topic_id)
        )
        await self.db.commit()

    async def resume(self, scope: str, now: datetime, stuck_after: timedelta) -> list[Topic]:
        """The person wrote: a topic stuck on ignored check-ins starts over from now, one waiting to retry is
        looked at again. Returns the topics whose next look changed."""
        changed: list[Topic] = []
        for topic in await self.topics(scope, ("active",)):
            if topic.next_due_at < now - stuck_after:
                await self.set_next_due(topic.id, now + timedelta(hours=topic.cadence_hours))
            elif topic.retry_at is not None:
                await self.set_retry(topic.id, None)
            else:
                continue
            found = await self.topic(topic.id)
            if found is not None:
                changed.append(found)
        return changed

    async def set_retry(self, topic_id: int, when: datetime | None) -> None:
        await self.db.execute("UPDATE topics SET retry_at = ? WHERE id = ?", (to_iso(when), topic_id))
        await self.db.commit()

    # -- sent check-ins ------------------------------------------------------

    async def record_sent(self, topic: Topic, text: str, sent_at: datetime, next_due: datetime) -> None:
        """The check-in and the topic's next due time, in one transaction: a crash cannot send it twice. A follow-up
        is done once sent."""
        await self.db.execute(
            "INSERT INTO checkins (scope, topic_id, sent_at, text) VALUES (?, ?, ?, ?)",
            (topic.scope, topic.id, to_iso(sent_at), text),
        )
        await self.db.execute(
            "UPDATE topics SET next_due_at = ?, retry_at = NULL, status = ? WHERE id = ?",
            (to_iso(next_due), "done" if topic.once else topic.status, topic.id),
        )
        await self.db.commit()

    async def last_sent(self, scope: str) -> SentCheckin | None:
        row = await self._one("SELECT * FROM checkins WHERE scope = ? ORDER BY sent_at DESC, id DESC LIMIT 1", (scope,))
        return _sent(row) if row else None

    async def count_sent_since(self, scope: str, since: datetime) -> int:
        row = await self._one("SELECT COUNT(*) FROM checkins WHERE scope = ? AND sent_at >= ?", (scope, to_iso(since)))
        return int(row[0]) if row else 0

    async def mark_ignored(self, checkin: SentCheckin) -> None:
        """An unanswered check-in counts once against its topic."""
        await self.db.execute("UPDATE checkins SET ignored = 1 WHERE id = ? AND ignored = 0", (checkin.id,))
        await self.db.execute("UPDATE topics SET unanswered = unanswered + 1 WHERE id = ?", (checkin.topic_id,))
        await self.db.commit()

    async def answer_open(self, scope: str, now: datetime, window_start: datetime) -> Topic | None:
        """The person wrote: the latest unanswered check-in since `window_start` is answered; its topic is returned.

        Any message also resets every topic's unanswered count: the person is here again.
        """
        row = await self._one(
            "SELECT * FROM checkins WHERE scope = ? AND answered_at IS NULL AND sent_at >= ?"
            " ORDER BY sent_at DESC LIMIT 1",
            (scope, to_iso(window_start)),
        )
        await self.db.execute("UPDATE topics SET unanswered = 0 WHERE scope = ? AND unanswered > 0", (scope,))
        if row is not None:
            await self.db.execute("UPDATE checkins SET answered_at = ? WHERE id = ?", (to_iso(now), row["id"]))
        await self.db.commit()
        return await self.topic(row["topic_id"]) if row is not None else None

    # -- follow-ups ----------------------------------------------------------

    async def add_followup(
        self, event: FollowUp, name: str, due: datetime, now: datetime, active: bool
    ) -> Topic | None:
        """A follow-up topic for an event, due once when it has passed; None if this event is known already (one
        follow-up per event: the same word on the same day)."""
        cursor = await self.db.execute(
            "INSERT INTO topics (scope, name, cadence_hours, status, created_at, next_due_at, kind)"
            " VALUES (?, ?, 0, ?, ?, ?, ?) ON CONFLICT(scope, name) DO NOTHING",
            (event.scope, name, "active" if active else "proposed", to_iso(now), to_iso(due), FOLLOWUP),
        )
        if cursor.rowcount != 1:
            await self.db.commit()
            return None
        topic_id = cursor.lastrowid
        origin = event.origin
        await self.db.execute(
            "INSERT INTO followups (topic_id, scope, memory_id, what, event_start, source, guild_id, channel_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (topic_id, event.scope, event.memory_id, event.what, to_iso(event.event_start), origin.source.value,
             origin.guild_id, origin.channel_id),
        )  # fmt: skip
        await self.db.commit()
        return await self.topic(int(topic_id or 0))

    async def followup(self, topic_id: int) -> FollowUp | None:
        row = await self._one("SELECT * FROM followups WHERE topic_id = ?", (topic_id,))
        return _followup(row) if row else None

    async def delete_followups_of(self, scope: str, memory_id: str) -> list[int]:
        """The memory of an event was forgotten: its follow-up goes too (sent or not). Returns the topic ids."""
        rows = await self._all("SELECT topic_id FROM followups WHERE scope = ? AND memory_id = ?", (scope, memory_id))
        for row in rows:
            await self.delete_topic(row["topic_id"])
        return [row["topic_id"] for row in rows]

    # -- preferences ---------------------------------------------------------

    async def prefs(self, scope: str) -> CheckinPrefs:
        row = await self._one("SELECT * FROM checkin_prefs WHERE scope = ?", (scope,))
        if row is None:
            return CheckinPrefs(scope)
        return CheckinPrefs(
            scope=scope,
            enabled=bool(row["enabled"]),
            paused_reason=row["paused_reason"],
            quiet_start=time.fromisoformat(row["quiet_start"]),
            quiet_end=time.fromisoformat(row["quiet_end"]),
            timezone=row["timezone"],
            daily_cap=row["daily_cap"],
        )

    async def save_prefs(self, prefs: CheckinPrefs) -> None:
        await self.db.execute(
            "INSERT INTO checkin_prefs (scope, enabled, paused_reason, quiet_start, quiet_end, timezone, daily_cap)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(scope) DO UPDATE SET enabled = excluded.enabled,"
            " paused_reason = excluded.paused_reason, quiet_start = excluded.quiet_start,"
            " quiet_end = excluded.quiet_end, timezone = excluded.timezone, daily_cap = excluded.daily_cap",
            (
                prefs.scope,
                int(prefs.enabled),
                prefs.paused_reason,
                prefs.quiet_start.strftime("%H:%M"),
                prefs.quiet_end.strftime("%H:%M"),
                prefs.timezone,
                prefs.daily_cap,
            ),
        )
        await self.db.commit()

    async def delete_scope(self, scope: str) -> int:
        cursor = await self.db.execute("DELETE FROM checkins WHERE scope = ?", (scope,))
        await self.db.execute("DELETE FROM followups WHERE scope = ?", (scope,))
        await self.db.execute("DELETE FROM topics WHERE scope = ?", (scope,))
        await self.db.execute("DELETE FROM checkin_prefs WHERE scope = ?", (scope,))
        await self.db.commit()
        return cursor.rowcount
