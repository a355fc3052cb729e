"""DMs and mentions go to the core and are answered like a person would: AIKI reads to the end before it answers
(it waits a moment after a message, and while the person is still typing, so what they send in a row gets one
reply), messages sent while AIKI is writing a reply are answered together in the next one, messages sent while
AIKI was away are read back when it returns, and a reply cut short by a lost connection gets its cut-off note once
Discord is back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
import discord
from discord.ext import commands

from bot.access import REFUSAL, Access
from bot.checkins.planner import CheckinPlanner
from bot.clock import Clock, utcnow
from bot.errors import AikiError
from bot.mind.core import Consciousness, Incoming, Person
from bot.mind.turn import Burst, Quoted, Received
from cogs.attachments import pictures_of
from cogs.common import DM_REFUSED, NO_MENTIONS, SOMETHING_WENT_WRONG, origin_of, person_of
from cogs.replies import CheckinOffer, FollowUpOffer, StreamedReply

log = logging.getLogger(__name__)

# A stranger hears the refusal once in this long, not once per message.
REFUSE_AGAIN_AFTER_S = 3600.0
REPLY_CHAIN_DEPTH = 4
# How many of a channel's latest messages are read back after AIKI was away (Discord gives 100 per request).
READ_BACK_LIMIT = 100
# The network under Discord's client failing (not Discord refusing): the reply is finished after reconnecting.
CONNECTION_LOST = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
LOST_CONNECTION = "my connection to Discord was lost"
# Discord shows "is typing" for this long after each typing event (a client that keeps typing sends another).
TYPING_LASTS_S = 10.0
# However long someone keeps typing, AIKI answers what they have sent after this long.
LONGEST_PAUSE_S = 20.0


# Where AIKI reads back: a DM or a server channel (or thread).
Place = discord.DMChannel | discord.TextChannel | discord.Thread


@dataclass(frozen=True)
class Waiting:
    """A stored message waiting for AIKI's reply; `away`: it was sent while AIKI was not connected."""

    message: discord.Message
    received: Received
    away: bool = False


@dataclass
class Conversation:
    """One person in one channel: the messages the next reply answers, and whether a reply is being written.
    Times are time.monotonic() seconds: when their latest message came, and when they were last seen typing."""

    waiting: list[Waiting] = field(default_factory=list)
    answering: bool = False
    last_message_at: float = 0.0
    typing_at: float | None = None

    def typing_until(self) -> float | None:
        """When their typing indicator runs out, if they have been typing since their latest message."""
        if self.typing_at is None or self.typing_at < self.last_message_at:
            return None
        return self.typing_at + TYPING_LASTS_S


@dataclass(frozen=True)
class CutOff:
    """A reply whose end could not be shown because the connection went; shown once Discord is back."""

    message: discord.Message
    reply: StreamedReply  # what it has written so far is in reply.text


