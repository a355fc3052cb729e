"""Changing one setting in the `.env` file the settings are read from, keeping every other line as it was."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


def read_value(path: Path, key: str) -> str | None:
    """The value `key` has in the file (the last assignment wins, as in the settings loader), or None."""
    if not path.exists():
        return None
    value = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(rf"^\s*(?:export\s+)?{re.escape(key)}\s*=(.*)$", line)
        if match:
            value = match.group(1).strip().strip("'\"")
    return value


def set_value(path: Path, key: str, value: str, note: str) -> None:
    """Point `key` at `value`: the assignment lines are replaced in place (or one is added at the end), with a
    comment line above saying what changed; the file is replaced whole, with its permissions kept."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    pattern = re.compile(rf"^\s*(?:export\s+)?{re.escape(key)}\s*=")
    out: list[str] = []
    placed = False
    marker = f"# {note.split(':', 1)[0]}:"  # the note a previous change left
    for line in lines:
        if line.startswith(marker):
            continue
        if pattern.match(line):
            if not placed:
                out += [f"# {note}", f"{key}={value}"]
                placed = True
            continue
        out.append(line)
    if not placed:
        out += [f"# {note}", f"{key}={value}"]
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write("\n".join(out) + "\n")
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
