"""Follow-ups (issue 22): how well bot/mind/plans.py finds a dated event ahead, on tests/data/followups.jsonl.

Each message names (or not) an event relative to a fixed now, Wednesday 2026-01-07 11:00 in Europe/Oslo. Printed per
split: precision and recall of detection, and the share of found events with the right days and hour.
Tune on dev; the test half is reported once.

    python -m bench.followups [--split dev|test] [--show]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.mind.plans import PlannedEvent, planned_event

SET = Path(__file__).resolve().parent.parent / "tests" / "data" / "followups.jsonl"
NOW = datetime(2026, 1, 7, 10, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Oslo")


@dataclass(frozen=True)
class Score:
    found: int  # messages with an event that were found
    labelled: int  # messages with an event
    flagged: int  # messages the detector flagged
    right_time: int  # found events whose days and hour match the label

    @property
    def precision(self) -> float:
        return self.found / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.labelled if self.labelled else 1.0

    @property
    def time_share(self) -> float:
        return self.right_time / self.found if self.found else 0.0


def rows(split: str) -> list[dict[str, object]]:
    lines = SET.read_text(encoding="utf-8").splitlines()
    return [row for row in map(json.loads, lines) if split == "all" or row["split"] == split]


def right_time(event: PlannedEvent, row: dict[str, object]) -> bool:
    start = event.start.astimezone(ZONE).date()
    end = event.end.astimezone(ZONE).date()
    hour = event.at.astimezone(ZONE).time() if event.at else None
    wanted = time.fromisoformat(str(row["time"])) if row["time"] else None
    return (start, end, hour) == (date.fromisoformat(str(row["start"])), date.fromisoformat(str(row["end"])), wanted)


def score(split: str, show: bool = False) -> Score:
    found = labelled = flagged = timed = 0
    for row in rows(split):
        event = planned_event(str(row["text"]), NOW, ZONE)
        labelled += bool(row["event"])
        flagged += event is not None
        if event is not None and row["event"]:
            found += 1
            timed += right_time(event, row)
        wrong = (event is not None) != row["event"] or (event is not None and not right_time(event, row))
        if show and wrong:
            kind = "MISS" if event is None else "EXTRA" if not row["event"] else "TIME"
            print(f"  {kind}: {row['text']!r} -> {event}")
    return Score(found, labelled, flagged, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=["dev", "test", "all"])
    parser.add_argument("--show", action="store_true", help="print each mistake (read the dev half only)")
    args = parser.parse_args()
    result = score(args.split, args.show)
    print(
        f"{args.split}: precision {result.precision:.2f} ({result.found}/{result.flagged}), recall {result.recall:.2f} "
        f"({result.found}/{result.labelled}), right time {result.time_share:.2f} ({result.right_time}/{result.found})"
    )


if __name__ == "__main__":
    main()
