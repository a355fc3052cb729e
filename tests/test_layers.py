"""The tree points down: a surface may use the mind, the mind may use memory, state and the model, everything may
use the shared vocabulary at the bottom; never the other way, and no two parts import each other.

Read from the source (every import statement, including those inside functions), so a lazy import counts too.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top to bottom. A part may import parts of its own layer or below. Within a layer, no cycles.
LAYERS: list[set[str]] = [
    {"bot.__main__"},
    {"bot.cli"},  # every command group
    {"bot.discord_bot"},  # the Discord client that assembles the cogs
    {"cogs", "bot.terminal", "bot.web"},  # the surfaces people talk through (bot/web: the owner's page)
    {"bot.app"},  # the composition root: settings → stores → the core
    {"bot.checkins", "bot.training"},  # what runs on the mind: check-ins, training data
    {"bot.mind"},  # the consciousness
    {"bot.memory", "bot.state", "bot.llm"},  # what it remembers with, where it keeps state, who phrases
    {
        "bot.settings",
        "bot.logs",
        "bot.access",
        "bot.diskspace",
        "bot.jsonlines",
        "bot.mood",
        "bot.mood_chart",
        "bot.tokens",
        "bot.pictures",
    },
    {"bot.clock", "bot.errors", "bot.places", "bot.languages"},  # shared vocabulary: imports nothing of AIKI
]
LAYER_OF = {part: depth for depth, parts in enumerate(LAYERS) for part in parts}


def part_of(module: str) -> str | None:
    names = module.split(".")
    if names[0] == "cogs":
        return "cogs"
    if names[0] != "bot" or len(names) == 1:
        return None
    return f"bot.{names[1]}"


def imports() -> dict[tuple[str, str], set[str]]:
    """(importing part, imported part) → the files where it happens."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]:
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        source = part_of(module) or "bot"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from bot import tokens` imports the module bot.tokens
                targets = [f"bot.{a.name}" for a in node.names] if node.module == "bot" else [node.module]
            else:
                continue
            for target in targets:
                part = part_of(target)
                if part is not None and part != source:
                    found[(source, part)].add(str(path.relative_to(ROOT)))
    return found


def test_every_part_has_a_layer() -> None:
    parts = {part for edge in imports() for part in edge}
    assert parts - set(LAYER_OF) == set()


def test_no_part_imports_a_part_above_it() -> None:
    upward = {
        f"{low} imports {high} ({', '.join(sorted(files))})"
        for (low, high), files in imports().items()
        if LAYER_OF[high] < LAYER_OF[low]
    }
    assert upward == set()


def test_no_two_parts_import_each_other() -> None:
    edges = imports()
    cycles = {tuple(sorted(edge)) for edge in edges if (edge[1], edge[0]) in edges}
    assert cycles == set()


def test_the_core_and_the_owners_page_never_import_discord() -> None:
    """The mind speaks in ids and strings; the page (bot/web) serves without Discord, while AIKI is stopped too."""
    found = set()
    for path in [*ROOT.glob("bot/mind/**/*.py"), *ROOT.glob("bot/web/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name == "discord" or name.startswith("discord.") for name in names):
                found.add(str(path.relative_to(ROOT)))
    assert found == set()
