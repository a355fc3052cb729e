"""The one door every request passes: the address it was sent to, who is logged in, whether a change really comes
from the page itself, the security headers, and the one place a failure becomes a short page.

A change (any method but GET and HEAD) is taken only when all of these hold: the browser names this page as its
origin (Origin, or Referer when a browser sends no Origin), the body is a plain form, and the form carries the
session's CSRF token. A page from another site can make the browser send a form, but cannot read the token, and the
cookie is SameSite=Strict besides. The Host check refuses DNS rebinding: a page on another name that resolves to
127.0.0.1 reaches the server with its own name in Host.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.auth import SESSION_COOKIE, Logins, Session

log = logging.getLogger(__name__)

# No request leaves for another site: scripts, styles, pictures and fonts come from this page only, nothing inline.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # never to another site (with no-referrer, Chrome sends Origin: null)
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),  # private pages stay out of the browser's disk cache
]
SAFE_METHODS = {"GET", "HEAD"}
# What may be opened without a session: the login link itself and the style sheet and script.
OPEN_PATHS = ("/login", "/static/")
MAX_FORM_BYTES = 1_000_000
FORM_TYPE = "application/x-www-form-urlencoded"
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Problem:
    """A refusal or failure as the person sees it: a status, a title and one or two sentences."""

    status: int
    title: str
    text: str


NOT_LOGGED_IN = Problem(401, "Not logged in", "Open the login link `aiki web` printed in the terminal.")
WRONG_HOST = Problem(400, "Wrong address", "This page answers only at the address `aiki web` printed.")
FOREIGN_CHANGE = Problem(403, "Refused", "That change did not come from this page, so nothing was changed.")
NOT_A_FORM = Problem(415, "Refused", "Changes are sent as plain forms from this page.")
TOO_LARGE = Problem(413, "Too large", "That form is too large.")
FAILED = Problem(500, "Something went wrong", "Nothing more was changed. The log has the details under this id.")

# Renders a problem page: (problem, request id) -> the HTML.
ProblemPage = Callable[[Problem, str], str]


class Guard:
    """Pure ASGI middleware around the whole app (so it also covers 404s and failures inside the router)."""

    def __init__(
        self, app: ASGIApp, logins: Logins, allowed_hosts: frozenset[str] | None, problem_page: ProblemPage
    ) -> None:
        self.app = app
        self.logins = logins
        self.allowed_hosts = allowed_hosts  # None: any (a non-loopback bind the owner asked for)
        self.problem_page = problem_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(4)
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        try:
            problem, receive = await self._admit(scope, receive)
            if problem is not None:
                await self._send_problem(problem, request_id, send_with_headers)
                return
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            endpoint = getattr(scope.get("endpoint"), "__name__", "?")
            # The class only: an exception's message may hold what someone wrote (docs/privacy.md: logs).
            log.error("web request %s %s (%s) failed: %s", request_id, scope["method"], endpoint, type(exc).__name__)
            if not started:
                await self._send_problem(FAILED, request_id, send_with_headers)

    async def _admit(self, scope: Scope, receive: Receive) -> tuple[Problem | None, Receive]:
        """A problem that refuses the request, or None and the body to read (replayed when it was read here)."""
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        host = headers.get("host", "")
        if self.allowed_hosts is not None and _hostname(host) not in self.allowed_hosts:
            log.warning("web request %s refused: sent to another host name", scope["state"]["request_id"])
            return WRONG_HOST, receive
        path: str = scope["path"]
        if path.startswith(OPEN_PATHS) and scope["method"] in SAFE_METHODS:
            return None, receive
        session = self.logins.session(_cookie(headers.get("cookie", "")))
        if session is None:
            return NOT_LOGGED_IN, receive
        scope["state"]["session"] = session
        if scope["method"] in SAFE_METHODS:
            return None, receive
        return await self._admit_change(scope, headers, host, session, receive)

    async def _admit_change(
        self, scope: Scope, headers: dict[str, str], host: str, session: Session, receive: Receive
    ) -> tuple[Problem | None, Receive]:
        request_id = scope["state"]["request_id"]
        own = f"{scope.get('scheme', 'http')}://{host}"
        origin = headers.get("origin")
        came_from_here = origin == own if origin else headers.get("referer", "").startswith(own + "/")
        if not came_from_here:
            log.warning("web request %s refused: a change from another origin", request_id)
            return FOREIGN_CHANGE, receive
        if headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
            return NOT_A_FORM, receive
        body = await _read_body(receive)
        if body is None:
            return TOO_LARGE, receive
        sent = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD, [None])[0]
        if not session.csrf_matches(sent):
            log.warning("web request %s refused: no valid CSRF token", request_id)
            return FOREIGN_CHANGE, receive
        return None, _replay(body, receive)

    async def _send_problem(self, problem: Problem, request_id: str, send: Send) -> None:
        body = self.problem_page(problem, request_id).encode("utf-8")
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": problem.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _hostname(host: str) -> str:
    """The name in a Host header, without its port ("[::1]:8765" -> "::1")."""
    return (urlsplit(f"//{host}").hostname or "").lower()


def _cookie(header: str) -> str | None:
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(header)
    except Exception:  # a malformed Cookie header is no session
        return None
    morsel = cookies.get(SESSION_COOKIE)
    return morsel.value if morsel is not None else None


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when it is over MAX_FORM_BYTES."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body this guard already read, then what the client sends next."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
