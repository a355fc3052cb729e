"""The SQLite state store on a real file: migrations, WAL, turns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.state.store import StateStore, Turn, load_migrations

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_migrations_run_once_and_again_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "aiki.db"
    store = StateStore(path)
    await store.open()
    latest = len(load_migrations())
    assert await store.schema_version() == latest
    await store.add_turn(Turn("7", "user", "hei", T0))
    await store.close()

    again = StateStore(path)
    await again.open()
    assert await again.schema_version() == latest
    assert await again.migrate() == latest
    assert await again.count_turns("7") == 1
    async with again.db.execute("PRAGMA journal_mode") as cursor:
        assert (await cursor.fetchone())[0] == "wal"
    assert await again.integrity_check() == "ok"
    await again.close()


async def test_recent_turns_are_the_last_ones_oldest_first_and_scoped(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "aiki.db")
    await store.open()
    for i in range(30):
        await store.add_turn(Turn("alice", "user" if i % 2 == 0 else "assistant", f"a{i}", T0 + timedelta(minutes=i)))
    await store.add_turn(Turn("bob", "user", "bob's secret", T0 + timedelta(hours=1)))

    recent = await store.recent_turns("alice", limit=5)
    assert [t.content for t in recent] == ["a25", "a26", "a27", "a28", "a29"]
    assert all(t.scope == "alice" for t in recent)
    assert recent[-1].created_at == T0 + timedelta(minutes=29)

    assert await store.delete_turns("alice") == 30
    assert await store.count_turns("alice") == 0 and await store.count_turns("bob") == 1
    await store.close()


async def test_a_turn_keeps_its_discord_ids(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "aiki.db")
    await store.open()
    turn = Turn(
        "9", "user", "hello", T0, source="channel", guild_id=1, channel_id=2, message_id=3, reply_to_message_id=4
    )
    await store.add_turn(turn)
    [back] = await store.recent_turns("9")
    assert (back.source, back.guild_id, back.channel_id, back.message_id, back.reply_to_message_id) == (
        "channel",
        1,
        2,
        3,
        4,
    )
    await store.close()
