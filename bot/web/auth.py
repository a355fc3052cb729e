"""Who is looking: a one-time login link becomes a session cookie, and every change carries the session's CSRF token.

As notebook servers do: `aiki web` prints a link holding a random token; opening it once sets an HttpOnly,
SameSite=Strict cookie naming a session, and the token is spent. Tokens and session ids are kept only as their
SHA-256, so a lookup never compares secrets byte by byte. Everything lives in this process's memory: a restart
ends every session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.clock import Clock

SESSION_COOKIE = "aiki_session"
# How long a session lasts from its login; then a new link from `aiki web`.
SESSION_LIFETIME = timedelta(hours=12)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    """One logged-in browser: whose page it shows, and the token its forms must send back."""

    scope: str
    csrf: str
    started_at: datetime

    def csrf_matches(self, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(self.csrf.encode(), sent.encode())


@dataclass
class Logins:
    """One-time login tokens and the sessions they opened."""

    clock: Clock
    _tokens: dict[str, str] = field(default_factory=dict)  # digest of a token -> the scope it logs in as
    _sessions: dict[str, Session] = field(default_factory=dict)  # digest of a session id -> session

    def new_token(self, scope: str) -> str:
        """A login token for `scope`, good for one use (the link `aiki web` prints)."""
        token = secrets.token_urlsafe(32)
        self._tokens[_digest(token)] = scope
        return token

    def log_in(self, token: str) -> tuple[str, Session] | None:
        """Spend a token: (the new session's id for the cookie, the session), or None for a wrong or used token."""
        scope = self._tokens.pop(_digest(token), None)
        if scope is None:
            return None
        session_id = secrets.token_urlsafe(32)
        session = Session(scope, secrets.token_urlsafe(32), self.clock())
        self._sessions[_digest(session_id)] = session
        return session_id, session

    def session(self, session_id: str | None) -> Session | None:
        """The live session a cookie names; None when there is none or it is over."""
        if not session_id:
            return None
        key = _digest(session_id)
        session = self._sessions.get(key)
        if session is not None and self.clock() - session.started_at > SESSION_LIFETIME:
            del self._sessions[key]
            return None
        return session

    def log_out(self, session_id: str | None) -> None:
        if session_id:
            self._sessions.pop(_digest(session_id), None)
