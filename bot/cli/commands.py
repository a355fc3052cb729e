"""What `aiki run`, `aiki chat` and `aiki memory ...` do; bot/cli/main.py loads it only when one of them runs."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.app import build_memory_store, load_embedder, open_core, open_memory, open_state, server_store, sleep_watch
from bot.cli.common import EXIT_FAILED
from bot.cli.common import progress_wanted as _progress
from bot.clock import utcnow
from bot.diskspace import ensure_free_space, writable_file
from bot.errors import AikiError, ConfigError, InvalidInputError
from bot.memory import maintenance
from bot.memory.edge import EdgeMemoryStore
from bot.settings import MemoryBackend, Settings


async def memory_import(settings: Settings, args: argparse.Namespace) -> int:
    path = Path(args.file)
    if path.is_dir():
        raise InvalidInputError(f"{path} is a folder: give the JSONL file inside it")
    if not path.is_file():
        raise InvalidInputError(f"No such file: {path}")
    # Qdrant Edge writes through memory maps: a full disk there is a SIGBUS, not an error, so check first.
    if settings.memory_backend is MemoryBackend.EDGE:
        ensure_free_space(settings.edge_path, maintenance.import_space_needed(path.stat().st_size))
    async with open_memory(settings) as bank:
        report = await maintenance.import_jsonl(bank, path, args.scope, _progress(args))
    print(report.summary())
    return 0 if not report.rejected else EXIT_FAILED


async def memory_export(settings: Settings, args: argparse.Namespace) -> int:
    writable_file(Path(args.file))
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
        if settings.memory_backend is MemoryBackend.SERVER:
            from bot.memory.server import QdrantServerMemoryStore

            assert isinstance(store, QdrantServerMemoryStore)
            try:
                counts = await maintenance.reindex_server(
                    store, embedder, _progress(args), settings.memory_language, args.reembed
                )
            finally:
                await store.close()
        else:
            counts = await maintenance.reindex_edge(
                settings.edge_path, embedder, _progress(args), settings.memory_language, args.reembed
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
    counts: dict[str, int] = {}
    if info is not None:  # opened before anything is printed: a store in use is the whole answer
        await store.open(info)
        try:
            counts = {scope: await store.count(scope) for scope in await store.scopes()}
        finally:
            await store.close()
    print(f"memory store : {settings.memory_backend.value} at {store.location}")
    if info is None:
        print("               (not created yet)")
    else:
        words = info.lexical or "none (run `aiki memory reindex`)"
        print(f"built with   : {info.model} ({info.dim} dimensions), word index {words}")
        print(f"memories     : {sum(counts.values())} in {len(counts)} scopes")
        for scope, count in sorted(counts.items(), key=lambda item: -item[1])[:20]:
            print(f"  {scope:>22}  {count}")
    async with open_state(settings) as state:
        print(
            f"database     : {state.path} (schema v{await state.schema_version()}, {await state.count_turns()} turns)"
        )
    return 0


async def chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.mind.core import Person
    from bot.terminal import Terminal

    # The terminal speaks as the (first) owner, so it shares memories with their Discord DMs.
    scope = str(settings.owner_ids[0]) if settings.owner_ids else "local"
    async with open_core(settings) as core:
        await Terminal(core, Person(scope, args.name)).run()
    return 0


async def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.discord_bot.client import run_discord

    if not settings.owner_ids:
        raise ConfigError("AIKI_OWNER_IDS is empty: put your Discord user id there so AIKI knows who it belongs to.")
    if settings.discord_token is None:
        raise ConfigError("AIKI_DISCORD_TOKEN is empty: see README, 'Create the Discord application'.")
    from bot.checkins.scheduler import CheckinScheduler

    # Built first: the core hands it the topics a person's message woke up, the planner the ones they changed.
    scheduler = CheckinScheduler(utcnow)
    async with open_core(settings, scheduler) as core:
        scheduler.watch_sleep(sleep_watch(settings, core, utcnow))  # sleep passes when people are quiet, and at night
        if not settings.web:
            await run_discord(core, settings, settings.discord_token, scheduler)
            return 0
        from bot.cli.web import page_alongside

        async with page_alongside(core, settings, args.clock, scheduler):  # AIKI_WEB=on: the owner's page, same process
            await run_discord(core, settings, settings.discord_token, scheduler)
    return 0
