"""The `aiki` command: one composition root for every entry point, and the one place CLI errors are shown."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot import checkins_cli, model_cli
from bot.cli_common import EXIT_CONFIG, EXIT_FAILED, EXIT_LOCKED, lazy
from bot.clock import Clock, utcnow
from bot.errors import AikiError, ConfigError, StoreLockedError
from bot.logs import setup_logging
from bot.settings import MemoryBackend, load_settings
from bot.training import parsers as training_parsers

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiki",
        description="AIKI, a personal AI companion with long-term memory. Settings come from AIKI_* "
        "environment variables or a .env file (see .env.example).",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    start = commands.add_parser("run", help="start AIKI on Discord")
    start.set_defaults(run=lazy("bot.commands:run"))

    talk = commands.add_parser("chat", help="talk with AIKI in the terminal (same memory and mood as Discord)")
    talk.add_argument("--name", default=None, help="what AIKI calls you (default: nothing special)")
    talk.set_defaults(run=lazy("bot.commands:chat"))

    memory = commands.add_parser("memory", help="inspect and maintain the long-term memory")
    memory_commands = memory.add_subparsers(dest="memory_command", required=True, metavar="ACTION")
    imp = memory_commands.add_parser("import", help="add memories from a JSONL file (idempotent)")
    imp.add_argument("file", help="JSONL file, one memory per line (see README: memory JSONL format)")
    imp.add_argument("--scope", help="scope (Discord user id) for lines that name none")
    imp.set_defaults(run=lazy("bot.commands:memory_import"))
    exp = memory_commands.add_parser("export", help="write every memory to a JSONL file")
    exp.add_argument("file")
    exp.set_defaults(run=lazy("bot.commands:memory_export"))
    mig = memory_commands.add_parser("migrate", help="copy the embedded store to a Qdrant server, counts verified")
    mig.add_argument("--url", help="Qdrant server URL (default: AIKI_QDRANT_URL)")
    mig.add_argument("--collection", help="target collection (default: AIKI_QDRANT_COLLECTION)")
    mig.set_defaults(run=lazy("bot.commands:memory_migrate"))
    rei = memory_commands.add_parser(
        "reindex", help="rebuild the store for AIKI_EMBEDDING_MODEL and AIKI_MEMORY_LANGUAGE"
    )
    rei.set_defaults(run=lazy("bot.commands:memory_reindex"))
    sta = memory_commands.add_parser("stats", help="what the store holds and what it was built with")
    sta.set_defaults(run=lazy("bot.commands:memory_stats"))
    checkins_cli.add_parser(commands)
    model_cli.add_parser(commands)
    training_parsers.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None, clock: Clock = utcnow) -> int:
    """Run one `aiki` command; `clock` is the one every command reads the time from (tests pass their own)."""
    parser = build_parser()
    parser.set_defaults(clock=clock)
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"aiki: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    # `aiki chat`'s screen is the conversation: its logs go to the file only (README: logs).
    setup_logging(settings, to_stderr=args.command != "chat")
    if settings.memory_backend is MemoryBackend.EDGE:
        from bot.memory import maintenance

        maintenance.finish_interrupted_reindex(settings.edge_path)
    try:
        return asyncio.run(args.run(settings, args))
    except KeyboardInterrupt:
        print("aiki: interrupted", file=sys.stderr)
        return 130
    except StoreLockedError as exc:
        print(f"aiki: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except ConfigError as exc:
        print(f"aiki: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except AikiError as exc:
        print(f"aiki: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except Exception:
        log.exception("command %s failed", args.command)
        print("aiki: the command failed unexpectedly; the log above says where.", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
