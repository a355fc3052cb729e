"""The suite's own guard against the wall clock: the time-aware tests pass at any hour, in any machine time zone.

Each run moves the wall clock (time-machine, ticking on) to an hour that once broke a test: in and out of
AIKI's default quiet hours (22:00-08:00 Oslo), around midnight, and a machine whose own time zone is far
from Oslo's. The whole suite takes the same flag: `./scripts/test.sh --frozen-at=2026-03-02T07:59:00+01:00`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from tests.conftest import ROOT

# Oslo times (winter, +01:00), each with a machine time zone of its own.
INSTANTS = [
    ("2026-03-02T00:30:00+01:00", "Europe/Oslo"),
    ("2026-03-02T07:59:00+01:00", "UTC"),
    ("2026-03-02T12:00:00+01:00", "America/Los_Angeles"),
    ("2026-03-02T22:30:00+01:00", "Pacific/Kiritimati"),
]
# The tests whose code reads dates and hours: check-ins (quiet hours, daily caps, due times), time expressions
# in retrieval, conversation splitting in the training export, mood decay and absence.
TIME_AWARE = ["tests/test_checkins.py", "tests/test_retrieval.py", "tests/test_training_export.py"]


def _run_at(instant: str, zone: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TZ": zone, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--frozen-at={instant}", *TIME_AWARE]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_time_aware_tests_pass_at_any_hour_in_any_machine_time_zone() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:  # two cores: two runs at a time
        results = list(pool.map(lambda args: _run_at(*args), INSTANTS))
    failed = [
        f"{instant} (TZ={zone}):\n{result.stdout[-3000:]}{result.stderr[-1000:]}"
        for (instant, zone), result in zip(INSTANTS, results, strict=True)
        if result.returncode != 0
    ]
    assert not failed, "\n\n".join(failed)
