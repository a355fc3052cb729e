"""AIKI's identity: a persona file, seeded into the memory store as identity memories, loaded once."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bot.errors import ConfigError
from bot.memory.bank import MemoryBank, NewMemory
from bot.memory.models import IDENTITY_SCOPE, MemoryKind
from bot.memory.port import every_memory
from bot.places import Origin, OriginSource
from bot.state.store import StateStore

log = logging.getLogger(__name__)

PERSONA_HASH_KEY = "persona_sha256"


@dataclass(frozen=True)
class Persona:
    name: str
    text: str  # the whole persona, carried by every prompt
    paragraphs: tuple[str, ...]  # one identity memory each
    baseline: tuple[float, float]  # valence, arousal the mood returns to
    digest: str


def parse_persona(raw: str) -> Persona:
    """A persona file: optional `---` front matter (name, baseline_valence, baseline_arousal), then prose."""
    settings: dict[str, str] = {}
    body = raw
    if raw.startswith("---"):
        _, header, body = raw.split("---", 2)
        for line in header.strip().splitlines():
            key, _, value = line.partition(":")
            settings[key.strip()] = value.strip()
    paragraphs = tuple(p.strip() for p in body.strip().split("\n\n") if p.strip())
    if not paragraphs:
        raise ValueError("the persona file has no text")
    try:
        baseline = (
            max(-1.0, min(1.0, float(settings.get("baseline_valence", 0.3)))),
            max(-1.0, min(1.0, float(settings.get("baseline_arousal", 0.1)))),
        )
    except ValueError:
        raise ValueError("baseline_valence and baseline_arousal must be numbers from -1 to 1") from None
    return Persona(
        name=settings.get("name", "AIKI"),
        text="\n\n".join(paragraphs),
        paragraphs=paragraphs,
        baseline=baseline,
        digest=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
    )


def read_persona(path: Path | None) -> Persona:
    if path is None:
        return parse_persona(resources.files("bot.mind").joinpath("persona/default.md").read_text(encoding="utf-8"))
    try:
        return parse_persona(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"AIKI_PERSONA_FILE={path}: cannot use it ({exc})") from None


async def seed_identity(persona: Persona, bank: MemoryBank, state: StateStore) -> bool:
    """Make the identity memories match the persona file; a changed file replaces them. True if reseeded."""
    if await state.get_meta(PERSONA_HASH_KEY) == persona.digest and await bank.count(IDENTITY_SCOPE):
        return False
    await bank.delete_scope(IDENTITY_SCOPE)
    origin = Origin(OriginSource.SYSTEM)
    await bank.add(
        [
            NewMemory(
                IDENTITY_SCOPE,
                paragraph,
                MemoryKind.IDENTITY,
                importance=1.0,
                origin=origin,
                id=f"persona:{index}:{persona.digest}",
                meta={"order": index},
            )
            for index, paragraph in enumerate(persona.paragraphs)
        ]
    )
    await state.set_meta(PERSONA_HASH_KEY, persona.digest)
    log.info("identity seeded from the persona file (%d memories)", len(persona.paragraphs))
    return True


async def load_identity(bank: MemoryBank) -> str:
    """AIKI's identity as it is in memory (the owner's note: identity loading is the consciousness' job)."""
    memories = await every_memory(bank, IDENTITY_SCOPE)
    memories.sort(key=lambda m: (int(m.meta.get("order", 1_000)), m.created_at))
    return "\n\n".join(m.text for m in memories)
