"""/mood show: AIKI's mood towards you and what moved it, with a chart; /mood set (owner only) nudges it."""

from __future__ import annotations

import asyncio
import io

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access
from bot.mind.core import Consciousness
from bot.mood_chart import render_mood_chart
from cogs.common import person_of

CHART_DAYS = 7
COLOURS = {"excited": 0xF4A261, "content": 0x2A9D8F, "calm": 0x8AB17D, "alert": 0xE9C46A,
           "sleepy": 0x9AA5B1, "worried": 0xE76F51, "down": 0x577590, "concerned": 0xE76F51, "saddened": 0x577590,
           "proud": 0xF4A261, "hurt": 0xB56576, "glad": 0x2A9D8F, "grateful": 0x8AB17D,
           "happy to see them": 0xF4A261, "wistful": 0x9AA5B1}  # fmt: skip


class MoodCog(commands.GroupCog, group_name="mood", group_description="AIKI's mood towards you"):
    def __init__(self, core: Consciousness, access: Access) -> None:
        super().__init__()
        self.core = core
        self.access = access

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return self.access.allows(interaction.user.id)

    @app_commands.command(name="show", description="How AIKI feels about you, and why")
    async def show(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        person = person_of(interaction.user)
        report = await self.core.mood_report(person, days=CHART_DAYS)
        state = report.state
        embed = discord.Embed(
            title=f"I feel {state.name}",
            description=f"valence {state.valence:+.2f} (sad ↔ glad), arousal {state.arousal:+.2f} (calm ↔ excited)",
            colour=COLOURS.get(state.name, 0x888888),
        )
        reasons = [f"{e.created_at.astimezone(self.core.zone):%d.%m %H:%M} · {e.reason}" for e in report.events[:6]]
        embed.add_field(name="What moved me lately", value="\n".join(reasons) or "Nothing in particular.", inline=False)
        chart = await asyncio.to_thread(render_mood_chart, report.events, state, self.core.zone, CHART_DAYS)
        embed.set_image(url="attachment://mood.png")
        await interaction.followup.send(
            embed=embed, file=discord.File(io.BytesIO(chart), filename="mood.png"), ephemeral=True
        )

    @app_commands.command(name="set", description="Nudge AIKI's mood towards someone (owner only)")
    @app_commands.describe(
        valence="-1 (sad) to 1 (glad)",
        arousal="-1 (calm) to 1 (excited)",
        user="Whose mood to set (default: yours)",
        reason="Why, kept with the change",
    )
    async def set_mood(
        self,
        interaction: discord.Interaction,
        valence: app_commands.Range[float, -1.0, 1.0],
        arousal: app_commands.Range[float, -1.0, 1.0],
        user: discord.User | None = None,
        reason: str = "my owner nudged it",
    ) -> None:
        if not self.access.is_owner(interaction.user.id):
            await interaction.response.send_message("Only my owner can set my mood.", ephemeral=True)
            return
        target = user or interaction.user
        state = await self.core.set_mood(person_of(target), valence, arousal, reason)
        await interaction.response.send_message(
            f"Mood towards {target.display_name} is now {state.name} "
            f"(valence {state.valence:+.2f}, arousal {state.arousal:+.2f}).",
            ephemeral=True,
        )
