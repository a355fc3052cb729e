"""Reading session logs of an earlier AIKI: JSONL (a message or a whole session a line) or Markdown transcripts.

JSONL, one message a line (lines of several sessions may share a file; `session` groups them, the file name
is the session when it is missing):

    {"session": "2024-03-01-evening", "role": "user", "content": "Hei AIKI!", "timestamp": "2024-03-01T20:14:00+01:00"}
    {"session": "2024-03-01-evening", "role": "assistant", "content": "Hei! Går det bra med AIKI-HOME?", "bad": false}

JSONL, one session a line:

    {"session": "2024-03-02", "messages": [{"role": "user", "content": "..."}, {"role": "aiki", "content": "..."}]}

Accepted names: `session` / `session_id` / `conversation_id`; `role` / `speaker` / `author`; `content` / `text`
/ `message`; `timestamp` / `time` / `created_at` / `ts` (ISO 8601 or Unix seconds); optional `id`, and `bad: true`
for a reply that must never be learned. Roles: user, human, me, owner (+ `--user-name`) and assistant, aiki,
ai, bot (+ `--assistant-name`); system and tool lines are skipped.

Markdown, a speaker at the start of a line (bold or not, an optional time in brackets) or as a heading:

    ---
    session: 2024-03-03-morning
    date: 2024-03-03
    ---
    **Jovnna** (08:02): God morgen!
    **AIKI** (08:02): God morgen! Sov du godt?

    ### AIKI - 2024-03-03 08:05
    A reply over
    several lines.

Lines that do not start with a known speaker continue the message above. Times without a date take the
front matter's `date` (or a YYYY-MM-DD in the file name); times without a zone are read in AIKI_TIMEZONE.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from bot.jsonlines import json_objects

ORIGIN = "session-log"
USER_NAMES = frozenset({"user", "human", "me", "owner", "you"})
ASSISTANT_NAMES = frozenset({"assistant", "aiki", "ai", "bot"})
IGNORED_ROLES = frozenset({"system", "tool", "function", "developer"})
SUFFIXES = (".jsonl", ".md", ".markdown", ".txt")
IDENTITY_BYTES = 64 * 1024  # a log's identity is a digest of its first bytes (see file_session)
MAX_MARKDOWN_BYTES = 64 * 1024 * 1024  # a Markdown log is read whole; a larger one is refused

_SESSION_KEYS = ("session", "session_id", "conversation_id")
_ROLE_KEYS = ("role", "speaker", "author")
_TEXT_KEYS = ("content", "text", "message")
_TIME_KEYS = ("timestamp", "time", "created_at", "ts")
_SPEAKER_LINE = re.compile(
    r"^\s*(?:\*\*|__)?(?P<name>[^\W\d_][\w .'-]{0,39}?)(?:\*\*|__)?\s*"
    r"(?:[(\[](?P<time>[^)\]]{1,40})[)\]])?\s*(?:\*\*|__)?:(?:\*\*|__)?[ \t]*(?P<text>.*)$"
)
_SPEAKER_HEADING = re.compile(
    r"^#{2,6}\s+(?P<name>[^\W\d_][\w .'-]{0,39}?)\s*(?:[-\u2013\u2014\u00b7|(\[]\s*(?P<time>[^)\]]+?)[)\]]?)?\s*$"
)
_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class Speakers:
    user: frozenset[str] = USER_NAMES
    assistant: frozenset[str] = ASSISTANT_NAMES

    @classmethod
    def with_names(cls, user: Iterable[str], assistant: Iterable[str]) -> Speakers:
        return cls(
            USER_NAMES | {n.strip().lower() for n in user if n.strip()},
            ASSISTANT_NAMES | {n.strip().lower() for n in assistant if n.strip()},
        )

    def role(self, name: str) -> str | None:
        key = name.strip().lower()
        if key in self.user:
            return "user"
        if key in self.assistant:
            return "assistant"
        return "ignored" if key in IGNORED_ROLES else None


@dataclass(frozen=True)
class SessionMessage:
    session: str
    role: str  # user | assistant
    content: str
    created_at: datetime | None
    source_id: str | None = None
    bad: bool = False


class LineError(ValueError):
    """One line (or message) that cannot be imported; the message says why."""


def file_session(path: Path) -> str:
    """The session of a log that names none: its name plus a digest of its start, so two `log.jsonl` in two
    folders are two sessions, while the same log imported again (or grown since) is the same one."""
    with path.open("rb") as handle:
        head = handle.read(IDENTITY_BYTES)
    return f"{path.stem}~{hashlib.sha256(head).hexdigest()[:12]}"


def session_title(session: str) -> str:
    """What a session is called in listings: a file session without its digest."""
    name, sep, digest = session.rpartition("~")
    return name if sep and len(digest) == 12 else session


def session_files(paths: Iterable[Path]) -> list[Path]:
    """The files to read: given files as they are, directories searched for .jsonl / .md / .markdown / .txt."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
        else:
            found.append(path)
    return found


