"""What an import did, told as a person reads it: imported, skipped (with why), rejected (with where and why)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.jsonlines import Bounded

SHOWN = 50  # rejected lines and notes printed in full; the rest are counted


@dataclass
class DataReport:
    unit: str = "messages"  # what `imported` counts
    imported: int = 0
    groups: int = 0  # conversations or sessions that received at least one new message
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> how many
    rejected: list[tuple[str, str]] = field(default_factory=Bounded)  # (where, reason)
    notes: list[str] = field(default_factory=Bounded)  # things worth knowing that are not failures
    extra: list[str] = field(default_factory=list)  # further results, e.g. "12 ChatGPT memories became facts"

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] += count

    def reject(self, where: str, reason: str) -> None:
        self.rejected.append((where, reason))

    def summary(self) -> str:
        imported = f"imported : {self.imported:,} {self.unit}"
        if self.groups:
            imported += f" in {self.groups:,} conversations"
        lines = [imported, *(f"           {line}" for line in self.extra)]
        skipped = ", ".join(f"{count:,} {reason}" for reason, count in self.skipped.most_common())
        lines.append(f"skipped  : {skipped or 'nothing'}")
        lines.append(f"rejected : {len(self.rejected):,}")
        lines += [f"  {where}: {reason}" for where, reason in self.rejected[:SHOWN]]
        if len(self.rejected) > SHOWN:
            lines.append(f"  ... and {len(self.rejected) - SHOWN:,} more")
        if self.notes:
            lines.append("notes    :")
            lines += [f"  {note}" for note in self.notes[:SHOWN]]
            if len(self.notes) > SHOWN:
                lines.append(f"  ... and {len(self.notes) - SHOWN:,} more")
        return "\n".join(lines)
