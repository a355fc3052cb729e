"""The owner's page through the door a person uses: a real headless Chromium on the real server (tests/web_fixtures.py).

Logging in with the one-time link, a session per browser, the refusals (a wrong or used link, no session, a change
from another site), the security headers and the absence of requests to anywhere else.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext

from bot.cli.common import EXIT_INTERRUPTED
from bot.cli.web import page_alongside
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.edge import EdgeMemoryStore
from bot.memory.embedder import FastEmbedder
from bot.memory.models import MemoryKind
from bot.mind.core import Person
from bot.mood import MoodEvent, MoodEventKind
from bot.places import Origin, OriginSource
from bot.settings import load_settings
from bot.state.checkins import Topic
from bot.state.training import ImportedConversation, ImportedTurn
from scripts.test_model import TEST_MODEL
from tests.conftest import ROOT
from tests.core_fixtures import START
from tests.test_privacy import files_holding
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
    await screenshot(again, "used-link")
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


async def test_every_page_says_no_request_leaves_this_machine(
    site: Site, context: BrowserContext, memories: None
) -> None:
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    page = await logged_in(context, site, OWNER)
    for path in ("/", "/memories", "/memories?q=heron", f"/memories/{HERON_ID}", "/facts"):
        response = await page.goto(site.base + path)
        assert response is not None and response.status == 200, path
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
    await bank.add(
        [NewMemory(OWNER, "Notes about the AIKI-HOME proxy", origin=Origin(OriginSource.DM), created_at=START)]
    )
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


# -- the memories and facts pages -------------------------------------------------------------------------------------

FRIEND = "222"
DM = Origin(OriginSource.DM)
BOOK_CLUB = Origin(OriginSource.CHANNEL, guild_id=9001, channel_id=5)
HERON = "I watched a grey heron fishing by the river"
HERON_ID = "0b6c1f0e-1d2a-4c55-9a1e-000000000001"
EDIT_CANARY = "EDITCANARY-7731"
EDIT_ID = "0b6c1f0e-1d2a-4c55-9a1e-000000000002"
FORGET_CANARIES = ("FORGETONE-2290", "FORGETTWO-5512")
FORGET_IDS = ("0b6c1f0e-1d2a-4c55-9a1e-000000000003", "0b6c1f0e-1d2a-4c55-9a1e-000000000004")
FRIEND_CANARY = "FRIENDCANARY-3318"
OSLO_ID, BERGEN_ID = "0b6c1f0e-1d2a-4c55-9a1e-000000000005", "0b6c1f0e-1d2a-4c55-9a1e-000000000006"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def memories(site: Site) -> None:
    """The owner's memories in a DM and in a server, two facts where one replaced the other, and a friend's."""
    moved = site.clock.now
    await site.core.bank.add(
        [
            NewMemory(OWNER, HERON, origin=DM, id=HERON_ID, created_at=moved - timedelta(days=3)),
            NewMemory(OWNER, "Kari's birthday is on the 14th of May", origin=DM, created_at=moved - timedelta(days=2)),
            NewMemory(OWNER, "In the book club we are reading Hamsun's Sult", origin=BOOK_CLUB, created_at=moved),
            NewMemory(OWNER, f"My locker code is {EDIT_CANARY}", origin=DM, id=EDIT_ID, created_at=moved),
            *(
                NewMemory(OWNER, f"The spare key is under the pot ({canary})", origin=DM, id=mid, created_at=moved)
                for canary, mid in zip(FORGET_CANARIES, FORGET_IDS, strict=True)
            ),
            NewMemory(
                OWNER, "Lives in Oslo", MemoryKind.FACT, origin=DM, id=OSLO_ID, created_at=moved - timedelta(days=30),
                superseded_by=BERGEN_ID, meta={"key": "home", "superseded_at": "2026-02-20T10:00:00Z"},
            ),
            NewMemory(
                OWNER, "Lives in Bergen", MemoryKind.FACT, origin=DM, id=BERGEN_ID,
                created_at=moved - timedelta(days=10), meta={"key": "home", "replaces": OSLO_ID},
            ),
            NewMemory(FRIEND, f"{FRIEND_CANARY} likes otters", origin=DM, created_at=moved),
        ]
    )  # fmt: skip


async def test_search_finds_a_memory_as_aiki_recalls_it_and_says_where_it_belongs(
    site: Site, context: BrowserContext, memories: None
) -> None:
    page = await logged_in(context, site, OWNER)
    await page.get_by_role("link", name="Memories").click()
    assert FRIEND_CANARY not in await page.locator("main").inner_text()
    await screenshot(page, "memories")

    await page.get_by_role("searchbox").fill("heron")
    await page.get_by_role("button", name="Show").click()

    first = page.locator("table.memories tbody tr").first
    assert HERON in await first.inner_text()
    assert await first.locator(".place").inner_text() == "DM"


async def test_the_list_filters_by_place_and_by_kind(site: Site, context: BrowserContext, memories: None) -> None:
    page = await logged_in(context, site, OWNER)
    await page.goto(f"{site.base}/memories")

    await page.get_by_label("Place").select_option(label="server 9001")
    await page.get_by_role("button", name="Show").click()
    rows = await page.locator("table.memories tbody tr").all_inner_texts()
    assert len(rows) == 1 and "Hamsun" in rows[0] and "server 9001" in rows[0]

    await page.get_by_label("Place").select_option(label="every place")
    await page.get_by_label("Kind").select_option("fact")
    await page.get_by_role("button", name="Show").click()
    rows = await page.locator("table.memories tbody tr").all_inner_texts()
    assert sorted(row.split("\t")[1] for row in rows) == ["Lives in Bergen", "Lives in Oslo"]


async def test_a_long_list_goes_page_by_page_newest_first(
    site: Site, context: BrowserContext, memories: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.web.memories.LIST_LIMIT", 3)
    page = await logged_in(context, site, OWNER)
    await page.goto(f"{site.base}/memories?kind=note")
    first = await page.locator("table.memories tbody tr").all_inner_texts()
    assert len(first) == 3 and "page 1 of" in await page.locator("#count").inner_text()

    await page.get_by_role("link", name="Older").click()

    second = await page.locator("table.memories tbody tr").all_inner_texts()
    assert "page 2 of" in await page.locator("#count").inner_text()
    assert second and not set(first) & set(second)
    assert all("note" in row for row in second)  # the filter holds across pages


async def test_editing_a_memory_keeps_the_new_words_and_erases_the_old_from_disk(
    site: Site, context: BrowserContext, memories: None
) -> None:
    page = await logged_in(context, site, OWNER)
    await page.goto(f"{site.base}/memories/{EDIT_ID}")
    await screenshot(page, "memory")
    assert files_holding(site.data, EDIT_CANARY)  # the test can see it before

    await page.get_by_label("What it says").fill("My locker code changed in March")
    await page.get_by_role("button", name="Save").click()

    assert "Saved" in await page.locator("#notice").inner_text()
    assert await page.get_by_label("What it says").input_value() == "My locker code changed in March"
    assert files_holding(site.data, EDIT_CANARY) == []
    await page.goto(f"{site.base}/memories?q=locker")
    assert "My locker code changed in March" in await page.locator("table.memories").inner_text()


async def test_forgetting_two_memories_at_once_erases_them_from_disk(
    site: Site, context: BrowserContext, memories: None
) -> None:
    page = await logged_in(context, site, OWNER)
    await page.goto(f"{site.base}/memories")
    assert all(files_holding(site.data, canary) for canary in FORGET_CANARIES)

    for canary in FORGET_CANARIES:
        await page.locator("table.memories tbody tr").filter(has_text=canary).get_by_role("checkbox").check()
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="Forget the chosen").click()

    assert "Forgot 2 memories" in await page.locator("#notice").inner_text()
    shown = await page.locator("main").inner_text()
    assert not any(canary in shown for canary in FORGET_CANARIES)
    assert all(files_holding(site.data, canary) == [] for canary in FORGET_CANARIES)


async def test_a_friends_session_cannot_reach_the_owners_memories(site: Site, browser: Browser, memories: None) -> None:
    friend = await browser.new_context()
    page = await logged_in(friend, site, FRIEND)
    await page.goto(f"{site.base}/memories")
    shown = await page.locator("main").inner_text()
    assert FRIEND_CANARY in shown and HERON not in shown

    opened = await page.goto(f"{site.base}/memories/{HERON_ID}")
    assert opened is not None and opened.status == 404
    # Their own form, with the owner's memory id put in it: nothing of the owner's is forgotten.
    await page.goto(f"{site.base}/memories")
    box = page.locator('input[name="ids"]').first
    await box.evaluate("(box, id) => { box.value = id; box.checked = true; }", HERON_ID)
    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="Forget the chosen").click()
    notice = await page.locator("#notice").inner_text()
    await friend.close()

    assert "Forgot 0 memories" in notice
    assert await site.core.memory(Person(OWNER), HERON_ID) is not None


async def test_forgetting_from_another_site_is_refused(
    site: Site, context: BrowserContext, attacker: Attacker, memories: None
) -> None:
    await logged_in(context, site, OWNER)
    hostile = await context.new_page()
    await hostile.goto(attacker.plant("forget", f"{site.base}/memories/forget", {"ids": HERON_ID, "csrf": "x"}))

    async with hostile.expect_response(f"{site.base}/memories/forget") as caught:
        await hostile.get_by_role("button").click()

    assert (await caught.value).status == 403
    assert await site.core.memory(Person(OWNER), HERON_ID) is not None


async def test_facts_show_what_replaced_what_and_when(site: Site, context: BrowserContext, memories: None) -> None:
    page = await logged_in(context, site, OWNER)
    await page.get_by_role("link", name="Facts").click()
    await screenshot(page, "facts")

    row = page.locator("tr.fact").filter(has_text="Lives in Bergen")
    assert "Lives in Oslo" in await row.locator(".earlier").inner_text()
    assert "replaced 2026-02-20" in await row.locator(".earlier").inner_text()


# -- what AIKI understands, mood, check-ins, privacy, imports ----------------------------------------------------------


async def test_the_mood_page_draws_the_chart_and_lists_what_moved_it(site: Site, context: BrowserContext) -> None:
    at = site.clock.now
    for kind, reason, ago in (
        (MoodEventKind.PERSON_HAPPY, "they passed the exam", timedelta(days=2)),
        (MoodEventKind.THANKED, "they said thank you", timedelta(hours=5)),
    ):
        await site.core.feel(OWNER, [MoodEvent.of(kind, reason, at - ago)])
    page = await logged_in(context, site, OWNER)
    async with page.expect_response(lambda response: "/mood/chart.png" in response.url) as chart:
        await page.get_by_role("link", name="Mood").click()

    rows = await page.locator("table.events tbody tr").all_inner_texts()
    assert "they said thank you" in rows[0] and "they passed the exam" in rows[1]
    assert await (await chart.value).header_value("content-type") == "image/png"
    await page.wait_for_load_state("load")  # the picture is drawn once the page has loaded
    assert await page.locator("img.chart").evaluate("(img) => img.naturalWidth") > 0
    await screenshot(page, "mood")


async def test_check_ins_say_why_the_next_will_not_come_and_pause_and_resume(
    site: Site, context: BrowserContext
) -> None:
    await site.planner.add(OWNER, "AIKI-HOME", "daily")
    page = await logged_in(context, site, OWNER)
    await page.get_by_role("link", name="Check-ins").click()
    row = page.locator("tr.topic").filter(has_text="AIKI-HOME")
    assert "not due until" in await row.locator(".verdict").inner_text()
    await screenshot(page, "checkins")

    await row.get_by_role("button", name="Pause").click()
    assert "the topic is paused" in await row.locator(".verdict").inner_text()
    await row.get_by_role("button", name="Resume").click()
    assert "not due until" in await row.locator(".verdict").inner_text()

    await page.get_by_role("button", name="Turn all off").click()
    assert "off" in await page.locator("#checkins-state").inner_text()
    assert "check-ins are off" in await row.locator(".verdict").inner_text()
    await page.get_by_role("button", name="Turn on").click()
    assert "on" in await page.locator("#checkins-state").inner_text()


async def test_the_privacy_choice_is_the_same_as_privacy_in_discord(site: Site, context: BrowserContext) -> None:
    page = await logged_in(context, site, OWNER)
    await page.get_by_role("link", name="Privacy").click()
    assert await page.locator("#sharing").inner_text() == "never"
    await screenshot(page, "privacy")

    await page.get_by_role("button", name="Use my DMs in servers too").click()

    assert await page.locator("#sharing").inner_text() == "too"
    assert await site.core.shares_dm_memories_in_servers(Person(OWNER))
    await page.get_by_role("button", name="Keep my DMs out of servers").click()
    assert not await site.core.shares_dm_memories_in_servers(Person(OWNER))


async def test_understanding_shows_the_profile_the_reflections_and_the_events_ahead(
    site: Site, context: BrowserContext, memories: None
) -> None:
    at = site.clock.now
    await site.core.bank.add(
        [
            NewMemory(OWNER, "Lives in Bergen and is building AIKI-HOME.", MemoryKind.PROFILE, origin=DM,
                      created_at=at, meta={"rests_on": [BERGEN_ID]}),
            NewMemory(OWNER, "Owner: job interview on Friday (planned for Friday 6 March 10:00)", MemoryKind.EVENT,
                      origin=DM, created_at=at),
            NewMemory(OWNER, "Has been building AIKI-HOME every evening since moving to Bergen.",
                      MemoryKind.REFLECTION, origin=DM, created_at=at, meta={"rests_on": [BERGEN_ID]}),
        ]
    )  # fmt: skip
    page = await logged_in(context, site, OWNER)
    await page.get_by_role("link", name="Understanding").click()

    assert "building AIKI-HOME" in await page.locator("#profile").inner_text()
    assert "job interview on Friday" in await page.locator("table.events").inner_text()
    noticed = page.locator("#reflections li")
    assert "every evening since moving to Bergen" in await noticed.inner_text()
    assert await noticed.get_by_role("link", name="memory 1").get_attribute("href") == f"/memories/{BERGEN_ID}"
    await screenshot(page, "understanding")


async def test_imports_show_the_persons_own_and_nobody_elses(
    site: Site, context: BrowserContext, browser: Browser
) -> None:
    when = site.clock.now - timedelta(days=400)
    chat = ImportedConversation("chatgpt:c1", "chatgpt", OWNER, "Planning AIKI-HOME", when)
    turns = [
        ImportedTurn("chatgpt:c1", i, f"m{i}", role, "words", when) for i, role in enumerate(["user", "assistant"])
    ]
    await site.core.state.training.add_imported([chat], turns)
    page = await logged_in(context, site, OWNER)
    await page.get_by_role("link", name="Imports").click()

    row = await page.locator("table.imports tbody tr").inner_text()
    assert row.split("\t")[:3] == ["chatgpt", "1", "2"]
    await screenshot(page, "imports")
    friend = await browser.new_context()
    theirs = await logged_in(friend, site, FRIEND)
    await theirs.goto(f"{site.base}/imports")
    assert "No conversations imported" in await theirs.locator("main").inner_text()
    await friend.close()


# -- the door itself: failures, other host names, the page inside `aiki run` -----------------------------------------


async def test_a_failure_is_a_short_page_and_a_log_line_with_ids_and_no_words(
    site: Site, context: BrowserContext, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(person: Person) -> list[object]:
        raise RuntimeError(f"{FRIEND_CANARY} leaked into an exception")

    monkeypatch.setattr(site.core, "fact_histories", broken)
    page = await logged_in(context, site, OWNER)
    response = await page.goto(f"{site.base}/facts")

    assert response is not None and response.status == 500
    shown = await page.locator("main").inner_text()
    assert "Something went wrong" in shown and FRIEND_CANARY not in shown and "Traceback" not in shown
    request_id = shown.rsplit("Request ", 1)[1].strip()
    logged = [record.getMessage() for record in caplog.records if request_id in record.getMessage()]
    assert logged and "RuntimeError" in logged[0] and "facts" in logged[0]
    assert not any(FRIEND_CANARY in record.getMessage() or record.exc_info for record in caplog.records)


async def test_a_request_to_another_host_name_is_refused(site: Site) -> None:
    """DNS rebinding: a hostile name that resolves to 127.0.0.1 reaches the server with its own name in Host."""
    port = int(site.base.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /login?token={site.logins.new_token(OWNER)} HTTP/1.1\r\nHost: evil.example:{port}\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    writer.close()

    assert status.split()[1] == b"400"


class Scheduled:
    """Stands in for the check-in scheduler of `aiki run`: what the page handed it."""

    def __init__(self) -> None:
        self.topics: list[str] = []

    async def schedule(self, topic: Topic) -> None:
        self.topics.append(f"{topic.name}:{topic.status}")


async def test_with_aiki_web_on_the_page_runs_beside_aiki_run_on_the_same_core(
    site: Site, context: BrowserContext, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site.data)  # no stray .env
    settings = load_settings(web=True, web_port=0, owner_ids=[int(OWNER)], data_dir=site.data)
    scheduled = Scheduled()
    await site.planner.add(OWNER, "Thesis", "weekly")

    async with page_alongside(site.core, settings, site.clock, scheduled):
        link = capsys.readouterr().out.strip().rsplit(" ", 1)[1]
        page = await context.new_page()
        await page.goto(link)
        await page.goto(link.split("/login")[0] + "/checkins")
        row = page.locator("tr.topic").filter(has_text="Thesis")
        await row.get_by_role("button", name="Pause").click()
        await row.get_by_role("button", name="Resume").click()

    assert scheduled.topics == ["Thesis:paused", "Thesis:active"]  # a resumed topic is scheduled at once


async def test_a_forget_finished_late_is_told_once_on_the_overview(site: Site, context: BrowserContext) -> None:
    asked = site.clock.now - timedelta(days=1)
    await site.core.state.add_late_forget(OWNER, "everything", asked, site.clock.now)
    page = await logged_in(context, site, OWNER)

    assert (
        "was interrupted when AIKI stopped; it has now been completed"
        in await page.locator("#late-forget").inner_text()
    )
    await page.reload()
    assert await page.locator("#late-forget").count() == 0
