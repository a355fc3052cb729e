"""What the Discord bot and its cogs share: no pings, the user-facing failure words, private answers, and splitting
a reply into Discord messages (2,000 characters each) without breaking words or code blocks."""

from __future__ import annotations

import logging
import re

import discord

from bot.mind.turn import Person
from bot.places import Origin, OriginSource

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()  # an LLM reply can never ping @everyone, a role or a person
DM_REFUSED = 50007  # Discord: cannot send messages to this user
SOMETHING_WENT_WRONG = "Something went wrong on my side. It is in my log; try again in a moment."
DISCORD_LIMIT = 2000
_FENCE = re.compile(r"^\s*```")
_CLOSE = "\n```"


class _Parts:
    """Accumulates lines into parts; a part cut inside a code block is closed and the next one reopens it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit - len(_CLOSE)  # always leave room to close a code block
        self.done: list[str] = []
        self.lines: list[str] = []
        self.size = 0
        self.opener: str | None = None  # the ``` line of the code block we are inside, if any

    def room(self) -> int:
        return self.limit - self.size - (1 if self.lines else 0)

    def add(self, line: str) -> None:
        self.size += len(line) + (1 if self.lines else 0)
        self.lines.append(line)

    def cut(self) -> None:
        body = "\n".join(self.lines)
        if self.opener is not None:
            body += _CLOSE  # an unclosed block (even at the very end) is closed, so Discord renders it
        if body.strip() and body.strip() != (self.opener or "").strip():
            self.done.append(body)
        self.lines, self.size = [], 0
        if self.opener is not None:
            self.add(self.opener)

    def fresh(self) -> bool:
        """True when the current part holds nothing but a reopened fence."""
        return not self.lines or (self.opener is not None and self.lines == [self.opener])


def _break_at(line: str, room: int) -> int:
    """Where to cut an over-long line: the last space that fits, else a hard cut."""
    space = line.rfind(" ", 0, room + 1)
    return space if space > room // 2 else room


def split_message(text: str, limit: int = DISCORD_LIMIT) -> list[str]:
    parts = _Parts(limit)
    for original in text.split("\n"):
        line = original
        while len(line) > parts.room():
            if not parts.fresh():
                parts.cut()
                continue
            at = _break_at(line, parts.room())  # the line alone is too long for a message
            parts.add(line[:at].rstrip(" "))
            parts.cut()
            line = line[at:].lstrip(" ")
        parts.add(line)
        if _FENCE.match(original):
            parts.opener = None if parts.opener is not None else original.strip()
    parts.cut()
    return parts.done or [""]


async def reply_privately(interaction: discord.Interaction, message: str) -> None:
    """Answer an interaction only its author sees, whether or not it was answered (or deferred) already."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(message, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("could not answer interaction %s: HTTP %s", interaction.id, exc.status)


# -- from Discord's objects to the core's words: the one place they are translated -----------------------------


def person_of(user: discord.User | discord.Member) -> Person:
    return Person(str(user.id), user.display_name)


def origin_of(message: discord.Message) -> Origin:
    """Where a message was said: a DM, or a channel of a server (with its ids, so the visibility rule can apply)."""
    return Origin(
        OriginSource.DM if message.guild is None else OriginSource.CHANNEL,
        guild_id=message.guild.id if message.guild else None,
        channel_id=message.channel.id,
        message_id=message.id,
    )


def origin_of_command(interaction: discord.Interaction) -> Origin:
    """Where a slash command was used: the place whose visibility decides what it may show."""
    return Origin(
        OriginSource.DM if interaction.guild_id is None else OriginSource.CHANNEL,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
    )
