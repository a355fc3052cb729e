"""Changing one setting in the `.env` file the settings are read from, keeping every other line as it was.

python-dotenv reads and writes the assignments; this module adds only the comment saying what changed.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dotenv import dotenv_values, set_key


def read_value(path: Path, key: str) -> str | None:
    """The value `key` has in the file (the last assignment wins, as in the settings loader), or None."""
    return dotenv_values(path).get(key) if path.exists() else None


def set_value(path: Path, key: str, value: str, note: str) -> None:
    """Point `key` at `value` (in place, or added at the end) with a comment line above saying what changed; the
    file is replaced whole, with its permissions kept."""
    set_key(path, key, value, quote_mode="never")
    marker = f"# {note.split(':', 1)[0]}:"  # the note a previous change left
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(marker)]
    assignment = f"{key}={value}"
    at = lines.index(assignment)
    # set_key rewrites every assignment of the key: one is enough.
    lines = [*lines[:at], f"# {note}", assignment, *(line for line in lines[at + 1 :] if line != assignment)]
    mode = path.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write("\n".join(lines) + "\n")
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
