"""`aiki web`: the owner's page in a browser (docs/web.md), and the page served beside `aiki run` (AIKI_WEB=on)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot.cli.common import NoDelivery, lazy
from bot.errors import ConfigError

# The server, the templates and the core load only when the page runs: `aiki --help` stays fast.
if TYPE_CHECKING:
    from bot.checkins.planner import CheckinPlanner
    from bot.clock import Clock
    from bot.mind.checkin_hooks import TopicSchedule
    from bot.mind.core import Consciousness
    from bot.settings import Settings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    web = commands.add_parser(
        "web", help="AIKI's mind in your browser: memories, facts and more (local and private; stop AIKI first)"
    )
    web.add_argument("--host", help="address to listen on (default: AIKI_WEB_HOST, 127.0.0.1)")
    web.add_argument("--port", type=int, help="port (default: AIKI_WEB_PORT, 8765; 0 picks a free one)")
    web.add_argument(
        "--allow-remote", action="store_true", help="allow an address other machines can reach (plain HTTP: careful)"
    )
    web.add_argument("--for", dest="person", type=int, help="the link opens this person's page (default: the owner)")
    web.set_defaults(run=lazy("bot.cli.web:web"))


def _person(settings: Settings, asked: int | None) -> str:
    if asked is not None:
        if asked not in settings.allowed_ids:
            raise ConfigError(
                f"{asked} is not in AIKI_OWNER_IDS or AIKI_ALLOWED_USER_IDS: AIKI keeps nothing of theirs."
            )
        return str(asked)
    if not settings.owner_ids:
        raise ConfigError("AIKI_OWNER_IDS is empty: put your Discord user id there so the page knows whose it is.")
    return str(settings.owner_ids[0])


def _where(settings: Settings, args: argparse.Namespace) -> tuple[str, int, bool]:
    from bot.web.server import check_bind

    host = args.host or settings.web_host
    port = settings.web_port if args.port is None else args.port
    allow_remote = bool(args.allow_remote) or settings.web_allow_remote
    check_bind(host, allow_remote)
    return host, port, allow_remote


def _planner(core: Consciousness, settings: Settings, clock: Clock, schedule: TopicSchedule | None) -> CheckinPlanner:
    """The page's planner explains, pauses and resumes; it never sends (the one `aiki run` builds does)."""
    from bot.checkins.planner import CheckinPlanner

    return CheckinPlanner(None, core.state, NoDelivery(), settings.zone, clock, schedule)


def _announce(text: str) -> None:
    print(text, flush=True)


async def web(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import open_core
    from bot.web.app import build_app
    from bot.web.auth import Logins
    from bot.web.server import allowed_hosts, bind, login_link, remote_warning, serve

    scope = _person(settings, args.person)
    host, port, _ = _where(settings, args)
    warning = remote_warning(host)
    if warning:
        print(f"aiki: {warning}", file=sys.stderr, flush=True)
    # The port first: a port in use is the whole answer, before the embedding model loads.
    with bind(host, port) as sock:
        async with open_core(settings) as core:
            logins = Logins(args.clock)
            # While AIKI is stopped nothing is scheduled: a resumed topic is picked up from SQLite at `aiki run`.
            planner = _planner(core, settings, args.clock, None)
            app = build_app(core, planner, core.state.training, logins, allowed_hosts(host))
            _announce(f"AIKI's page ({scope}): open this link once, in your browser (Ctrl-C stops the page):")
            _announce(login_link(sock, host, logins.new_token(scope)))
            await serve(app, sock)
    return 0


@asynccontextmanager
async def page_alongside(
    core: Consciousness, settings: Settings, clock: Clock, scheduler: TopicSchedule
) -> AsyncIterator[None]:
    """`aiki run` with AIKI_WEB=on: the owner's page served by the same process, on the same core."""
    from bot.web.app import build_app
    from bot.web.auth import Logins
    from bot.web.server import allowed_hosts, bind, check_bind, login_link, remote_warning, serving

    host, port = settings.web_host, settings.web_port
    check_bind(host, settings.web_allow_remote)
    warning = remote_warning(host)
    if warning:
        print(f"aiki: {warning}", file=sys.stderr, flush=True)
    scope = _person(settings, None)
    logins = Logins(clock)
    planner = _planner(core, settings, clock, scheduler)  # a topic resumed on the page is scheduled at once
    app = build_app(core, planner, core.state.training, logins, allowed_hosts(host))
    with bind(host, port) as sock:
        async with serving(app, sock):
            link = login_link(sock, host, logins.new_token(scope))
            _announce(f"AIKI's page: open this link once, in your browser: {link}")
            yield
