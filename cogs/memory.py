"""/remember, /recall, /forget, /memories and /privacy. Replies are ephemeral: memories are private."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.access import Access
from bot.memory.models import Memory
from bot.mind.core import Consciousness, Person
from cogs.common import NO_MENTIONS, origin_of_command, person_of

log = logging.getLogger(__name__)

PAGE = 8
VIEW_TIMEOUT_S = 300


def describe(memory: Memory, core: Consciousness) -> str:
    day = memory.created_at.astimezone(core.zone).strftime("%Y-%m-%d")
    where = {"dm": "DM", "channel": "server", "cli": "terminal", "import": "import"}.get(
        memory.origin.source.value, "me"
    )
    text = memory.text if len(memory.text) <= 180 else memory.text[:177] + "..."
    replaced = " · replaced" if memory.superseded_by else ""  # a link brings what was true before (/recall)
    return f"`{memory.id[:8]}` {day} · {memory.kind.value}{replaced} · from {where}\n> {text}"


class ForgetEverything(discord.ui.View):
    """A confirmation only the person who asked can press."""

    def __init__(self, core: Consciousness, person: Person) -> None:
        super().__init__(timeout=VIEW_TIMEOUT_S)
        self.core = core
        self.person = person

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return str(interaction.user.id) == self.person.scope

    @discord.ui.button(label="Forget everything", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction, button: discord.ui.Button[ForgetEverything]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.core.forget_everything(self.person)
        self.stop()
        await interaction.followup.send(
            f"Done. I forgot {report.memories} memories, {report.turns} messages and how I felt about you.",
            ephemeral=True,
        )

    @discord.ui.button(label="Cancel", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction, button: discord.ui.Button[ForgetEverything]) -> None:
        self.stop()
        await interaction.response.send_message("Nothing was forgotten.", ephemeral=True)


class MemoryPages(discord.ui.View):
    """Pages through a person's memories with buttons (Qdrant scroll offsets, one step back kept)."""

    def __init__(self, core: Consciousness, person: Person) -> None:
        super().__init__(timeout=VIEW_TIMEOUT_S)
        self.core = core
        self.person = person
        self.offsets: list[str | None] = [None]
        self.next_offset: str | None = None

    async def render(self) -> str:
        page, self.next_offset = await self.core.list_memories(self.person, PAGE, self.offsets[-1])
        self.previous.disabled = len(self.offsets) == 1
        self.following.disabled = self.next_offset is None
        if not page:
            return "I have no memories of you yet."
        lines = [describe(memory, self.core) for memory in page]
        return f"**Your memories, page {len(self.offsets)}**\n" + "\n".join(lines)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return str(interaction.user.id) == self.person.scope

    @discord.ui.button(label="◀ Previous", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction, button: discord.ui.Button[MemoryPages]) -> None:
        if len(self.offsets) > 1:
            self.offsets.pop()
        await interaction.response.edit_message(content=await self.render(), view=self)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary)
    async def following(self, interaction: discord.Interaction, button: discord.ui.Button[MemoryPages]) -> None:
        if self.next_offset is not None:
            self.offsets.append(self.next_offset)
        await interaction.response.edit_message(content=await self.render(), view=self)


class MemoryCog(commands.Cog):
    def __init__(self, core: Consciousness, access: Access) -> None:
        self.core = core
        self.access = access

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        return self.access.allows(interaction.user.id)

    @app_commands.command(name="remember", description="Ask AIKI to remember something")
    @app_commands.describe(text="What AIKI should remember")
    async def remember(self, interaction: discord.Interaction, text: app_commands.Range[str, 1, 2000]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        memory = await self.core.remember(person_of(interaction.user), text, origin_of_command(interaction))
        await interaction.followup.send(f"I'll remember that. (`{memory.id[:8]}`)", ephemeral=True)

    @app_commands.command(name="recall", description="What AIKI remembers about something")
    @app_commands.describe(query="What to look for")
    async def recall(self, interaction: discord.Interaction, query: app_commands.Range[str, 1, 500]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.core.recall(person_of(interaction.user), query, place=origin_of_command(interaction))
        if not found:
            await interaction.followup.send("Nothing comes to mind.", ephemeral=True)
            return
        body = "\n".join(describe(item.hit.memory, self.core) for item in found)
        await interaction.followup.send(body[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="forget", description="Forget one memory by id, or everything about you")
    @app_commands.describe(memory_id="The id /recall or /memories shows; leave empty to forget everything")
    async def forget(self, interaction: discord.Interaction, memory_id: str | None = None) -> None:
        person = person_of(interaction.user)
        if not memory_id:
            await interaction.response.send_message(
                "Forget everything about you: our history, my mood towards you, all memories and check-ins?",
                view=ForgetEverything(self.core, person),
                ephemeral=True,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        full_id = await self.core.memory_id_from(person, memory_id.strip())
        if full_id and await self.core.forget(person, full_id):
            await interaction.followup.send("Forgotten.", ephemeral=True)
        else:
            await interaction.followup.send("You have no memory with that id. /memories lists them.", ephemeral=True)

    @app_commands.command(name="memories", description="Page through everything AIKI remembers about you")
    async def memories(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        pages = MemoryPages(self.core, person_of(interaction.user))
        await interaction.followup.send(await pages.render(), view=pages, ephemeral=True)

    @app_commands.command(name="about-me", description="What AIKI understands about you")
    async def about_me(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        profile = await self.core.about(person_of(interaction.user), origin_of_command(interaction))
        if profile is None:
            await interaction.followup.send(
                "I have not put together what I understand about you yet, or not for this place.", ephemeral=True
            )
            return
        day = profile.created_at.astimezone(self.core.zone).strftime("%Y-%m-%d")
        body = f"**What I understand about you** (as of {day}; `/forget {profile.id[:8]}` removes it)\n{profile.text}"
        await interaction.followup.send(body[:2000], ephemeral=True, allowed_mentions=NO_MENTIONS)

    @app_commands.command(name="privacy", description="May AIKI use what you told it in DMs when you talk in servers?")
    @app_commands.describe(share_dm_memories_in_servers="Allow memories from DMs in server channels (default: no)")
    async def privacy(self, interaction: discord.Interaction, share_dm_memories_in_servers: bool) -> None:
        await self.core.share_dm_memories_in_servers(person_of(interaction.user), share_dm_memories_in_servers)
        answer = "I may now use" if share_dm_memories_in_servers else "I will keep"
        tail = (
            "what you told me in DMs in server channels too."
            if share_dm_memories_in_servers
            else ("what you told me in DMs out of server channels.")
        )
        await interaction.response.send_message(f"{answer} {tail}", ephemeral=True)
