"""`aiki mood explain "TEXT"`: what AIKI would read in a message, and the mood it would feel from its baseline.

For an owner tuning a persona (or the lexicon in bot/mind/appraisal_lexicon.py), and for testing appraisal from outside.
Nothing is stored and no LLM is called: it runs the same appraisal (the word rules and the meaning reader, with the
configured embedding model) and mood rules as a conversation turn. Each event's reason names the reader that decided.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import lazy

if TYPE_CHECKING:
    from bot.mind.appraisal_meaning import Sense
    from bot.mind.intention import Intention
    from bot.mood import MoodEvent, MoodState
    from bot.settings import Settings


@dataclass(frozen=True)
class Explained:
    events: list[MoodEvent]
    mood: MoodState
    intention: Intention


def explain(text: str, baseline: tuple[float, float], now: datetime, sense: Sense | None = None) -> Explained:
    """The events a message brings, and the mood and intention they lead to from the baseline (rules alone without
    a sense of the message's meaning)."""
    # Imported here, as every command's work is: `aiki --help` stays fast.
    from bot.mind.appraisal import appraise
    from bot.mind.intention import Situation, attune, choose
    from bot.mood import MoodState, apply

    events = appraise(text, None, now, sense)
    mood, recorded = apply(MoodState(baseline[0], baseline[1], now), events)
    situation = Situation(text, mood, [], None, now, [], appraised=tuple(e.kind for e in events))
    intention = choose(situation)
    return Explained(recorded, attune(mood, intention), intention)


async def explain_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.mind.persona import read_persona

    persona = read_persona(settings.persona_file)
    explained = explain(args.text, persona.baseline, args.clock(), await _sense(settings, args.text))
    mood = explained.mood
    if args.json:
        events = [{"kind": e.kind.value, "reason": e.reason} for e in explained.events]
        print(json.dumps({"events": events, "mood": mood.name}, ensure_ascii=False))
        return 0
    print("events:" if explained.events else "events: none")
    for event in explained.events:
        effect = f"valence {event.d_valence:+.2f}, arousal {event.d_arousal:+.2f}"
        print(f"  {event.kind.value:<18} {event.reason}  ({effect})")
    base_v, base_a = persona.baseline
    print(
        f"mood: {mood.name} (from the baseline {base_v:+.2f}/{base_a:+.2f} to valence {mood.valence:+.2f}, "
        f"arousal {mood.arousal:+.2f}; temperature {mood.temperature})"
    )
    print(f"tone: {mood.tone}")
    print(f"intention: {explained.intention.kind.value}")
    return 0


async def _sense(settings: Settings, text: str) -> Sense | None:
    """The message's meaning by the configured model, as a turn reads it; None (rules alone) if it cannot load."""
    from bot.app import load_embedder
    from bot.errors import EmbeddingModelError
    from bot.mind.appraisal_meaning import prepare_meaning, sense_of

    try:
        embedder = await load_embedder(settings)
    except EmbeddingModelError as exc:
        print(f"aiki: reading by words alone, no embedding model: {exc}", file=sys.stderr)
        return None
    try:
        await prepare_meaning(embedder, Path(settings.model_cache_dir))
        return await sense_of(embedder, text)
    finally:
        embedder.close()


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    mood = commands.add_parser("mood", help="see how AIKI reads a message and what it would feel")
    actions = mood.add_subparsers(dest="mood_command", required=True, metavar="ACTION")
    explain_parser = actions.add_parser("explain", help="the events AIKI reads in a message and the mood they give")
    explain_parser.add_argument("text", help="a message, as a person would write it")
    explain_parser.add_argument("--json", action="store_true", help='print {"events": [...], "mood": ...}')
    explain_parser.set_defaults(run=lazy("bot.cli.mood:explain_command"))
