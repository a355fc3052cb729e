"""DMs and mentions go to the core; the reply streams into Discord by throttled edits, split at 2,000 chars."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator

import discord
from discord.ext import commands

from bot.access import REFUSAL, Access
from bot.checkins.planner import CheckinPlanner
from bot.discord_bot.common import DM_REFUSED, NO_MENTIONS, SOMETHING_WENT_WRONG, split_message
from bot.errors import AikiError
from bot.memory.models import Origin, OriginSource
from bot.mind.core import Consciousness, Incoming, Person
from bot.mind.turn import Quoted

log = logging.getLogger(__name__)

# Discord allows about five edits per five seconds in a channel; one a second leaves room.
EDIT_INTERVAL_S = 1.0
# A stranger hears the refusal once in this long, not once per message.
REFUSE_AGAIN_AFTER_S = 3600.0
REPLY_CHAIN_DEPTH = 4


class StreamedReply:
    """A reply that grows in place: the first part replies to the message, later parts follow it."""

    def __init__(self, to: discord.Message, interval_s: float = EDIT_INTERVAL_S) -> None:
        self.to = to
        self.interval_s = interval_s
        self.sent: list[discord.Message] = []
        self.shown: list[str] = []
        self._last_update = 0.0

    async def update(self, text: str, final: bool = False) -> None:
        if not final and time.monotonic() - self._last_update < self.interval_s:
            return
        self._last_update = time.monotonic()
        for index, part in enumerate(split_message(text)):
            if index < len(self.sent):
                if self.shown[index] != part:
                    await self.sent[index].edit(content=part, allowed_mentions=NO_MENTIONS)
                    self.shown[index] = part
            elif index == 0:
                self.sent.append(await self.to.reply(part, mention_author=False, allowed_mentions=NO_MENTIONS))
                self.shown.append(part)
            else:
                self.sent.append(await self.to.channel.send(part, allowed_mentions=NO_MENTIONS))
                self.shown.append(part)


class CheckinOffer(discord.ui.View):
    def __init__(self, planner: CheckinPlanner, scope: str, topic: str) -> None:
        super().__init__(timeout=24 * 3600)
        self.planner, self.scope, self.topic = planner, scope, topic

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return str(interaction.user.id) == self.scope

    async def _answer(self, interaction: discord.Interaction, cadence: str | None) -> None:
        self.stop()
        if cadence is None:
            await self.planner.decline(self.scope, self.topic)
            text = f"Alright, I won't check in about {self.topic}."
        else:
            await self.planner.add(self.scope, self.topic, cadence)
            text = f"Deal: I'll check in about {self.topic} {cadence}. `/checkin list` shows it."
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Yes, daily", style=discord.ButtonStyle.primary)
    async def daily(self, interaction: discord.Interaction, button: discord.ui.Button[CheckinOffer]) -> None:
        await self._answer(interaction, "daily")

    @discord.ui.button(label="Yes, weekly", style=discord.ButtonStyle.primary)
    async def weekly(self, interaction: discord.Interaction, button: discord.ui.Button[CheckinOffer]) -> None:
        await self._answer(interaction, "weekly")

    @discord.ui.button(label="No thanks", style=discord.ButtonStyle.secondary)
    async def no(self, interaction: discord.Interaction, button: discord.ui.Button[CheckinOffer]) -> None:
        await self._answer(interaction, None)


def origin_of(message: discord.Message) -> Origin:
    return Origin(
        OriginSource.DM if message.guild is None else OriginSource.CHANNEL,
        guild_id=message.guild.id if message.guild else None,
        channel_id=message.channel.id,
        message_id=message.id,
    )


class ChatCog(commands.Cog):
    def __init__(self, bot: commands.Bot, core: Consciousness, access: Access, planner: CheckinPlanner | None) -> None:
        self.bot = bot  # only to know AIKI's own user (mentions, replies to AIKI)
        self.core = core
        self.access = access
        self.planner = planner
        # The core keeps one turn per person in arrival order itself; this lock also covers fetching the reply
        # chain, so two quick messages are handed to the core in the order they came.
        self._turns: dict[int, asyncio.Lock] = {}
        self._refused_at: dict[int, float] = {}

    def _addressed(self, message: discord.Message) -> bool:
        if message.author.bot or self.bot.user is None:
            return False
        if message.guild is None:
            return True
        if self.bot.user in message.mentions:
            return True
        resolved = message.reference.resolved if message.reference else None
        return isinstance(resolved, discord.Message) and resolved.author.id == self.bot.user.id

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if not self._addressed(message):
            return
        if not self.access.allows(message.author.id):
            await self._refuse(message)
            return
        # No await before taking the lock: the order messages arrive in is the order they are answered.
        lock = self._turns.setdefault(message.author.id, asyncio.Lock())
        async with lock:
            await self._answer(message)

    async def _refuse(self, message: discord.Message) -> None:
        now = time.monotonic()
        last = self._refused_at.get(message.author.id)
        if last is not None and now - last < REFUSE_AGAIN_AFTER_S:
            return
        self._refused_at[message.author.id] = now
        log.info("refused a message from %s (not owner or allowed)", message.author.id)
        await self._send_safely(message, REFUSAL)

    def _text_of(self, message: discord.Message) -> str:
        text = message.content
        if self.bot.user is not None:
            for mention in (f"<@{self.bot.user.id}>", f"<@!{self.bot.user.id}>"):
                text = text.replace(mention, "")
        return text.strip()

    async def _reply_chain(self, message: discord.Message) -> tuple[Quoted, ...]:
        """The earlier messages this one replies to, oldest first, each with where it was said (the core shows
        only what is visible where this message was written)."""
        chain: list[Quoted] = []
        current = message
        for _ in range(REPLY_CHAIN_DEPTH):
            reference = current.reference
            if reference is None or reference.message_id is None:
                break
            parent = reference.resolved if isinstance(reference.resolved, discord.Message) else None
            if parent is None:
                try:
                    parent = await current.channel.fetch_message(reference.message_id)
                except discord.HTTPException:
                    break
            who = "AIKI" if self.bot.user and parent.author.id == self.bot.user.id else parent.author.display_name
            chain.append(Quoted(f"{who}: {self._text_of(parent)}", origin_of(parent)))
            current = parent
        return tuple(reversed(chain))

    async def _incoming(self, message: discord.Message) -> Incoming:
        person = Person(str(message.author.id), message.author.display_name)
        return Incoming(person, self._text_of(message), origin_of(message), await self._reply_chain(message))

    async def _answer(self, message: discord.Message) -> None:
        reply = StreamedReply(message)
        text = ""
        stream: AsyncGenerator[str, None] | None = None
        try:
            stream = self.core.respond(await self._incoming(message))
            async with message.channel.typing():
                first = await anext(aiter(stream), None)
            if first is not None:
                text = first
                await reply.update(text)
                text = await self._stream_rest(stream, reply, text)
            await reply.update(text, final=True)
            await self._offer_checkins(message)
        except AikiError as exc:
            await self._failed(message, reply, text, str(exc))
        except discord.Forbidden as exc:
            log.warning("Discord refused a reply in channel %s (code %s)", message.channel.id, exc.code)
        except discord.HTTPException as exc:
            log.warning("Discord error while replying in channel %s: HTTP %s", message.channel.id, exc.status)
        except Exception:
            log.exception("answering message %s from %s failed", message.id, message.author.id)
            await self._failed(message, reply, text, SOMETHING_WENT_WRONG)
        finally:
            if stream is not None:
                await stream.aclose()  # a reply Discord would not take: stop generating it

    async def _offer_checkins(self, message: discord.Message) -> None:
        """The core noticed a project: ask once, with buttons; nothing is scheduled without a yes."""
        topic = self.core.take_proposal(Person(str(message.author.id)))
        if topic is None or self.planner is None:
            return
        await message.channel.send(
            f"Should I check in with you about **{topic}** now and then?",
            view=CheckinOffer(self.planner, str(message.author.id), topic),
            allowed_mentions=NO_MENTIONS,
        )

    async def _stream_rest(self, stream: AsyncIterator[str], reply: StreamedReply, text: str) -> str:
        async for chunk in stream:
            text += chunk
            await reply.update(text)
        return text

    async def _failed(self, message: discord.Message, reply: StreamedReply, partial: str, why: str) -> None:
        """Never leave a half reply looking finished: mark it as cut off, or answer with the reason."""
        try:
            if reply.sent:
                await reply.update(f"{partial}\n\n*(cut off: {why})*", final=True)
            else:
                await self._send_safely(message, why)
        except discord.HTTPException as exc:
            log.warning("could not tell %s about a failure: HTTP %s", message.author.id, exc.status)

    async def _send_safely(self, message: discord.Message, text: str) -> None:
        try:
            await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)
        except discord.Forbidden as exc:
            if exc.code == DM_REFUSED:
                log.warning("user %s does not accept DMs from AIKI (50007)", message.author.id)
            else:
                log.warning("Discord refused a message in channel %s (code %s)", message.channel.id, exc.code)
        except discord.HTTPException as exc:
            log.warning("Discord error in channel %s: HTTP %s", message.channel.id, exc.status)
