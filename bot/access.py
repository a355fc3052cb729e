"""Who AIKI talks to: it is personal, so only its owner(s) and an allowlist."""

from __future__ import annotations

from dataclasses import dataclass

REFUSAL = "Sorry, I'm a personal companion and only talk with the people I belong to."


@dataclass(frozen=True)
class Access:
    owners: frozenset[int]
    allowed: frozenset[int]

    def allows(self, user_id: int) -> bool:
        return user_id in self.owners or user_id in self.allowed

    def is_owner(self, user_id: int) -> bool:
        return user_id in self.owners

    def people(self) -> frozenset[int]:
        """Everyone AIKI talks with (whose DMs it reads back after a break)."""
        return self.owners | self.allowed
