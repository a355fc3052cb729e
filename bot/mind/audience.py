"""Who listens where a person is talking now: the one rule for what may be shown there (bot/places.py),
with the person's own choice to share what they said in DMs in servers."""

from __future__ import annotations

from bot.mind.turn import Person
from bot.places import Audience, Origin, guild_of
from bot.state.store import StateStore


async def audience_at(state: StateStore, person: Person, place: Origin) -> Audience:
    guild = guild_of(place)
    return Audience.at(place, guild is not None and await state.shares_dm_memories_in_servers(person.scope))
