"""Places: where something was said (a DM, a server channel, the terminal, an import) and the one rule for
what may be shown where. The shared vocabulary of every layer, so it sits at the bottom and imports nothing of AIKI.

| said in \\ asked in   | DM / terminal | server X              | server Y |
|----------------------|---------------|-----------------------|----------|
| DM / terminal/import | yes           | only with /privacy on | same     |
| server X             | yes           | yes                   | no       |

The terminal is the owner's private place, like a DM; imported conversations count as private too. AIKI's
own identity (source "system") is visible everywhere. The rule is applied in the core for history, memories,
facts, reply chains and check-ins, as a SQL condition (bot/state/store.py) and as a Qdrant filter
(bot/memory/edge.py, bot/memory/server.py), with `Audience.sees` as the reference both must agree with.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class OriginSource(str, Enum):
    DM = "dm"
    CHANNEL = "channel"
    CLI = "cli"
    IMPORT = "import"
    SYSTEM = "system"


@dataclass(frozen=True)
class Origin:
    """Where a memory came from, so a recalled memory can say so."""

    source: OriginSource = OriginSource.SYSTEM
    guild_id: int | None = None
    channel_id: int | None = None
    message_id: int | None = None

    def to_payload(self) -> dict[str, Any]:
        return {
            "source": self.source.value,
            "guild_id": self.guild_id,
            "channel_id": self.channel_id,
            "message_id": self.message_id,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any] | None) -> Origin:
        data = data or {}
        return cls(
            source=OriginSource(data.get("source", OriginSource.SYSTEM.value)),
            guild_id=data.get("guild_id"),
            channel_id=data.get("channel_id"),
            message_id=data.get("message_id"),
        )


# Sources that count as private: a DM, the terminal, or an import of the person's own conversations.
PRIVATE_SOURCES = (OriginSource.DM, OriginSource.CLI, OriginSource.IMPORT)
# A channel message without a server id (never written by AIKI, but possible in old imports): a server
# nobody asks from, so it shows in private places only.
UNKNOWN_GUILD = 0


def is_private(origin: Origin) -> bool:
    return origin.source in PRIVATE_SOURCES


def guild_of(origin: Origin) -> int | None:
    """The server something was said in; None when it was said in a private place (or is AIKI's identity)."""
    if origin.source is not OriginSource.CHANNEL:
        return None
    return origin.guild_id if origin.guild_id is not None else UNKNOWN_GUILD


@dataclass(frozen=True)
class Audience:
    """What may be shown: content from these servers (None: every server) and, if `private`, private content."""

    guilds: tuple[int, ...] | None
    private: bool

    @classmethod
    def at(cls, place: Origin, share_dm_in_servers: bool) -> Audience:
        """Who is listening at `place`: a private place sees everything of the person; a server sees itself."""
        guild = guild_of(place)
        if guild is None:
            return cls(guilds=None, private=True)
        return cls(guilds=(guild,), private=share_dm_in_servers)

    @classmethod
    def same_place(cls, origin: Origin) -> Audience:
        """Only content from exactly this place (facts merge and supersede within the place they were said in)."""
        guild = guild_of(origin)
        return cls(guilds=(), private=True) if guild is None else cls(guilds=(guild,), private=False)

    @property
    def everything(self) -> bool:
        return self.guilds is None and self.private

    def sees(self, content: Origin) -> bool:
        if content.source is OriginSource.SYSTEM:
            return True
        if is_private(content):
            return self.private
        return self.guilds is None or guild_of(content) in self.guilds


def strictest_place(sources: list[Origin]) -> Origin:
    """One place for something derived from `sources` (a profile, a merge), shown only where every source may be.

    All private: private. All in one server: that server. A mix of places: private places only, as a channel
    message of no known server (UNKNOWN_GUILD), which no server's audience sees; a DM origin there would let a
    server with /privacy on see another server's words, a server origin would let that server see DM words.
    AIKI's identity (SYSTEM) is visible everywhere, so it narrows nothing.
    """
    said = [origin for origin in sources if origin.source is not OriginSource.SYSTEM]
    if not said:
        return Origin(OriginSource.SYSTEM)
    groups = {guild_of(origin) for origin in said}
    if groups == {None}:
        return said[0] if len({origin.source for origin in said}) == 1 else Origin(OriginSource.DM)
    if len(groups) == 1:
        return Origin(OriginSource.CHANNEL, guild_id=said[0].guild_id)
    return Origin(OriginSource.CHANNEL, guild_id=None)


def visible(content: Origin, place: Origin, share_dm_in_servers: bool) -> bool:
    """May content said at `content` be shown to the person at `place`?"""
    return Audience.at(place, share_dm_in_servers).sees(content)
