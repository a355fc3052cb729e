"""The owner's page in a real browser: headless Chromium from the distribution, driven by Playwright's async API.

One page server (a real core: Qdrant Edge, SQLite, the test embedding model, the stand-in LLM) and one browser per
test module, on one event loop; each test opens its own browser context, so cookies never leak between tests.
Screenshots are written only when AIKI_SCREENSHOTS names a folder (`AIKI_SCREENSHOTS=docs/web`), so an ordinary run
never rewrites the committed ones.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from bot.checkins.planner import CheckinPlanner
from bot.cli.common import NoDelivery
from bot.memory.embedder import FastEmbedder
from bot.mind.core import Consciousness
from bot.web.app import build_app
from bot.web.auth import Logins
from bot.web.server import allowed_hosts, bind, serving
from tests.core_fixtures import Clock, build_core, close_core, open_core
from tests.llm_server import FakeLLMServer

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
NO_CHROMIUM = "no chromium at /usr/bin/chromium: apt-get install chromium"


def browser_marks() -> list[pytest.MarkDecorator]:
    """What a browser test module starts with: skip (saying why) without Chromium, one event loop per module."""
    return [
        pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM),
        pytest.mark.asyncio(loop_scope="module"),
    ]


@dataclass
class Site:
    """The page as served to the browser, and what the test may see behind it."""

    core: Consciousness
    planner: CheckinPlanner  # the page's: it explains, pauses and resumes, never sends
    logins: Logins
    clock: Clock
    base: str  # http://127.0.0.1:PORT
    data: Path  # the data directory: memory store, database, forget journal

    def link(self, scope: str) -> str:
        """A fresh one-time login link for `scope`, as `aiki web` prints it."""
        return f"{self.base}/login?token={self.logins.new_token(scope)}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, embedder: FastEmbedder, server: FakeLLMServer
) -> AsyncIterator[Site]:
    data = tmp_path_factory.mktemp("web-data")
    clock = Clock()
    core = await open_core(build_core(data, embedder, server, clock))
    planner = CheckinPlanner(None, core.state, NoDelivery(), core.zone, clock)
    logins = Logins(clock)
    sock = bind("127.0.0.1", 0)
    try:
        async with serving(build_app(core, planner, core.state.training, logins, allowed_hosts("127.0.0.1")), sock):
            yield Site(core, planner, logins, clock, f"http://127.0.0.1:{sock.getsockname()[1]}", data)
    finally:
        await close_core(core)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A browser context of the test's own: its own cookies, as a separate browser would have."""
    made = await browser.new_context()
    yield made
    await made.close()


async def logged_in(context: BrowserContext, site: Site, scope: str) -> Page:
    """A page of `context`, logged in as `scope` through a login link."""
    page = await context.new_page()
    await page.goto(site.link(scope))
    return page


async def screenshot(page: Page, name: str) -> None:
    """docs/web/NAME.png (or wherever AIKI_SCREENSHOTS points), only when asked for."""
    folder = os.environ.get("AIKI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@dataclass
class Attacker:
    """A page on another origin (127.0.0.1, another port: same site, so the browser still sends the cookie) with a
    form aimed at the owner's page, as a hostile site the owner visits would have."""

    base: str
    forms: dict[str, str]

    def plant(self, name: str, action: str, fields: dict[str, str]) -> str:
        """A page at /NAME whose button posts `fields` to `action`; returns its address."""
        inputs = "".join(f'<input type="hidden" name="{key}" value="{value}">' for key, value in fields.items())
        self.forms[name] = f'<form method="post" action="{action}">{inputs}<button>Win a prize</button></form>'
        return f"{self.base}/{name}"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def attacker() -> AsyncIterator[Attacker]:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, Response
    from starlette.routing import Route

    forms: dict[str, str] = {}

    async def planted(request: Request) -> Response:
        return HTMLResponse(f"<!doctype html><html><body>{forms[request.path_params['name']]}</body></html>")

    sock = bind("127.0.0.1", 0)
    async with serving(Starlette(routes=[Route("/{name}", planted)]), sock):
        yield Attacker(f"http://127.0.0.1:{sock.getsockname()[1]}", forms)
