"""The Discord side: a `commands.Bot` that carries the core, loads the cogs, and handles app-command errors."""

from __future__ import annotations

import logging

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands
from pydantic import SecretStr

from bot.access import REFUSAL, Access
from bot.checkins import CheckinPlanner, DeliveryRefusedError
from bot.clock import utcnow
from bot.core import Consciousness
from bot.errors import AikiError, ConfigError
from bot.scheduler import CheckinScheduler
from bot.settings import Settings

log = logging.getLogger(__name__)

EXTENSIONS = ("cogs.chat", "cogs.memory", "cogs.mood", "cogs.checkin")
NO_MENTIONS = discord.AllowedMentions.none()
DM_REFUSED = 50007  # Discord: cannot send messages to this user
SOMETHING_WENT_WRONG = "Something went wrong on my side. It is in my log; try again in a moment."


def minimal_intents() -> discord.Intents:
    """DMs and mentions only. Discord sends message content for DMs and mentions without the privileged intent."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    intents.guild_messages = True
    return intents


def quiet_voice_warnings() -> None:
    """AIKI never joins voice: the "voice will NOT be supported" warnings at start-up are noise for its owner."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


class AikiBot(commands.Bot):
    def __init__(
        self,
        core: Consciousness,
        settings: Settings,
        sync_commands: bool = True,
        intents: discord.Intents | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or minimal_intents(),
            allowed_mentions=NO_MENTIONS,  # an LLM reply can never ping @everyone, a role or a person
            help_command=None,
        )
        self.core = core
        self.settings = settings
        self.access = Access(frozenset(settings.owner_ids), frozenset(settings.allowed_user_ids))
        self._sync_commands = sync_commands
        self.tree.error(self.on_app_command_error)
        # Set by run_discord: check-ins need the bot (to deliver) and the bot's cogs need the planner.
        self.planner: CheckinPlanner | None = None
        self.scheduler: CheckinScheduler | None = None

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            try:
                await self.load_extension(extension)
            except Exception:  # one broken cog must not keep AIKI from talking
                log.exception("could not load %s; AIKI starts without it", extension)
        if self._sync_commands:
            await self._sync()
        if self.scheduler is not None:
            await self.scheduler.start()

    async def close(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
        await super().close()

    async def _sync(self) -> None:
        try:
            if self.settings.dev_guild_id:
                guild = discord.Object(id=self.settings.dev_guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d slash commands to the development server %s", len(synced), guild.id)
            else:
                synced = await self.tree.sync()
                log.info("synced %d slash commands globally (Discord may take up to an hour to show them)", len(synced))
        except discord.HTTPException as exc:
            log.error("could not sync slash commands (HTTP %s): %s", exc.status, exc.text)

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: conversation is the chat cog's, commands are slash commands."""

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s (id %s)", self.user, self.user.id if self.user else "?")

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """The one place slash-command failures become a short, private answer."""
        original = getattr(error, "original", error)
        if isinstance(error, app_commands.CheckFailure):
            message = REFUSAL
        elif isinstance(original, AikiError):
            message = str(original)
        else:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.error("/%s failed for %s", command, interaction.user.id, exc_info=original)
            message = SOMETHING_WENT_WRONG
        await reply_privately(interaction, message)


async def reply_privately(interaction: discord.Interaction, message: str) -> None:
    try:
        if interaction.response.is_done():
            await interaction.followup.send(message, ephemeral=True, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.send_message(message, ephemeral=True, allowed_mentions=NO_MENTIONS)
    except discord.HTTPException as exc:
        log.warning("could not answer interaction %s: HTTP %s", interaction.id, exc.status)


class DiscordNotifier:
    """Delivers what the scheduler decided to say, as a DM. Discord's rate limits are waited out by discord.py."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def deliver(self, scope: str, text: str) -> None:
        from cogs.split import split_message

        try:
            user = self.bot.get_user(int(scope)) or await self.bot.fetch_user(int(scope))
            for part in split_message(text):
                await user.send(part, allowed_mentions=NO_MENTIONS)
        except discord.Forbidden as exc:
            if exc.code == DM_REFUSED:
                raise DeliveryRefusedError("Discord refused the DM (50007: they do not accept DMs from AIKI)") from None
            raise AikiError(f"Discord refused the DM (code {exc.code})") from None
        except discord.HTTPException as exc:
            raise AikiError(f"Discord error {exc.status} while sending a DM") from None


def attach_checkins(bot: AikiBot) -> None:
    """Check-ins: a planner over the core and SQLite, a notifier over the bot, and the scheduler."""
    planner = CheckinPlanner(bot.core, bot.core.state, DiscordNotifier(bot), bot.core.zone, utcnow)
    bot.planner = planner
    bot.scheduler = CheckinScheduler(planner, utcnow)
    bot.core.on_person_active = planner.person_active


async def run_discord(core: Consciousness, settings: Settings, token: SecretStr) -> None:
    """Connect and serve until stopped. A token Discord refuses is a ConfigError naming the setting (exit 2)."""
    quiet_voice_warnings()
    bot = AikiBot(core, settings)
    attach_checkins(bot)
    async with bot:
        try:
            await bot.start(token.get_secret_value())
        except discord.LoginFailure:
            raise ConfigError("Discord refused AIKI_DISCORD_TOKEN: copy the token again from the Bot page.") from None
        except (aiohttp.ClientError, OSError) as exc:
            log.error("cannot reach Discord: %s", exc)
            raise AikiError(
                "Cannot reach Discord. Check this machine's internet connection (and any proxy), then start again; "
                "`aiki chat` works without Discord."
            ) from None