class ChatCog(commands.Cog):
    def __init__(
        self,
        bot: commands.Bot,
        core: Consciousness,
        access: Access,
        planner: CheckinPlanner | None,
        catch_up: timedelta = timedelta(hours=24),
        clock: Clock = utcnow,
        pause: timedelta = timedelta(0),
    ) -> None:
        self.bot = bot  # AIKI's own user (mentions, replies to AIKI), channels and people to read back after a break
        self.core = core
        self.access = access
        self.planner = planner
        self.catch_up_window = catch_up
        self.clock = clock
        self.pause_s = pause.total_seconds()
        # Storing keeps arrival order: a message waits here while the one before it fetches its reply chain.
        self._taking_in: dict[int, asyncio.Lock] = {}
        self._conversations: dict[tuple[int, int], Conversation] = {}
        self._refused_at: dict[int, float] = {}
        self._cut_off: list[CutOff] = []
        self._reading_back = asyncio.Lock()

    # -- arriving ------------------------------------------------------------

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
        if await self._take_in(message):
            await self._answer_waiting(message)

    async def _take_in(self, message: discord.Message, away: bool = False) -> bool:
        """Store the message at once and put it in line for the next reply in its channel. False: nothing to
        answer (stored before, or refused with a reason, such as an empty message)."""
        # No await before taking the lock: the order messages arrive in is the order they are stored.
        async with self._taking_in.setdefault(message.author.id, asyncio.Lock()):
            try:
                received = await self.core.receive(await self._incoming(message, away))
            except AikiError as exc:
                await self._send_safely(message, str(exc))
                return False
        if received is None:
            return False
        conversation = self._conversations.setdefault(_key(message), Conversation())
        conversation.waiting.append(Waiting(message, received, away))
        conversation.last_message_at = time.monotonic()
        return True

    @commands.Cog.listener()
    async def on_raw_typing(self, event: discord.RawTypingEvent) -> None:
        """Someone with a message waiting for AIKI's reply is writing more: the reply waits for it."""
        conversation = self._conversations.get((event.user_id, event.channel_id))
        if conversation is not None:
            conversation.typing_at = time.monotonic()

    async def _answer_waiting(self, message: discord.Message) -> None:
        """Answer what waits in this message's conversation once the person has finished writing. While a reply is
        being written, messages that come in wait, and the next reply answers all of them together (one model call
        for a burst, not one each)."""
        key = _key(message)
        conversation = self._conversations.get(key)
        if conversation is None or conversation.answering:
            return
        conversation.answering = True
        try:
            while conversation.waiting:
                await self._let_them_finish(conversation)
                batch, conversation.waiting = conversation.waiting, []
                await self._answer(batch)
        finally:
            conversation.answering = False
            if not conversation.waiting and self._conversations.get(key) is conversation:
                del self._conversations[key]

    async def _let_them_finish(self, conversation: Conversation) -> None:
        """Wait until the person has sent nothing for `pause` and is not typing (at most LONGEST_PAUSE_S): a
        person reads "hey", "so guess what", "I got the job!" to the end and answers once."""
        if self.pause_s <= 0:
            return
        latest = time.monotonic() + LONGEST_PAUSE_S
        while True:
            quiet_at = max(conversation.last_message_at + self.pause_s, conversation.typing_until() or 0.0)
            left = min(quiet_at, latest) - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(left)  # what came in meanwhile only moves the time to answer later

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

    async def _incoming(self, message: discord.Message, away: bool) -> Incoming:
        person = person_of(message.author)
        sent_at = message.created_at if away else None  # read back later: stored at the time it was written
        chain, looked = await self._reply_chain(message), await pictures_of(message)
        return Incoming(
            person, self._text_of(message), origin_of(message), chain, None, sent_at, looked.pictures, looked.unread
        )

    # -- answering -----------------------------------------------------------

    async def _answer(self, batch: Sequence[Waiting]) -> None:
        """One reply to the last message of the batch, taking all of them into account."""
        message = batch[-1].message
        await self._tell_late_forget(message)
        reply = StreamedReply(message)
        stream = self.core.answer(Burst(tuple(w.received for w in batch), away=any(w.away for w in batch)))
        try:
            async with message.channel.typing():
                first = await anext(aiter(stream), None)
            if first is not None:
                await reply.update(first)
                async for chunk in stream:
                    await reply.update(reply.text + chunk)
            await reply.update(reply.text, final=True)
        except AikiError as exc:
            await self._failed(message, reply, str(exc))
        except discord.Forbidden as exc:
            log.warning("Discord refused a reply in channel %s (code %s)", message.channel.id, exc.code)
        except discord.HTTPException as exc:
            log.warning("Discord error while replying in channel %s: HTTP %s", message.channel.id, exc.status)
        except CONNECTION_LOST as exc:
            # The turn is stored as cut off (the stream closes below); the reply says so once Discord is back.
            log.warning(
                "connection to Discord lost while replying to message %s (%s); finishing it after reconnecting",
                message.id,
                type(exc).__name__,
            )
            self._cut_off.append(CutOff(message, reply))
        except Exception:
            log.exception("answering message %s from %s failed", message.id, message.author.id)
            await self._failed(message, reply, SOMETHING_WENT_WRONG)
        else:
            await self._offer_checkins(message)
        finally:
            await stream.aclose()  # a reply Discord would not take: stop generating it

    async def _tell_late_forget(self, message: discord.Message) -> None:
        """A forget of theirs that a crash cut short was finished at start: say so once, in their DM only (in a
        server others would read that they asked AIKI to forget)."""
        notice = await self.core.take_late_forget_notice(Person(str(message.author.id)))
        if notice is None:
            return
        try:
            await message.author.send(notice, allowed_mentions=NO_MENTIONS)
        except (discord.HTTPException, *CONNECTION_LOST) as exc:
            log.warning(
                "could not tell %s that a forget was completed late (%s)", message.author.id, type(exc).__name__
            )

    async def _offer_checkins(self, message: discord.Message) -> None:
        """The core noticed a project or an event ahead: ask once, with buttons, where it was said; nothing is
        scheduled without a yes."""
        if self.planner is None:
            return
        person, place = Person(str(message.author.id)), origin_of(message)
        topic = self.core.take_proposal(person, place)
        followup = self.core.take_followup_offer(person, place)
        try:
            if topic is not None:
                await message.channel.send(
                    f"Should I check in with you about **{topic}** now and then?",
                    view=CheckinOffer(self.planner, person.scope, topic),
                    allowed_mentions=NO_MENTIONS,
                )
            if followup is not None:
                topic_id, what = followup
                await message.channel.send(
                    f"Should I ask you how **{discord.utils.escape_markdown(what)}** went, once it's over?",
                    view=FollowUpOffer(self.planner, person.scope, topic_id, what),
                    allowed_mentions=NO_MENTIONS,
                )
        except (discord.HTTPException, *CONNECTION_LOST) as exc:  # the reply itself is whole; the offer can wait
            log.warning("could not offer a check-in in channel %s (%s)", message.channel.id, type(exc).__name__)

    async def _failed(self, message: discord.Message, reply: StreamedReply, why: str) -> None:
        """Never leave a half reply looking finished: mark it as cut off, or answer with the reason."""
        try:
            if reply.sent or reply.text.strip():
                await reply.update(f"{reply.text.rstrip()}\n\n*(cut off: {why})*", final=True)
            else:
                await self._send_safely(message, why)
        except discord.HTTPException as exc:
            log.warning("could not tell %s about a failure: HTTP %s", message.author.id, exc.status)
        except CONNECTION_LOST as exc:
            log.warning("could not tell %s about a failure (%s); trying again", message.author.id, type(exc).__name__)
            self._cut_off.append(CutOff(message, reply))

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
        except CONNECTION_LOST as exc:
            log.warning("could not answer in channel %s: connection lost (%s)", message.channel.id, type(exc).__name__)

    # -- after a break -------------------------------------------------------

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Connected (at start, or again after a session was lost): finish cut-off replies, then read back."""
        await self._finish_cut_off()
        await self.read_back()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        """Discord replays what happened during a resumed session itself; only cut-off replies need finishing."""
        await self._finish_cut_off()

    async def _finish_cut_off(self) -> None:
        pending, self._cut_off = self._cut_off, []
        for cut in pending:
            await self._failed(cut.message, cut.reply, LOST_CONNECTION)

    async def read_back(self) -> None:
        """DMs and mentions sent since the last message AIKI saw: those within the catch-up window are answered
        once (one reply per person and channel, with a word that AIKI was away); older ones are only learned.
        A message stored before is never taken in again, so nothing is answered twice across restarts."""
        async with self._reading_back:
            seen = await self.core.last_seen_messages()
            now = self.clock()
            taken: list[discord.Message] = []
            for channel in await self._places_to_read(seen):
                for message in await self._unseen(channel, seen.get(channel.id), now):
                    if now - message.created_at <= self.catch_up_window:
                        if await self._take_in(message, away=True):
                            taken.append(message)
                    else:
                        await self._learn_only(message)
            if taken:
                log.info("read back %d messages sent while AIKI was away", len(taken))
            firsts = {_key(message): message for message in taken}
            await asyncio.gather(*(self._answer_waiting(message) for message in firsts.values()))

    async def _places_to_read(self, seen: dict[int, int]) -> list[Place]:
        """The DM of everyone AIKI talks with, and every server channel where they talked with AIKI before."""
        places: dict[int, Place] = {}
        for user_id in sorted(self.access.people()):
            try:
                user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
                dm = user.dm_channel or await user.create_dm()
            except (discord.HTTPException, *CONNECTION_LOST) as exc:
                log.warning("could not open the DM with %s to read back (%s)", user_id, type(exc).__name__)
                continue
            places[dm.id] = dm
        for channel_id in seen:
            channel = self.bot.get_channel(channel_id)
            if isinstance(channel, discord.TextChannel | discord.Thread) and channel.id not in places:
                places[channel.id] = channel
        return list(places.values())

    async def _unseen(self, channel: Place, last_seen: int | None, now: datetime) -> list[discord.Message]:
        """Addressed messages of allowed people after `last_seen` (or within the window, for a channel never
        seen), oldest first; at most READ_BACK_LIMIT of the channel's latest."""
        floor = last_seen or discord.utils.time_snowflake(now - self.catch_up_window)
        try:
            latest = [message async for message in channel.history(limit=READ_BACK_LIMIT)]
        except (discord.HTTPException, *CONNECTION_LOST) as exc:
            log.warning("could not read back channel %s (%s)", getattr(channel, "id", "?"), type(exc).__name__)
            return []
        fresh = [m for m in latest if m.id > floor and self._addressed(m) and self.access.allows(m.author.id)]
        return sorted(fresh, key=lambda message: message.id)

    async def _learn_only(self, message: discord.Message) -> None:
        """Too old to answer now: stored and learned, never replied to."""
        try:
            received = await self.core.receive(await self._incoming(message, away=True))
        except AikiError:
            return
        if received is not None:
            await self.core.learn_unanswered(received)


def _key(message: discord.Message) -> tuple[int, int]:
    return message.author.id, message.channel.id
