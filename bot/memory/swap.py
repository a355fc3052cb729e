"""Replacing the embedded store's directory with a rewritten copy, and finishing or clearing a swap a crash cut short.

A rewrite (`aiki memory reindex`, or a forget's erase in bot/memory/edge.py) builds the new shard beside the live one
as `<store>.reindex`, marks it complete, moves the live one aside as `<store>.old`, moves the copy in and removes the
old one. Either leftover holds people's words, so none may outlive the next start.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

STAGING_SUFFIX = ".reindex"
RETIRED_SUFFIX = ".old"
# Marks a staging copy that finished and was counted: only such a copy may replace the live store.
COMPLETE_MARKER = "REINDEX_COMPLETE"


def staging_of(path: Path) -> Path:
    return path.with_name(path.name + STAGING_SUFFIX)


def retired_of(path: Path) -> Path:
    return path.with_name(path.name + RETIRED_SUFFIX)


def swap_in(path: Path, staging: Path) -> None:
    """Replace `path` with the complete copy at `staging`; every step can be finished by `finish_interrupted_swap`."""
    (staging / COMPLETE_MARKER).write_text("ok", encoding="utf-8")
    retired = retired_of(path)
    shutil.rmtree(retired, ignore_errors=True)
    path.rename(retired)
    staging.rename(path)
    (path / COMPLETE_MARKER).unlink(missing_ok=True)
    shutil.rmtree(retired)


def finish_interrupted_swap(path: Path) -> None:
    """Complete a swap a crash cut short, so the store is where it belongs (renames only: nothing is allocated).

    Run before anything reads the store; `remove_leftovers` clears what is left once the store is locked.
    """
    staging, retired = staging_of(path), retired_of(path)
    if (staging / COMPLETE_MARKER).exists():
        if path.exists():
            shutil.rmtree(retired, ignore_errors=True)
            path.rename(retired)  # removed by `remove_leftovers` once the store is open
        staging.rename(path)
        (path / COMPLETE_MARKER).unlink(missing_ok=True)
        log.warning("completed an interrupted swap of the memory store at %s", path)
    elif not path.exists() and retired.exists():
        # Moved aside without a complete copy to take its place (not a state a swap leaves): put it back.
        retired.rename(path)
        log.warning("restored the memory store at %s from %s", path, retired.name)


def remove_leftovers(path: Path) -> None:
    """Delete a retired store and an unfinished staging copy beside `path`.

    Called with the live store open (its lock held), so no other process is building a copy right now.
    """
    for leftover in (retired_of(path), staging_of(path)):
        if leftover.exists():
            shutil.rmtree(leftover)
            log.info("removed %s left by an interrupted rewrite of the memory store", leftover.name)