# -- JSONL -------------------------------------------------------------------


def read_jsonl(
    handle: BinaryIO, default_session: str, speakers: Speakers, zone: ZoneInfo, errors: list[tuple[int, str]]
) -> Iterator[SessionMessage | str]:
    """Messages of a JSONL session log, line by line; a bad line goes into `errors` and the rest go on.

    Yields the string "skipped" for a system or tool line (so the caller can count it).
    """
    for number, data in json_objects(handle, errors):
        try:
            session = str(_first(data, _SESSION_KEYS) or default_session)
            if isinstance(data.get("messages"), list):
                for index, item in enumerate(data["messages"], start=1):
                    try:
                        yield _message(item, session, speakers, zone)
                    except LineError as exc:
                        errors.append((number, f"message {index}: {exc}"))
            else:
                yield _message(data, session, speakers, zone)
        except LineError as exc:
            errors.append((number, str(exc)))


def _message(data: Any, session: str, speakers: Speakers, zone: ZoneInfo) -> SessionMessage | str:
    if not isinstance(data, dict):
        raise LineError("expected a JSON object")
    name = _first(data, _ROLE_KEYS)
    if not isinstance(name, str) or not name.strip():
        raise LineError("no `role` (or `speaker`, `author`)")
    role = speakers.role(name)
    if role is None:
        raise LineError(f"unknown speaker {name!r}; name it with --user-name or --assistant-name")
    if role == "ignored":
        return "skipped"
    text = _first(data, _TEXT_KEYS)
    if not isinstance(text, str) or not text.strip():
        raise LineError("no text (`content`, `text` or `message`)")
    stamp = _first(data, _TIME_KEYS)
    try:
        created = parse_when(stamp, None, zone) if stamp is not None else None
    except ValueError:
        raise LineError(f"the time {stamp!r} is neither ISO 8601 nor Unix seconds") from None
    source_id = data.get("id")
    return SessionMessage(
        session, role, text.strip(), created, str(source_id) if source_id is not None else None, data.get("bad") is True
    )


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


# -- Markdown ------------------------------------------------------------------


@dataclass
class MarkdownLog:
    """One Markdown transcript read: its messages, and the lines that could not be imported (number, why)."""

    messages: list[SessionMessage]
    problems: list[tuple[int, str]]


