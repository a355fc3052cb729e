"""The owner's page as an ASGI app, built from what it uses: the core, the logins and where it may be reached."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from bot.checkins.planner import CheckinPlanner
from bot.errors import AikiError
from bot.mind.core import Consciousness
from bot.state.training import TrainingStore
from bot.web.auth import SESSION_COOKIE, SESSION_LIFETIME, Logins
from bot.web.checkins import checkin_routes
from bot.web.guard import FAILED, Guard, Problem
from bot.web.imports import import_routes
from bot.web.memories import memory_routes
from bot.web.mood import mood_routes
from bot.web.page import NOT_FOUND, WRONG_LINK, Web
from bot.web.privacy import privacy_routes
from bot.web.understanding import understanding_routes

log = logging.getLogger(__name__)


def core_routes(web: Web) -> list[BaseRoute]:
    """Logging in and out, and the overview."""

    async def login(request: Request) -> Response:
        opened = web.logins.log_in(request.query_params.get("token", ""))
        if opened is None:
            log.warning("web request %s: a wrong or used login link", request.state.request_id)
            return web.problem(request, WRONG_LINK)
        session_id, session = opened
        log.info("web login for %s", session.scope)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            session_id,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
            path="/",
        )
        return response

    async def logout(request: Request) -> Response:
        web.logins.log_out(request.cookies.get(SESSION_COOKIE))
        response = web.render(request, "logged_out.html")
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
        return response

    async def overview(request: Request) -> Response:
        person = web.person(request)
        memories = await web.core.all_memories(person)
        kinds: dict[str, int] = {}
        for memory in memories:
            kinds[memory.kind.value] = kinds.get(memory.kind.value, 0) + 1
        # A forget a stop cut short and a start finished: told once, wherever the person looks first.
        late = await web.core.take_late_forget_notice(person)
        return web.render(request, "overview.html", total=len(memories), kinds=sorted(kinds.items()), late=late)

    return [
        Route("/login", login, methods=["GET"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", overview, methods=["GET"]),
    ]


def build_app(
    core: Consciousness,
    planner: CheckinPlanner,
    training: TrainingStore,
    logins: Logins,
    allowed_hosts: frozenset[str] | None,
) -> ASGIApp:
    """The whole page: the guard around a Starlette app with every page's routes (each built with what it uses)
    and the static files. `planner` explains and changes check-ins; it never sends one."""
    web = Web(core, logins)
    routes: list[BaseRoute] = [
        *core_routes(web),
        *memory_routes(web),
        *understanding_routes(web, planner),
        *mood_routes(web),
        *checkin_routes(web, planner),
        *privacy_routes(web),
        *import_routes(web, training),
        Mount("/static", StaticFiles(packages=[("bot.web", "static")]), name="static"),
    ]

    async def http_problem(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 404:
            return web.problem(request, NOT_FOUND)
        if status == 405:
            return web.problem(request, Problem(405, "Not like this", "This address does not take that request."))
        return web.problem(request, FAILED)

    async def refused(request: Request, exc: Exception) -> Response:
        """A known failure (AikiError) carries words fit for the person: the page shows them, nothing is logged."""
        return web.problem(request, Problem(400, "Not done", str(exc)))

    handlers = {HTTPException: http_problem, AikiError: refused, Exception: http_problem}
    app = Starlette(routes=routes, exception_handlers=handlers)
    return Guard(app, logins, allowed_hosts, web.problem_page)
