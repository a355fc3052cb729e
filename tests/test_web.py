"""The owner's page through the door a person uses: a real headless Chromium on the real server (tests/web_fixtures.py).

Logging in with the one-time link, a session per browser, the refusals (a wrong or used link, no session, a change
from another site), the security headers and the absence of requests to anywhere else.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from playwright.async_api import Browser, BrowserContext

from bot.cli.common import EXIT_INTERRUPTED
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.places import Origin, OriginSource
from scripts.test_model import TEST_MODEL
from tests.conftest import ROOT
from tests.web_fixtures import Attacker, Site, browser_marks, logged_in, screenshot

pytestmark = browser_marks()

OWNER = "111"


async def test_the_login_link_opens_the_page_once_and_sets_a_strict_http_only_cookie(
    site: Site, context: BrowserContext, browser: Browser
) -> None:
    link = site.link(OWNER)
    page = await context.new_page()
    response = await page.goto(link)

    assert response is not None and response.status == 200
    assert page.url == f"{site.base}/"  # the token left the address bar
    assert await page.locator("h1").inner_text() == "What AIKI keeps about you"
    cookie = next(c for c in await context.cookies() if c["name"] == "aiki_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    await screenshot(page, "overview")

    elsewhere = await browser.new_context()  # another browser that got hold of the link
    again = await elsewhere.new_page()
    used = await again.goto(link)
    assert used is not None and used.status == 403
    assert "used already" in await again.locator("main").inner_text()
    await elsewhere.close()
    assert await page.reload() is not None and await page.locator("h1").inner_text() == "What AIKI keeps about you"


async def test_a_wrong_token_or_no_session_shows_nothing(site: Site, context: BrowserContext) -> None:
    page = await context.new_page()

    wrong = await page.goto(f"{site.base}/login?token=not-a-token")
    assert wrong is not None and wrong.status == 403
    home = await page.goto(f"{site.base}/")
    assert home is not None and home.status == 401
    assert "login link" in await page.locator("main").inner_text()
    assert "memories" not in await page.locator("main").inner_text()


async def test_every_page_says_no_request_leaves_this_machine(site: Site, context: BrowserContext) -> None:
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    page = await logged_in(context, site, OWNER)
    response = await page.reload()

    assert response is not None
    policy = await response.header_value("content-security-policy") or ""
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert await response.header_value("referrer-policy") == "same-origin"
    assert asked and all(url.startswith(site.base + "/") for url in asked)  # the style sheet and script are local


async def test_logging_out_ends_the_session(site: Site, context: BrowserContext) -> None:
    page = await logged_in(context, site, OWNER)
    await page.get_by_role("button", name="Log out").click()

    assert "Logged out" in await page.locator("h1").inner_text()
    home = await page.goto(f"{site.base}/")
    assert home is not None and home.status == 401


async def test_a_change_sent_from_another_site_is_refused(
    site: Site, context: BrowserContext, attacker: Attacker
) -> None:
    page = await logged_in(context, site, OWNER)
    hostile = await context.new_page()
    await hostile.goto(attacker.plant("logout", f"{site.base}/logout", {"csrf": "guessed"}))

    async with hostile.expect_response(f"{site.base}/logout") as caught:
        await hostile.get_by_role("button").click()

    assert (await caught.value).status == 403
    assert "did not come from this page" in await hostile.locator("main").inner_text()
    still = await page.reload()
    assert still is not None and still.status == 200  # the session was not ended


async def test_aiki_web_prints_a_link_that_logs_in_and_stops_on_ctrl_c(
    tmp_path: Path, model_cache: Path, embedder: FastEmbedder, context: BrowserContext
) -> None:
    bank = MemoryBank(EdgeMemoryStore(tmp_path / "data" / "memory"), embedder)
    await bank.open()
    await bank.add([NewMemory(OWNER, "Notes about the AIKI-HOME proxy", origin=Origin(OriginSource.DM))])
    await bank.close()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "AIKI_DATA_DIR": str(tmp_path / "data"),
        "AIKI_EMBEDDING_MODEL": TEST_MODEL,
        "AIKI_MODEL_CACHE_DIR": str(model_cache),
        "AIKI_OWNER_IDS": OWNER,
        "AIKI_LLM_BASE_URL": "http://127.0.0.1:9",  # never called
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", "--port", "0",
        cwd=tmp_path, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        lines = [(await asyncio.wait_for(child.stdout.readline(), 60)).decode() for _ in range(2)]
        assert "open this link once" in lines[0]
        link = lines[1].strip()
        assert link.startswith("http://127.0.0.1:") and "/login?token=" in link

        page = await context.new_page()
        await page.goto(link)
        assert await page.locator("#total").inner_text() == "1 memories."
    finally:
        child.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(child.communicate(), 60)
    assert child.returncode in (0, EXIT_INTERRUPTED)
    assert b"Traceback" not in stderr
