"""The forget journal: a forget is written down (ids only) before its erasing starts, and crossed out when it is done.

A process killed half-way through a forget leaves its entry behind; the next start finishes that forget before
anything else opens the memory store (bot/mind/forgetting.py). One small JSON file per forget in a folder of the
data directory, written to a temporary name, fsynced and renamed, so an entry is either whole or absent. While its
forget runs, the entry is locked (flock; the lock dies with the process), so another `aiki` command starting
meanwhile does not take a forget in progress for one that was cut short.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path

from bot.clock import from_iso, to_iso

if sys.platform != "win32":
    import fcntl

log = logging.getLogger(__name__)

_PARTIAL = ".partial"


class ForgetKind(str, Enum):
    MEMORY = "memory"  # one memory
    EVERYTHING = "everything"  # everything about a person


@dataclass(frozen=True)
class ForgetRequest:
    """One forget as the journal holds it: who, what, when asked. Never any words."""

    kind: ForgetKind
    scope: str
    requested_at: datetime
    memory_id: str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_json(self) -> str:
        entry = {"kind": self.kind.value, "scope": self.scope, "requested_at": to_iso(self.requested_at)}
        if self.memory_id is not None:
            entry["memory_id"] = self.memory_id
        return json.dumps(entry)

    @classmethod
    def from_json(cls, request_id: str, text: str) -> ForgetRequest:
        entry = json.loads(text)
        requested_at = from_iso(entry["requested_at"])
        if requested_at is None:
            raise ValueError("no requested_at")
        return cls(ForgetKind(entry["kind"]), str(entry["scope"]), requested_at, entry.get("memory_id"), request_id)


class ForgetJournal:
    """The folder of forgets that started and have not finished. Calls block on the disk: run them off the loop."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._held: dict[str, int] = {}  # request id -> the open, locked entry of a forget running in this process

    def _entry(self, request: ForgetRequest) -> Path:
        return self.folder / f"{request.id}.json"

    def begin(self, request: ForgetRequest) -> None:
        """Durable and locked when this returns: the entry and the folder that names it are fsynced."""
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = self._entry(request)
        partial = entry.with_name(entry.name + _PARTIAL)
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(handle, request.to_json().encode("utf-8"))
            os.fsync(handle)
            _lock(handle, wait=True)  # the lock follows the file through the rename
            os.replace(partial, entry)
            _fsync_folder(self.folder)
        except BaseException:
            os.close(handle)
            partial.unlink(missing_ok=True)
            raise
        self._held[request.id] = handle

    def done(self, request: ForgetRequest) -> None:
        """Cross the forget out: removed first, then unlocked, so no one sees it unlocked and still there."""
        self._entry(request).unlink(missing_ok=True)
        if self.folder.exists():
            _fsync_folder(self.folder)
        self.release(request)

    def release(self, request: ForgetRequest) -> None:
        """A forget that failed in this process: its entry stays, unlocked, for a later forget or the next start."""
        handle = self._held.pop(request.id, None)
        if handle is not None:
            os.close(handle)

    def interrupted(self) -> list[ForgetRequest]:
        """The forgets no running forget holds (cut short by a stop, or failed), oldest first; cheap when none."""
        if not self.folder.is_dir():
            return []
        found: list[ForgetRequest] = []
        for path in sorted(self.folder.glob("*.json")):  # a `.partial` file never renamed had not started erasing
            try:
                request = _read_unlocked(path)
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("forget journal entry %s cannot be read; it is left for a person to look at", path.name)
                continue
            if request is not None:
                found.append(request)
        return sorted(found, key=lambda request: request.requested_at)


def _read_unlocked(path: Path) -> ForgetRequest | None:
    """The entry, or None when a running forget holds it (or it was just crossed out)."""
    try:
        handle = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        if not _lock(handle, wait=False):
            return None
        return ForgetRequest.from_json(path.stem, os.read(handle, 1 << 16).decode("utf-8"))
    finally:
        os.close(handle)


def _lock(handle: int, wait: bool) -> bool:
    """An exclusive lock on an open file; False when another holder has it (Windows: no lock, always True)."""
    if sys.platform == "win32":
        return True
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    return True


def _fsync_folder(folder: Path) -> None:
    """Make a file's creation, rename or removal in `folder` survive a crash (POSIX; a no-op where not possible)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
