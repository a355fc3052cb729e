"""The forget journal: a forget is written down (ids only) before its erasing starts, and crossed out when it is done.

A process killed half-way through a forget leaves its entry behind; the next start finishes that forget before
anything else opens the memory store (bot/mind/forgetting.py). One small JSON file per forget in a folder of the
data directory, written to a temporary name, fsynced and renamed, so an entry is either whole or absent.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path

from bot.clock import from_iso, to_iso

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

    def _entry(self, request: ForgetRequest) -> Path:
        return self.folder / f"{request.id}.json"

    def begin(self, request: ForgetRequest) -> None:
        """Durable when this returns: the entry and the folder that names it are fsynced."""
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = self._entry(request)
        partial = entry.with_name(entry.name + _PARTIAL)
        with partial.open("w", encoding="utf-8") as out:
            out.write(request.to_json())
            out.flush()
            os.fsync(out.fileno())
        partial.replace(entry)
        _fsync_folder(self.folder)

    def done(self, request: ForgetRequest) -> None:
        self._entry(request).unlink(missing_ok=True)
        if self.folder.exists():
            _fsync_folder(self.folder)

    def pending(self) -> list[ForgetRequest]:
        """The forgets a stopped process left unfinished, oldest first; cheap when there are none."""
        if not self.folder.is_dir():
            return []
        found: list[ForgetRequest] = []
        for path in sorted(self.folder.iterdir()):
            if path.name.endswith(_PARTIAL):  # never renamed: its forget had not started erasing
                path.unlink(missing_ok=True)
            elif path.suffix == ".json":
                try:
                    found.append(ForgetRequest.from_json(path.stem, path.read_text(encoding="utf-8")))
                except (OSError, ValueError, KeyError, TypeError):
                    log.warning("forget journal entry %s cannot be read; it is left for a person to look at", path)
        return sorted(found, key=lambda request: request.requested_at)


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
