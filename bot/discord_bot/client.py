"""The Discord side: a `commands.Bot` that adds the cogs it is given, handles app-command errors, and delivers
check-ins; `build_bot` wires it with the core, access and check-ins (the Discord part of the composition root)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands
from pydantic import SecretStr

from bot.access import REFUSAL, Access
from bot.checkins.planner import CheckinPlanner, DeliveryRefusedError
from bot.checkins.scheduler import CheckinScheduler
from bot.clock import Clock, utcnow
from bot.errors import AikiError, ConfigError
from bot.mind.core import Consciousness
from bot.settings import Settings
from cogs.common import DM_REFUSED, NO_MENTIONS, SOMETHING_WENT_WRONG, reply_privately, split_message

log = logging.getLogger(__name__)

# A cog, made once the bot exists (the chat cog needs the bot's own user to see mentions of it).
CogFactory = Callable[[commands.Bot], commands.Cog]


def minimal_intents() -> discord.Intents:
    """DMs and mentions only, and who is typing (AIKI waits while a person is still writing). Discord sends message
    content for DMs and mentions without the privileged intent."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.dm_messages = True
    intents.guild_messages = True
    intents.typing = True
    return intents


def quiet_voice_warnings() -> None:
    """AIKI never joins voice: the "voice will NOT be supported" warnings at start-up are noise for its owner."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


class AikiBot(commands.Bot):
    def __init__(
        self,
        cogs: Sequence[tuple[str, CogFactory]],
        dev_guild_id: int | None = None,
        sync_commands: bool = True,
        intents: discord.Intents | None = None,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or minimal_intents(),
            allowed_mentions=NO_MENTIONS,
            help_command=None,
        )
        self.cog_factories = tuple(cogs)
        self.dev_guild_id = dev_guild_id
        self._sync_commands = sync_commands
        self.tree.error(self.on_app_command_error)

    async def setup_hook(self) -> None:
        for name, make in self.cog_factories:
            try:
                await self.add_cog(make(self))
            except Exception:  # one broken cog must not keep AIKI from talking
                log.exception("could not load %s; AIKI starts without it", name)
        if self._sync_commands:
            await self._sync()

    async def _sync(self) -> None:
        try:
            if self.dev_guild_id:
                guild = discord.Object(id=self.dev_guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d slash commands to the development server %s", len(synced), guild.id)
            else:
                synced = await self.tree.sync()
                log.info("synced %d slash commands globally (Discord may take up to an hour to show them)", len(synced))
        except discord.HTTPException as exc:
            # Discord's text names what it refused in AIKI's own command tree (names, descriptions): no one's words.
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


class DiscordNotifier:
    """Delivers what the scheduler decided to say, as a DM. Discord's rate limits are waited out by discord.py."""

    def __init__(self, bot: commands.Bot) -> None:
        self.bot = bot

    async def deliver(self, scope: str, text: str) -> None:
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


def build_bot(
    core: Consciousness,
    settings: Settings,
    scheduler: CheckinScheduler,
    access: Access | None = None,
    clock: Clock = utcnow,
    sync_commands: bool = True,
    intents: discord.Intents | None = None,
) -> tuple[AikiBot, CheckinPlanner]:
    """The bot with its cogs, each made with exactly what it uses; check-ins deliver through the bot."""
    from cogs.chat import ChatCog
    from cogs.checkin import CheckinCog
    from cogs.memory import MemoryCog
    from cogs.mood import MoodCog

    access = access or Access(frozenset(settings.owner_ids), frozenset(settings.allowed_user_ids))
    cogs: list[tuple[str, CogFactory]] = [
        # The factories run in setup_hook, once `planner` below exists.
        (
            "chat",
            lambda bot: ChatCog(
                bot,
                core,
                access,
                planner,
                timedelta(hours=settings.catch_up_hours),
                clock,
                timedelta(seconds=settings.reply_pause_s),
            ),
        ),
        ("memory", lambda bot: MemoryCog(core, access)),
        ("mood", lambda bot: MoodCog(core, access)),
        ("checkin", lambda bot: CheckinCog(access, planner, scheduler)),
    ]
    bot = AikiBot(cogs, settings.dev_guild_id, sync_commands, intents)
    planner = CheckinPlanner(core, core.state, DiscordNotifier(bot), settings.zone, clock, scheduler)
    return bot, planner


async def run_discord(core: Consciousness, settings: Settings, token: SecretStr, scheduler: CheckinScheduler) -> None:
    """Connect and serve until stopped. A token Discord refuses is a ConfigError naming the setting (exit 2)."""
    quiet_voice_warnings()
    bot, _planner = build_bot(core, settings, scheduler)
    async with bot:
        try:
            await bot.start(token.get_secret_value())
        except discord.LoginFailure:
            raise ConfigError("Discord refused AIKI_DISCORD_TOKEN: copy the token again from the Bot page.") from None
        except (aiohttp.ClientError, OSError) as exc:
            log.error("cannot reach Discord: %s", exc)  # host, port and the OS error: nothing anyone wrote
            raise AikiError(
                "Cannot reach Discord. Check this machine's internet connection (and any proxy), then start again; "
                "`aiki chat` works without Discord."
            ) from None
