"""How AIKI's reply looks in Discord: it streams in by throttled edits, split at 2,000 characters, and a check-in
offer asks with buttons."""

from __future__ import annotations

import time

import discord

from bot.checkins.planner import CheckinPlanner
from cogs.common import NO_MENTIONS, split_message

# Discord allows about five edits per five seconds in a channel; one a second leaves room.
EDIT_INTERVAL_S = 1.0


class StreamedReply:
    """A reply that grows in place: the first part replies to the message, later parts follow it."""

    def __init__(self, to: discord.Message, interval_s: float | None = None) -> None:
        self.to = to
        self.interval_s = EDIT_INTERVAL_S if interval_s is None else interval_s
        self.sent: list[discord.Message] = []
        self.shown: list[str] = []
        self.text = ""  # everything written so far, shown or not (a lost connection can stop the showing)
        self._last_update = 0.0

    async def update(self, text: str, final: bool = False) -> None:
        self.text = text
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


class FollowUpOffer(discord.ui.View):
    """Yes or no to AIKI asking, once, how an event the person mentioned went."""

    def __init__(self, planner: CheckinPlanner, scope: str, topic_id: int, what: str) -> None:
        super().__init__(timeout=24 * 3600)
        self.planner, self.scope, self.topic_id, self.what = planner, scope, topic_id, what

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return str(interaction.user.id) == self.scope

    async def _answer(self, interaction: discord.Interaction, yes: bool) -> None:
        self.stop()
        topic = await self.planner.answer_followup(self.scope, self.topic_id, yes)
        what = discord.utils.escape_markdown(self.what)
        if topic is None:
            text = f"That question about {what} is gone (forgotten, or answered already)."
        elif yes:
            text = f"Deal: I'll ask you how {what} went, {discord.utils.format_dt(topic.next_due_at, 'R')} or so."
        else:
            text = f"Alright, I won't ask about {what}."
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Yes, ask me", style=discord.ButtonStyle.primary)
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[FollowUpOffer]) -> None:
        await self._answer(interaction, True)

    @discord.ui.button(label="No thanks", style=discord.ButtonStyle.secondary)
    async def no(self, interaction: discord.Interaction, button: discord.ui.Button[FollowUpOffer]) -> None:
        await self._answer(interaction, False)
