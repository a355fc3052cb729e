"""What the benchmarks share: how they print progress and how they name the machine they ran on."""

from __future__ import annotations

import os
import platform


def say(message: str) -> None:
    print(message, flush=True)


def machine_line() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{usable} usable cores (os.cpu_count()={os.cpu_count()}), {platform.machine()}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
