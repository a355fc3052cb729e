"""A Discord message's attachments as pictures for the core (bot/pictures.py): each is downloaded from Discord only
when it may be a picture and is not too big, then checked and made small in a worker thread. Nothing touches disk."""

from __future__ import annotations

import logging

import aiohttp
import discord

from bot.pictures import Looked, PictureFile, PictureRefusedError, look_at, short_name

log = logging.getLogger(__name__)

NOTHING_ATTACHED = Looked()


async def pictures_of(message: discord.Message) -> Looked:
    """The pictures of a message, and one line for each attachment AIKI did not look at, saying why."""
    if not message.attachments:
        return NOTHING_ATTACHED
    return await look_at([_as_file(attachment) for attachment in message.attachments])


def _as_file(attachment: discord.Attachment) -> PictureFile:
    async def read() -> bytes:
        try:
            return await attachment.read()  # into memory only
        except (TimeoutError, discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            log.warning("could not download attachment %s (%s)", attachment.id, type(exc).__name__)
            raise PictureRefusedError(f"I couldn't download {short_name(attachment.filename)} from Discord.") from None

    return PictureFile(attachment.filename, attachment.size, attachment.content_type, read)
