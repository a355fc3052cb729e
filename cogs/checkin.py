"""/checkin add | list | remove | pause | settings: the topics AIKI checks in about, and when it may."""

from __future__ import annotations

from datetime import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access
from bot.checkins.planner import CheckinPlanner, describe_cadence
from bot.checkins.scheduler import CheckinScheduler
from bot.errors import InvalidInputError


def _clock_time(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(f"{text!r} is not a time of day; use HH:MM, e.g. 22:30.") from None


class CheckinCog(commands.GroupCog, group_name="checkin", group_description="AIKI checking in on your topics"):
    def __init__(self, access: Access, planner: CheckinPlanner, scheduler: CheckinScheduler) -> None:
        super().__init__()
        self.access = access
        self.planner = planner
        self.scheduler = scheduler

    async def cog_load(self) -> None:
        """Check-ins start waking up once the bot is logged in (they are delivered through it)."""
        await self.scheduler.start(self.planner)

    async def cog_unload(self) -> None:
        self.scheduler.shutdown()

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return self.access.allows(interaction.user.id)

    @app_commands.command(name="add", description="Let AIKI ask you about a topic now and then")
    @app_commands.describe(topic="e.g. AIKI-HOME", cadence="daily, weekly, 12h, 3d ... (default daily)")
    async def add(self, interaction: discord.Interaction, topic: str, cadence: str | None = None) -> None:
        made = await self.planner.add(str(interaction.user.id), topic, cadence)
        await interaction.response.send_message(
            f"I'll check in about **{made.name}** {describe_cadence(made.cadence_hours)}, first on "
            f"{discord.utils.format_dt(made.next_due_at, 'f')}.",
            ephemeral=True,
        )

    @app_commands.command(name="list", description="Your check-in topics and when the next one comes")
    async def list_topics(self, interaction: discord.Interaction) -> None:
        found = await self.planner.explain(str(interaction.user.id))
        if not found:
            await interaction.response.send_message("No check-ins yet. `/checkin add` starts one.", ephemeral=True)
            return
        lines = [
            f"**{topic.name}** · {describe_cadence(topic.cadence_hours)} · {topic.status} · next "
            f"{discord.utils.format_dt(topic.next_due_at, 'R')}: {decision.reason}"
            for topic, decision in found
        ]
        await interaction.response.send_message("\n".join(lines)[:2000], ephemeral=True)

    @app_commands.command(name="remove", description="Stop checking in about a topic")
    async def remove(self, interaction: discord.Interaction, topic: str) -> None:
        removed = await self.planner.remove(str(interaction.user.id), topic)
        text = f"Removed **{topic}**." if removed else f"You have no check-in topic called {topic!r}."
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="pause", description="Pause (or resume) check-ins about a topic")
    @app_commands.describe(paused="False resumes it")
    async def pause(self, interaction: discord.Interaction, topic: str, paused: bool = True) -> None:
        changed = await self.planner.pause(str(interaction.user.id), topic, paused)
        if changed is None:
            text = f"You have no check-in topic called {topic!r}."
        else:
            text = f"**{changed.name}** is {'paused' if paused else 'active again'}."
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="settings", description="Quiet hours, time zone, daily limit, on/off")
    @app_commands.describe(
        quiet_start="Start of quiet hours, HH:MM (default 22:00)",
        quiet_end="End of quiet hours, HH:MM (default 08:00)",
        timezone="Your time zone, e.g. Europe/Oslo",
        daily_limit="At most this many check-ins a day (default 2)",
        enabled="Turn all check-ins on or off",
    )
    async def settings(
        self,
        interaction: discord.Interaction,
        quiet_start: str | None = None,
        quiet_end: str | None = None,
        timezone: str | None = None,
        daily_limit: app_commands.Range[int, 0, 24] | None = None,
        enabled: bool | None = None,
    ) -> None:
        changes: dict[str, object] = {}
        if quiet_start is not None:
            changes["quiet_start"] = _clock_time(quiet_start)
        if quiet_end is not None:
            changes["quiet_end"] = _clock_time(quiet_end)
        if timezone is not None:
            changes["timezone"] = timezone.strip()
        if daily_limit is not None:
            changes["daily_cap"] = daily_limit
        if enabled is not None:
            changes["enabled"] = enabled
            if enabled:
                changes["paused_reason"] = None  # turning them on again clears a pause after a refused DM
        prefs = await self.planner.update_prefs(str(interaction.user.id), **changes)
        await interaction.response.send_message(
            f"Check-ins {'on' if prefs.enabled and not prefs.paused_reason else 'off'}; quiet "
            f"{prefs.quiet_start:%H:%M}–{prefs.quiet_end:%H:%M} ({prefs.timezone or 'AIKI default time zone'}); "
            f"at most {prefs.daily_cap} a day.",
            ephemeral=True,
        )
