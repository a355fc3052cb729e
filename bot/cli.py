"""The `aiki` command: one composition root for every entry point, and the one place CLI errors are shown."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot import checkins_cli
from bot.app import build_memory_store, load_embedder, open_core, open_memory, open_state, server_store
from bot.cli_common import EXIT_CONFIG, EXIT_FAILED, EXIT_LOCKED, progress_wanted
from bot.core import Person
from bot.errors import AikiError, ConfigError, StoreLockedError
from bot.logs import setup_logging
from bot.memory import maintenance
from bot.memory.edge import EdgeMemoryStore
from bot.memory.server import QdrantServerMemoryStore
from bot.settings import MemoryBackend, Settings, load_settings
from bot.training import cli as training_cli

log = logging.getLogger(__name__)


Command = Callable[[Settings, argparse.Namespace], Awaitable[int]]


_progress = progress_wanted


async def memory_import(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise AikiError(f"No such file: {path}")
    async with open_memory(settings) as bank:
        report = await maintenance.import_jsonl(bank, path, args.scope, _progress(args))
    print(report.summary())
    return 0 if not report.rejected else EXIT_FAILED


async def memory_export(settings: Settings, args: argparse.Namespace) -> int:
    store = build_memory_store(settings)
    info = await store.info()
    if info is None:
        raise AikiError(f"There is no memory store at {store.location} yet: nothing to export.")
    await store.open(info)
    try:
        written = await maintenance.export_jsonl(store, Path(args.file), _progress(args))
    finally:
        await store.close()
    print(f"exported {written} memories to {args.file}")
    return 0


async def memory_migrate(settings: Settings, args: argparse.Namespace) -> int:
    url = args.url or settings.qdrant_url
    if not url:
        raise ConfigError("Give the Qdrant server with --url or AIKI_QDRANT_URL.")
    api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
    collection = args.collection or settings.qdrant_collection
    target = server_store(url, api_key, collection)
    counts = await maintenance.migrate(EdgeMemoryStore(settings.edge_path), target, _progress(args))
    total = sum(counts.values())
    print(f"migrated {total} memories in {len(counts)} scopes to {url} (collection {collection!r}); counts verified")
    print("Next: set AIKI_MEMORY_BACKEND=server and AIKI_QDRANT_URL in .env, then restart AIKI.")
    return 0


async def memory_reindex(settings: Settings, args: argparse.Namespace) -> int:
    embedder = await load_embedder(settings)
    try:
        store = build_memory_store(settings)
        if isinstance(store, QdrantServerMemoryStore):
            try:
                counts = await maintenance.reindex_server(store, embedder, _progress(args), settings.memory_language)
            finally:
                await store.close()
        else:
            counts = await maintenance.reindex_edge(
                settings.edge_path, embedder, _progress(args), settings.memory_language
            )
    finally:
        embedder.close()
    print(
        f"re-indexed {sum(counts.values())} memories: embeddings by {embedder.model_name}, "
        f"word index in {settings.memory_language}"
    )
    return 0


async def memory_stats(settings: Settings, args: argparse.Namespace) -> int:
    store = build_memory_store(settings)
    info = await store.info()
    print(f"memory store : {settings.memory_backend.value} at {store.location}")
    if info is None:
        print("               (not created yet)")
    else:
        words = info.lexical or "none (run `aiki memory reindex`)"
        print(f"built with   : {info.model} ({info.dim} dimensions), word index {words}")
        await store.open(info)
        try:
            scopes = await store.scopes()
            counts = {scope: await store.count(scope) for scope in scopes}
        finally:
            await store.close()
        print(f"memories     : {sum(counts.values())} in {len(counts)} scopes")
        for scope, count in sorted(counts.items(), key=lambda item: -item[1])[:20]:
            print(f"  {scope:>22}  {count}")
    async with open_state(settings) as state:
        print(
            f"database     : {state.path} (schema v{await state.schema_version()}, {await state.count_turns()} turns)"
        )
    return 0


async def chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.terminal import Terminal

    # The terminal speaks as the (first) owner, so it shares memories with their Discord DMs.
    scope = str(settings.owner_ids[0]) if settings.owner_ids else "local"
    async with open_core(settings) as core:
        await Terminal(core, Person(scope, args.name)).run()
    return 0


async def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.discord_bot import run_discord

    if not settings.owner_ids:
        raise ConfigError("AIKI_OWNER_IDS is empty: put your Discord user id there so AIKI knows who it belongs to.")
    if settings.discord_token is None:
        raise ConfigError("AIKI_DISCORD_TOKEN is empty: see README, 'Create the Discord application'.")
    async with open_core(settings) as core:
        await run_discord(core, settings)
    return 0


# -- training data and fine-tuning: `aiki data ...`, `aiki finetune ...` ---------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aiki",
        description="AIKI, a personal AI companion with long-term memory. Settings come from AIKI_* "
        "environment variables or a .env file (see .env.example).",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    start = commands.add_parser("run", help="start AIKI on Discord")
    start.set_defaults(run=run)

    talk = commands.add_parser("chat", help="talk with AIKI in the terminal (same memory and mood as Discord)")
    talk.add_argument("--name", default=None, help="what AIKI calls you (default: nothing special)")
    talk.set_defaults(run=chat)

    memory = commands.add_parser("memory", help="inspect and maintain the long-term memory")
    memory_commands = memory.add_subparsers(dest="memory_command", required=True, metavar="ACTION")
    imp = memory_commands.add_parser("import", help="add memories from a JSONL file (idempotent)")
    imp.add_argument("file", help="JSONL file, one memory per line (see README: memory JSONL format)")
    imp.add_argument("--scope", help="scope (Discord user id) for lines that name none")
    imp.set_defaults(run=memory_import)
    exp = memory_commands.add_parser("export", help="write every memory to a JSONL file")
    exp.add_argument("file")
    exp.set_defaults(run=memory_export)
    mig = memory_commands.add_parser("migrate", help="copy the embedded store to a Qdrant server, counts verified")
    mig.add_argument("--url", help="Qdrant server URL (default: AIKI_QDRANT_URL)")
    mig.add_argument("--collection", help="target collection (default: AIKI_QDRANT_COLLECTION)")
    mig.set_defaults(run=memory_migrate)
    rei = memory_commands.add_parser(
        "reindex", help="rebuild the store for AIKI_EMBEDDING_MODEL and AIKI_MEMORY_LANGUAGE"
    )
    rei.set_defaults(run=memory_reindex)
    sta = memory_commands.add_parser("stats", help="what the store holds and what it was built with")
    sta.set_defaults(run=memory_stats)
    checkins_cli.add_parser(commands)
    training_cli.add_parsers(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"aiki: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    setup_logging(settings)
    if settings.memory_backend is MemoryBackend.EDGE:
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