def read_markdown(text: str, file_name: str, speakers: Speakers, zone: ZoneInfo, session: str) -> MarkdownLog:
    """Messages of one Markdown transcript (one session a file; `session` unless the front matter names one).

    Speakers: the known names, plus one more found in bold or as a timed heading (`**Jovnna**:`), taken to be
    the person when the file names no known user; several such names refuse the file (LineError) until
    --user-name / --assistant-name say who is who.
    """
    front, body, offset = _front_matter(text)
    session = front.get("session") or session
    dated_name = _FILE_DATE.search(file_name)
    day = _day(front.get("date")) or _day(dated_name.group(1) if dated_name else None)
    lines = body.splitlines()
    speakers = _with_found_speaker(lines, speakers)
    messages: list[SessionMessage] = []
    problems: list[tuple[int, str]] = []
    current: tuple[str, datetime | None, list[str]] | None = None

    def finish() -> None:
        if current and current[0] != "ignored":
            content = "\n".join(current[2]).strip()
            if content:
                messages.append(SessionMessage(session, current[0], content, current[1]))

    for number, line in enumerate(lines, start=offset + 1):
        found = _speaker(line, speakers)
        if found is None:
            if current is not None:
                current[2].append(line)
            elif line.strip() and not line.lstrip().startswith("#"):  # a title heading is not a message
                problems.append((number, "text before the first speaker; not imported"))
            continue
        finish()
        role, stamp, rest = found
        try:
            created = parse_when(stamp, day, zone) if stamp else None
        except ValueError:
            created = None
        current = (role, created, [rest] if rest else [])
    finish()
    return MarkdownLog(messages, problems)


def _with_found_speaker(lines: list[str], speakers: Speakers) -> Speakers:
    """`speakers`, plus the one unknown bold or heading name as the user when the file names no known user."""
    unknown: dict[str, str] = {}
    user_known = False
    for line in lines:
        for pattern in (_SPEAKER_HEADING, _SPEAKER_LINE):
            match = pattern.match(line)
            if not match:
                continue
            role = speakers.role(match.group("name"))
            user_known = user_known or role == "user"
            # A heading counts only with a time ("### Jovnna - 08:05"); "## Notes" is a section title.
            marked = match.group("time") if pattern is _SPEAKER_HEADING else line.lstrip().startswith(("**", "__"))
            if role is None and marked:
                unknown.setdefault(match.group("name").strip().lower(), match.group("name").strip())
            break
    if user_known or not unknown:
        return speakers
    if len(unknown) > 1:
        names = ", ".join(sorted(unknown.values())[:5])
        raise LineError(
            f"speakers {names} are not known; say which is you with --user-name and AIKI with --assistant-name"
        )
    return Speakers(speakers.user | set(unknown), speakers.assistant)


def _speaker(line: str, speakers: Speakers) -> tuple[str, str | None, str] | None:
    for pattern in (_SPEAKER_HEADING, _SPEAKER_LINE):
        match = pattern.match(line)
        if match:
            role = speakers.role(match.group("name"))
            if role is not None:
                text = match.groupdict().get("text") or ""
                return role, (match.group("time") or "").strip() or None, text.strip()
    return None


def _front_matter(text: str) -> tuple[dict[str, str], str, int]:
    """The front matter's keys, the body, and how many lines come before the body."""
    if not text.startswith("---"):
        return {}, text, 0
    parts = text.split("---", 2)
    if len(parts) < 3:
        return {}, text, 0
    front = {}
    for line in parts[1].splitlines():
        key, sep, value = line.partition(":")
        if sep:
            front[key.strip().lower()] = value.strip()
    return front, parts[2], parts[0].count("\n") + parts[1].count("\n")


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value else None
    except ValueError:
        return None


def parse_when(value: Any, day: date | None, zone: ZoneInfo) -> datetime:
    """ISO 8601 (with or without a zone), Unix seconds or milliseconds, or a bare HH:MM on `day`."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float):
        seconds = float(value) / (1000 if value > 1e11 else 1)
        return datetime.fromtimestamp(seconds, UTC)
    text = str(value).strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        if day is None:
            raise
        moment = datetime.combine(day, time.fromisoformat(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def fill_times(messages: list[SessionMessage], fallback: datetime) -> list[tuple[SessionMessage, datetime]]:
    """Each message with a time: its own, else a second after the one before, else the fallback."""
    out: list[tuple[SessionMessage, datetime]] = []
    last = next((m.created_at for m in messages if m.created_at), fallback)
    for message in messages:
        last = message.created_at or last + timedelta(seconds=1)
        out.append((message, last))
    return out
