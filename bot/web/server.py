"""Serving the page: a socket bound where it may be, the one-time login link, and uvicorn on AIKI's own loop.

The socket is bound here rather than by uvicorn, so a port in use is AIKI's one-line error (uvicorn would exit the
process) and the real port is known before the link is printed (port 0 picks a free one). uvicorn's access log is
off (a search's words are in its URL) and it leaves Ctrl-C to the command that runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp

from bot.errors import ConfigError
from bot.settings import is_loopback

log = logging.getLogger(__name__)

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def check_bind(host: str, allow_remote: bool) -> None:
    """Loopback only, unless the owner asked for more (AIKI_WEB_ALLOW_REMOTE or --allow-remote)."""
    if not allow_remote and not is_loopback(host):
        raise ConfigError(
            f"The page would listen on {host}, which other machines can reach, over plain HTTP. Use 127.0.0.1 "
            "(and an SSH tunnel from elsewhere), or say --allow-remote (AIKI_WEB_ALLOW_REMOTE=true) if you mean it."
        )


def remote_warning(host: str) -> str | None:
    if is_loopback(host):
        return None
    return (
        f"warning: the page listens on {host}: other machines can reach it, and plain HTTP can be read on the way. "
        "Whoever gets the login link or the session cookie can read and change your memories."
    )


def allowed_hosts(host: str) -> frozenset[str] | None:
    """The names the page answers to (the Host header); None: any, for a wildcard bind the owner asked for."""
    name = host.strip().strip("[]").lower()
    if is_loopback(name):
        return LOOPBACK_NAMES | {name}
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(name).is_unspecified:
            return None
    return frozenset({name})


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a one-line error naming the setting to change."""
    name = host.strip().strip("[]")
    family = socket.AF_INET6 if ":" in name else socket.AF_INET
    try:
        return socket.create_server((name, port), family=family, backlog=64)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"Port {port} is in use on {host}: set AIKI_WEB_PORT (or --port) to another.") from None
        raise ConfigError(f"Cannot listen on {host}:{port} ({exc.strerror}): check AIKI_WEB_HOST.") from None


def login_link(sock: socket.socket, host: str, token: str) -> str:
    port = sock.getsockname()[1]
    name = host.strip().strip("[]")
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(name).is_unspecified:
            name = socket.gethostname()
    shown = f"[{name}]" if ":" in name else name
    return f"http://{shown}:{port}/login?token={token}"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Ctrl-C belongs to the `aiki` command (bot/cli/main.py), which stops everything in order."""
        yield


def _server(app: ASGIApp) -> _Server:
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        ws="none",
        timeout_graceful_shutdown=5,
    )
    return _Server(config)


async def serve(app: ASGIApp, sock: socket.socket) -> None:
    """Serve until cancelled."""
    await _server(app).serve(sockets=[sock])


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, sock: socket.socket) -> AsyncIterator[None]:
    """The page served in the background while the body runs (`aiki run` with AIKI_WEB=on), stopped after it."""
    server = _server(app)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="aiki-web")
    try:
        yield
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
