"""The owner's page as an ASGI app, built from what it uses: the core, the logins and where it may be reached."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from bot.mind.core import Consciousness, Person
from bot.places import Origin, OriginSource, guild_of
from bot.web.auth import SESSION_COOKIE, SESSION_LIFETIME, Logins, Session
from bot.web.guard import CSRF_FIELD, FAILED, Guard, Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str


# The pages in the navigation, in order. A new page adds its line here and its routes in build_app.
NAV: tuple[NavItem, ...] = (NavItem("/", "Overview"),)

WRONG_LINK = Problem(
    403,
    "This link does not open the page",
    "It is wrong, or it was used already: each link opens the page once. Start `aiki web` again for a new one.",
)
NOT_FOUND = Problem(404, "Not here", "There is nothing at this address (or it is not yours).")


def place_label(origin: Origin) -> str:
    """Which place something belongs to, in the page's words (bot/places.py)."""
    guild = guild_of(origin)
    if origin.source is OriginSource.SYSTEM:
        return "AIKI's own"
    if guild is None:
        return {OriginSource.DM: "DM", OriginSource.CLI: "terminal", OriginSource.IMPORT: "import"}[origin.source]
    if guild == 0:
        return "several places (shown only in private)"
    return f"server {guild}"


class Web:
    """What every page handler works with: the core, the logins and the templates."""

    def __init__(self, core: Consciousness, logins: Logins) -> None:
        self.core = core
        self.logins = logins
        self.templates = Environment(
            loader=PackageLoader("bot.web", "templates"), autoescape=True, undefined=StrictUndefined
        )
        self.templates.filters["when"] = self.when
        self.templates.globals["place_label"] = place_label

    def when(self, moment: datetime | None) -> str:
        return moment.astimezone(self.core.zone).strftime("%Y-%m-%d %H:%M") if moment else ""

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        session: Session | None = getattr(request.state, "session", None)
        page = self.templates.get_template(template).render(
            session=session,
            csrf_field=CSRF_FIELD,
            nav=NAV,
            here=request.url.path,
            request_id=request.state.request_id,
            **context,
        )
        return HTMLResponse(page, status_code=status)

    def problem_page(self, problem: Problem, request_id: str) -> str:
        return self.templates.get_template("problem.html").render(
            session=None, csrf_field=CSRF_FIELD, nav=(), here="", request_id=request_id, problem=problem
        )

    def problem(self, request: Request, problem: Problem) -> HTMLResponse:
        return HTMLResponse(self.problem_page(problem, request.state.request_id), status_code=problem.status)

    @staticmethod
    def person(request: Request) -> Person:
        """Whose page this is: the session's person (the guard let no request without one through)."""
        session: Session = request.state.session
        return Person(session.scope)


Handler = Callable[[Request], Any]


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
        memories = await web.core.all_memories(web.person(request))
        kinds: dict[str, int] = {}
        for memory in memories:
            kinds[memory.kind.value] = kinds.get(memory.kind.value, 0) + 1
        return web.render(request, "overview.html", total=len(memories), kinds=sorted(kinds.items()))

    return [
        Route("/login", login, methods=["GET"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", overview, methods=["GET"]),
    ]


def build_app(
    core: Consciousness,
    logins: Logins,
    allowed_hosts: frozenset[str] | None,
) -> ASGIApp:
    """The whole page: the guard around a Starlette app with every page's routes and the static files."""
    web = Web(core, logins)
    routes: list[BaseRoute] = [
        *core_routes(web),
        Mount("/static", StaticFiles(packages=[("bot.web", "static")]), name="static"),
    ]

    async def http_problem(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if status == 404:
            return web.problem(request, NOT_FOUND)
        if status == 405:
            return web.problem(request, Problem(405, "Not like this", "This address does not take that request."))
        return web.problem(request, FAILED)

    app = Starlette(routes=routes, exception_handlers={HTTPException: http_problem, Exception: http_problem})
    return Guard(app, logins, allowed_hosts, web.problem_page)
