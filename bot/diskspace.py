"""Room on the disk before a large write: some libraries crash (SIGBUS in a memory map) instead of failing."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.errors import AikiError, DiskFullError

__all__ = ["DiskFullError", "allocated_bytes", "ensure_free_space", "existing_parent", "writable_file"]

MARGIN = 64 * 1024 * 1024  # left free for SQLite's journal, the log and the rest of the machine


def existing_parent(path: Path) -> Path:
    """`path`, or its nearest parent that exists (the disk it will be written on)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path(".")


def ensure_free_space(path: Path, needed: int) -> None:
    """Refuse before writing when the disk holding `path` has less than `needed` bytes (plus a margin) free.

    The message names `path` (the folder or file about to be written), even when it does not exist yet.
    """
    free = shutil.disk_usage(existing_parent(path)).free
    if free < needed + MARGIN:
        raise DiskFullError(
            f"Not enough free space at {path}: {free / 2**20:,.0f} MB free, about "
            f"{(needed + MARGIN) / 2**20:,.0f} MB needed. Free some space (or move AIKI_DATA_DIR) and run it again."
        )


def allocated_bytes(folder: Path) -> int:
    """What the files under `folder` take on the disk (blocks, not apparent size: Qdrant's files are sparse)."""
    total = 0
    for item in folder.rglob("*"):
        try:
            total += item.lstat().st_blocks * 512 if item.is_file() else 0
        except OSError:  # removed while counted
            continue
    return total


def writable_file(path: Path) -> Path:
    """A file path a command may write to: not a folder; its folder is made if missing. AikiError says the fix."""
    if path.is_dir():
        raise AikiError(f"{path} is a folder: give a file name, e.g. {path / 'memories.jsonl'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AikiError(f"Cannot create the folder {path.parent} ({exc.strerror}): pick another place.") from None
    return path
