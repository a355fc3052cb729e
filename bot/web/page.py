"""What every page works with: the core, the logins, the templates, whose page it is, and the navigation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from bot.clock import from_iso
from bot.mind.core import Consciousness, Person
from bot.places import Origin, OriginSource, guild_of
from bot.web.auth import Logins, Session
from bot.web.guard import CSRF_FIELD, Problem


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str


# The pages in the navigation, in order. A new page adds its line here and its routes in build_app.
NAV: tuple[NavItem, ...] = (
    NavItem("/", "Overview"),
    NavItem("/memories", "Memories"),
    NavItem("/facts", "Facts"),
    NavItem("/understanding", "Understanding"),
    NavItem("/mood", "Mood"),
    NavItem("/checkins", "Check-ins"),
    NavItem("/privacy", "Privacy"),
    NavItem("/imports", "Imports"),
)

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

    def when(self, moment: datetime | str | None) -> str:
        """A moment (or a stored ISO time) in the owner's time zone."""
        at = from_iso(moment) if isinstance(moment, str) else moment
        return at.astimezone(self.core.zone).strftime("%Y-%m-%d %H:%M") if at else ""

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
