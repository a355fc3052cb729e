"""The `aiki` command: one composition root for every entry point, and the one place CLI errors are shown."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import sqlite3
import sys
import traceback

from bot.cli import checkins as checkins_cli
from bot.cli import mind as mind_cli
from bot.cli import model as model_cli
from bot.cli import mood as mood_cli
from bot.cli import training_parsers
from bot.cli import web as web_cli
from bot.cli.common import EXIT_CONFIG, EXIT_DISK, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_UNREACHABLE, lazy
from bot.clock import Clock, utcnow
from bot.errors import AikiError, ConfigError, DiskFullError, ServerUnreachableError, StoppedError, StoreLockedError
from bot.logs import content_warning, setup_logging, traceback_without_messages
from bot.settings import MemoryBackend, Settings, load_settings
from bot.state.journal import ForgetJournal

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
    start.set_defaults(run=lazy("bot.cli.commands:run"))

    talk = commands.add_parser("chat", help="talk with AIKI in the terminal (same memory and mood as Discord)")
    talk.add_argument("--name", default=None, help="what AIKI calls you (default: nothing special)")
    talk.set_defaults(run=lazy("bot.cli.commands:chat"))

    memory = commands.add_parser("memory", help="inspect and maintain the long-term memory")
    memory_commands = memory.add_subparsers(dest="memory_command", required=True, metavar="ACTION")
    imp = memory_commands.add_parser("import", help="add memories from a JSONL file (idempotent)")
    imp.add_argument("file", help="JSONL file, one memory per line (see docs/memory.md: memory JSONL format)")
    imp.add_argument("--scope", help="scope (Discord user id) for lines that name none")
    imp.set_defaults(run=lazy("bot.cli.commands:memory_import"))
    exp = memory_commands.add_parser("export", help="write every memory to a JSONL file")
    exp.add_argument("file")
    exp.set_defaults(run=lazy("bot.cli.commands:memory_export"))
    mig = memory_commands.add_parser("migrate", help="copy the embedded store to a Qdrant server, counts verified")
    mig.add_argument("--url", help="Qdrant server URL (default: AIKI_QDRANT_URL)")
    mig.add_argument("--collection", help="target collection (default: AIKI_QDRANT_COLLECTION)")
    mig.set_defaults(run=lazy("bot.cli.commands:memory_migrate"))
    rei = memory_commands.add_parser(
        "reindex", help="rebuild the store for AIKI_EMBEDDING_MODEL and AIKI_MEMORY_LANGUAGE"
    )
    rei.add_argument(
        "--reembed",
        action="store_true",
        help="embed every memory again even with the same model (memories stored before AIKI embedded what was "
        "said without the speaker's name, in windows of sentences, keep their old vectors until then)",
    )
    rei.set_defaults(run=lazy("bot.cli.commands:memory_reindex"))
    sta = memory_commands.add_parser("stats", help="what the store holds and what it was built with")
    sta.set_defaults(run=lazy("bot.cli.commands:memory_stats"))
    checkins_cli.add_parser(commands)
    mood_cli.add_parser(commands)
    mind_cli.add_parser(commands)
    model_cli.add_parser(commands)
    training_parsers.add_parsers(commands)
    web_cli.add_parser(commands)
    return parser


# The exit code of each known failure, most specific first (docs/troubleshooting.md: exit codes).
EXIT_CODES: tuple[tuple[type[AikiError], int], ...] = (
    (StoreLockedError, EXIT_LOCKED),
    (ConfigError, EXIT_CONFIG),
    (DiskFullError, EXIT_DISK),
    (ServerUnreachableError, EXIT_UNREACHABLE),
    (StoppedError, EXIT_INTERRUPTED),
    (AikiError, EXIT_FAILED),
)


def main(argv: list[str] | None = None, clock: Clock = utcnow) -> int:
    """Run one `aiki` command; `clock` is the one every command reads the time from (tests pass their own)."""
    parser = build_parser()
    # The command line as typed, for commands that say how to run them again (a stopped `finetune train`).
    parser.set_defaults(clock=clock, command_line=list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"aiki: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        # `aiki chat`'s screen is the conversation: its logs go to the file only (docs/privacy.md: logs), except the
        # warning that they may hold what people wrote, which the person must see.
        chatting = args.command == "chat"
        setup_logging(settings, to_stderr=not chatting)
        if chatting and settings.log_content:
            print(f"aiki: {content_warning(settings)}", file=sys.stderr)
        if settings.memory_backend is MemoryBackend.EDGE:
            from bot.memory.swap import finish_interrupted_swap

            finish_interrupted_swap(settings.edge_path)
        return asyncio.run(_after_start_up(settings, args))
    except KeyboardInterrupt:
        print("aiki: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except AikiError as exc:  # a known failure: its message is the one line the person sees
        print(f"aiki: {exc}", file=sys.stderr)
        return next(code for kind, code in EXIT_CODES if isinstance(exc, kind))
    except Exception as exc:  # the one place every other failure becomes one line, never a traceback
        known = explain(exc, settings)
        if known is not None:
            print(f"aiki: {known[0]}", file=sys.stderr)
            return known[1]
        saved = _save_traceback(exc, settings)
        log.error("command %s failed: %s (details in %s)", args.command, type(exc).__name__, saved)
        print(
            f"aiki: the command failed unexpectedly ({type(exc).__name__}); the details are in {saved}: "
            "please report it.",
            file=sys.stderr,
        )
        return EXIT_FAILED


async def _after_start_up(settings: Settings, args: argparse.Namespace) -> int:
    """Every command starts by finishing the forgets a stop cut short, before anything reads what they erase."""
    journal = ForgetJournal(settings.forget_journal_path)
    if await asyncio.to_thread(journal.interrupted):
        from bot.app import finish_interrupted_forgets  # the stores load only when there is something to finish

        await finish_interrupted_forgets(settings, journal, args.clock)
    result: int = await args.run(settings, args)
    return result


_DISK_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EROFS: "the disk is read-only", errno.EDQUOT: "over quota"}
_PERMISSION_ERRNOS = {errno.EACCES, errno.EPERM}


def explain(exc: BaseException, settings: Settings) -> tuple[str, int] | None:
    """One line and an exit code for a known failure that is not AIKI's own error (what happened, where, the fix);
    None for a bug."""
    if isinstance(exc, BrokenPipeError):  # `aiki ... | head`: the reader left; nothing is wrong with AIKI
        return "the output was closed before the command finished.", EXIT_FAILED
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        where = exc.filename or settings.data_dir
        return (
            f"cannot write to {where}: {_DISK_ERRNOS[exc.errno]}. Free some space (or point AIKI_DATA_DIR at "
            "another disk) and run the command again; what was stored before is kept.",
            EXIT_DISK,
        )
    if isinstance(exc, OSError) and exc.errno in _PERMISSION_ERRNOS:
        where = exc.filename or settings.data_dir
        return f"no permission to use {where}: fix its owner or permissions, or choose another path.", EXIT_DISK
    if isinstance(exc, sqlite3.OperationalError) and _sqlite_disk_problem(exc):
        return (
            f"the database {settings.database_path} cannot be written ({exc}): check free space and permissions "
            "there, then run the command again; what was stored before is kept.",
            EXIT_DISK,
        )
    if isinstance(exc, ConnectionError) or type(exc).__name__ in _UNREACHABLE:
        server = "a server this command needs"
        if settings.memory_backend is MemoryBackend.SERVER:
            server = f"the Qdrant server at {settings.qdrant_url} (AIKI_QDRANT_URL)"
        return f"cannot reach {server} ({type(exc).__name__}): check the URL and that it runs.", EXIT_UNREACHABLE
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return (
            f"{exc.filename} is a file where AIKI needs a folder: move it, or point AIKI_DATA_DIR elsewhere.",
            EXIT_DISK,
        )
    if isinstance(exc, IsADirectoryError | FileNotFoundError):
        return f"{exc.strerror}: {exc.filename}", EXIT_FAILED
    if isinstance(exc, MemoryError | RecursionError):
        return "the input is too large or too deeply nested to handle; nothing after it was read.", EXIT_FAILED
    return None


# qdrant-client and httpx wrap connection failures in their own classes; matched by name to keep imports light.
_UNREACHABLE = {"ResponseHandlingException", "ConnectError", "ConnectTimeout", "_InactiveRpcError", "RpcError"}


def _sqlite_disk_problem(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return any(sign in text for sign in ("disk", "full", "readonly", "read-only", "unable to open"))


def _save_traceback(exc: BaseException, settings: Settings) -> str:
    """The traceback goes to a file beside the data, not the screen; returns where (or why not)."""
    path = settings.data_dir / "last-error.txt"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # It stays after a forget: frames and classes only, unless the owner turned on AIKI_LOG_CONTENT to debug.
        text = "".join(traceback.format_exception(exc)) if settings.log_content else traceback_without_messages(exc)
        path.write_text(text + "\n", encoding="utf-8")
    except OSError:
        return "no file (the data folder cannot be written)"
    return str(path)


if __name__ == "__main__":
    sys.exit(main())
