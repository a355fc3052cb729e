"""A training run's bookkeeping, without torch: which run a checkpoint belongs to, and a step loop that stops when
asked (Ctrl-C) at the next step, with a checkpoint.

A checkpoint carries the run's fingerprint (a digest of the training data and the settings that change what is
learned), so the same command weeks later, on a grown history, starts fresh instead of resuming an old run.
`--max-steps`, `--save-every` and gradient checkpointing change when a run stops or saves, not what it learns:
they stay out of the fingerprint, so a trial run can be continued with a larger `--max-steps`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.training.recipe import Recipe

RUN_FILE = "run.json"  # in the checkpoint folder: the run it belongs to and the step it reached
LEARNING_SETTINGS = (
    "base_model",
    "rank",
    "alpha",
    "dropout",
    "learning_rate",
    "epochs",
    "batch",
    "micro_batch",
    "max_length",
    "qlora",
    "seed",
)
_CHUNK = 1 << 20

T = TypeVar("T")


@dataclass(frozen=True)
class Fingerprint:
    data: str  # digest of the training and validation files
    settings: dict[str, Any]

    @classmethod
    def of(cls, recipe: Recipe, files: Sequence[Path | None]) -> Fingerprint:
        digest = hashlib.blake2b(digest_size=16)
        for path in files:
            digest.update(b"\0file\0" if path is not None else b"\0none\0")
            if path is not None:
                with path.open("rb") as handle:
                    while chunk := handle.read(_CHUNK):
                        digest.update(chunk)
        recorded = asdict(recipe)
        return cls(digest.hexdigest(), {key: recorded[key] for key in LEARNING_SETTINGS})

    def differences(self, other: Fingerprint) -> list[str]:
        """What makes `other` (a checkpoint's run) another run than this one, in words."""
        found = ["the training data changed"] if other.data != self.data else []
        for key, value in self.settings.items():
            if other.settings.get(key) != value:
                found.append(f"{key} {other.settings.get(key)} -> {value}")
        return found


@dataclass(frozen=True)
class RunRecord:
    fingerprint: Fingerprint
    step: int
    total: int

    def write(self, folder: Path) -> None:
        body = {"data": self.fingerprint.data, "settings": self.fingerprint.settings, "step": self.step}
        body["total"] = self.total
        write_bytes(folder / RUN_FILE, json.dumps(body, indent=1).encode())

    @classmethod
    def read(cls, folder: Path) -> RunRecord | None:
        try:
            body = json.loads((folder / RUN_FILE).read_text(encoding="utf-8"))
            return cls(Fingerprint(str(body["data"]), dict(body["settings"])), int(body["step"]), int(body["total"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class ResumeCheck:
    resume: bool
    note: str | None  # said to the person: why a checkpoint that is there is not resumed


def check_checkpoint(folder: Path, wanted: Fingerprint) -> ResumeCheck:
    """Whether the checkpoint in `folder` continues the run `wanted` describes (none there: start, say nothing)."""
    if not folder.exists():
        return ResumeCheck(False, None)
    record = RunRecord.read(folder)
    if record is None:
        why = "it has no record of its data and settings (an interrupted write, or an older AIKI made it)"
    else:
        differences = wanted.differences(record.fingerprint)
        if not differences:
            return ResumeCheck(True, None)
        why = f"it is from another run ({'; '.join(differences)})"
    return ResumeCheck(False, f"not resuming {folder}: {why}. Starting fresh; this run's first checkpoint replaces it.")


def write_bytes(path: Path, data: bytes) -> None:
    """Write through Python's own file calls, so a full disk is an OSError naming the file (ENOSPC), which the CLI
    turns into its disk message; torch.save says only "unexpected pos" and safetensors can fail without errno."""
    try:
        with path.open("wb") as handle:
            handle.write(data)
    except OSError as exc:  # a failed write names no file: the message should
        raise OSError(exc.errno, exc.strerror, str(path)) from None


class Stopped(Exception):
    """Training stopped on request (Ctrl-C) after `step` of `total` steps; `saved`: a checkpoint holds that step."""

    def __init__(self, step: int, total: int, saved: bool) -> None:
        super().__init__(f"stopped at step {step} of {total}")
        self.step, self.total, self.saved = step, total, saved


StepFn = Callable[[int], bool]  # runs optimizer step N; False when a stop came before it finished (nothing changed)


def run_steps(
    start: int, total: int, save_every: int, step: StepFn, save: Callable[[int], None], stop: threading.Event
) -> None:
    """Steps start..total-1, a checkpoint every `save_every` and at the end; on `stop`, a checkpoint of the last
    finished step (unless one holds it already) and `Stopped`."""
    saved = start
    for number in range(start, total):
        if stop.is_set() or not step(number):
            if number > saved:
                save(number)
            raise Stopped(number, total, number > 0)
        if (number + 1) % save_every == 0 or number + 1 == total:
            save(number + 1)
            saved = number + 1


async def until_stopped(work: Callable[[threading.Event], T], on_stop: Callable[[], None]) -> tuple[T, bool]:
    """Run `work` in a worker thread; Ctrl-C (asyncio cancels the command's task on SIGINT) sets the event it
    watches, and the command waits for it to stop at its next step instead of leaving it running unseen. Returns
    what it returned, and whether a stop was asked for (it may have come after the last step: the work finished).

    A second Ctrl-C ends the command at once (asyncio raises KeyboardInterrupt), but the process still waits for
    the worker, which stops at the same step: a thread cannot be killed halfway through a checkpoint.
    """
    stop = threading.Event()
    future = asyncio.get_running_loop().run_in_executor(None, work, stop)
    try:
        return await asyncio.shield(future), False
    except asyncio.CancelledError:
        stop.set()
        on_stop()
        return await future, True
