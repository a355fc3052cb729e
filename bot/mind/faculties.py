"""What every part of the consciousness works with: memory, state, the model, who AIKI is, where and when.

One object handed to each part (a turn, the feelings, the memory commands, the check-in hooks) instead of seven
loose values each; `Consciousness` builds it once. `persona` changes once, at start, when AIKI's identity is
loaded from its memories.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.llm import LLM
from bot.memory.bank import MemoryBank
from bot.mind.persona import Persona
from bot.mind.turn import Budgets
from bot.state.store import StateStore


@dataclass
class Faculties:
    bank: MemoryBank
    state: StateStore
    llm: LLM
    persona: Persona
    zone: ZoneInfo
    clock: Clock
    budgets: Budgets
