"""`aiki data ...` and `aiki finetune ...`: importing old conversations, and training AIKI's own model."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from tqdm import tqdm

from bot.app import open_memory, open_state, turn_budgets
from bot.cli.common import EXIT_FAILED
from bot.cli.common import progress_wanted as _progress
from bot.diskspace import ensure_free_space, writable_file
from bot.errors import AikiError, ConfigError, InvalidInputError, ServerUnreachableError
from bot.mind.persona import read_persona
from bot.settings import MemoryBackend, Settings
from bot.training import export, importer, jobs, memories, sessions, validate, voices
from bot.training.origins import ORIGINS
from bot.training.provider import FineTuning, FineTuningError, JobView, models_at
from bot.training.qdrant_source import FieldMap

log = logging.getLogger(__name__)

IMPORT_SPACE_FACTOR = 3  # SQLite rows, their word index and the write-ahead log, against the bytes read
MAX_TURN_ID = 2**63 - 1


def _unreachable(exc: BaseException) -> bool:
    return isinstance(exc, ConnectionError) or type(exc).__name__ in {"ResponseHandlingException", "ConnectError"}


def _fine_tuning(settings: Settings) -> FineTuning:
    key = settings.finetune_api_key or settings.llm_api_key
    return FineTuning(
        settings.finetune_base_url or settings.llm_base_url, key.get_secret_value(), settings.llm_max_retries
    )


async def data_chatgpt(settings: Settings, args: argparse.Namespace) -> int:
    scope = importer.owner_scope(args.scope, settings.owner_ids)
    sources = importer.chatgpt_sources([Path(p) for p in args.paths])
    ensure_free_space(settings.database_path, IMPORT_SPACE_FACTOR * sum(s.size for s in sources))
    async with open_state(settings) as state:
        report, saved = await importer.import_chatgpt(state, sources, scope, _progress(args))
    if saved and not args.no_memories:
        try:
            async with open_memory(settings) as bank:
                added, already = await memories.add_saved_memories(bank, saved, scope)
            report.extra.append(f"{added:,} of ChatGPT's saved memories became facts ({already:,} were there already)")
        except AikiError as exc:
            report.reject("ChatGPT's saved memories", f"{exc} (the conversations are imported; run again for these)")
    print(report.summary())
    return 0 if not report.rejected else EXIT_FAILED


async def data_sessions(settings: Settings, args: argparse.Namespace) -> int:
    scope = importer.owner_scope(args.scope, settings.owner_ids)
    files = sessions.session_files([Path(p) for p in args.paths])
    missing = [str(f) for f in files if not f.is_file()]
    if missing or not files:
        raise InvalidInputError(f"No session logs at {', '.join(missing or args.paths)} (.jsonl, .md, .markdown, .txt)")
    persona = read_persona(settings.persona_file)
    speakers = sessions.Speakers.with_names(args.user_name, [*args.assistant_name, persona.name])
    ensure_free_space(settings.database_path, IMPORT_SPACE_FACTOR * sum(f.stat().st_size for f in files))
    async with open_state(settings) as state:
        report = await importer.import_sessions(state, files, scope, speakers, settings.zone, _progress(args))
    print(report.summary())
    return 0 if not report.rejected else EXIT_FAILED


async def data_memories(settings: Settings, args: argparse.Namespace) -> int:
    scope = importer.owner_scope(args.scope, settings.owner_ids)
    try:
        fields = FieldMap(
            args.text_field,
            args.kind_field,
            args.time_field,
            args.importance_field,
            FieldMap.parse_kind_map(args.kind_map),
        )
    except ValueError as exc:
        raise InvalidInputError(str(exc)) from None
    progress = _progress(args)
    async with open_memory(settings) as bank:
        if args.jsonl:
            path = Path(args.jsonl)
            if path.is_dir():
                raise InvalidInputError(f"{path} is a folder: give the JSONL dump inside it")
            if not path.is_file():
                raise InvalidInputError(f"No such file: {path}")
            if settings.memory_backend is MemoryBackend.EDGE:  # Qdrant Edge's memory maps crash on a full disk
                ensure_free_space(settings.edge_path, 4 * path.stat().st_size)
            collection = args.collection or path.stem
            report = await memories.import_qdrant_dump(bank, path, scope, collection, fields, settings.zone, progress)
        else:
            from qdrant_client import AsyncQdrantClient

            if not args.collection:
                raise InvalidInputError("Name the collection to read with --collection.")
            api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
            client = (
                AsyncQdrantClient(path=args.path) if args.path else AsyncQdrantClient(url=args.url, api_key=api_key)
            )
            try:
                report = await memories.import_qdrant_collection(
                    bank, client, args.collection, scope, fields, settings.zone, progress
                )
            except Exception as exc:
                if not _unreachable(exc):
                    raise
                raise ServerUnreachableError(
                    f"Cannot reach the Qdrant server at {args.url or args.path} ({type(exc).__name__}): check the URL, "
                    "the API key (AIKI_QDRANT_API_KEY) and that the server runs."
                ) from None
            finally:
                await client.close()
    print(report.summary())
    return 0 if not report.rejected else EXIT_FAILED


async def data_stats(settings: Settings, args: argparse.Namespace) -> int:
    async with open_state(settings) as state:
        counts = await state.training.import_counts()
    if not counts:
        print("no conversation history yet")
    for count in counts:
        where = f"{count.conversations:,} conversations, " if count.conversations else ""
        print(f"{count.origin:>12}: {where}{count.turns:,} messages, {count.marked_bad:,} replies marked bad")
    return 0


def export_options(args: argparse.Namespace, exclude_models: Mapping[str, str] | None = None) -> export.ExportOptions:
    """The export's options from its flags (shared by `finetune export` and `finetune train`)."""
    unknown = set(args.learn_from) - set(ORIGINS)
    if unknown:
        raise InvalidInputError(f"--learn-from takes {', '.join(ORIGINS)}, not {', '.join(sorted(unknown))}")
    if not 0 <= args.validation < 1:
        raise InvalidInputError("--validation is a share of the conversations, from 0 up to (not including) 1")
    return export.ExportOptions(
        min_words=args.min_words,
        validation=args.validation,
        dedupe=not args.no_dedupe,
        scrub=not args.no_scrub,
        weights=args.weights,
        learn_from=frozenset(args.learn_from),
        max_tokens=args.max_tokens,
        exclude_models=exclude_models or {},
    )


def export_scopes(settings: Settings, args: argparse.Namespace) -> list[str]:
    scopes: list[str] = args.scope or [str(owner) for owner in settings.owner_ids]
    if not scopes:
        raise ConfigError("Whose conversations? Set AIKI_OWNER_IDS (your Discord user id) or give --scope.")
    return scopes


async def run_export(
    settings: Settings, args: argparse.Namespace, train: Path, base_model: str | None
) -> tuple[export.ExportReport, Path | None]:
    """Export the history as `finetune export` and `finetune train` do; prints the report."""
    scopes = export_scopes(settings, args)
    export_options(args)  # flags checked before anything is opened
    validation = export.validation_path_for(train) if args.validation > 0 else None
    persona = read_persona(settings.persona_file)
    async with open_state(settings) as state:
        seen = [m.model for m in await state.training.reply_models(scopes)]
        left_out = voices.excluded_models(
            seen,
            await state.training.model_marks(),
            await state.training.fine_tuned_models(),
            base_model,
            args.exclude_model,
        )
        options = export_options(args, left_out)
        async with contextlib.AsyncExitStack() as stack:
            system_for = None
            if args.hybrid:
                from bot.mind.appraisal_meaning import prepare_meaning
                from bot.mind.persona import load_identity
                from bot.training.hybrid import HybridSystem

                bank = await stack.enter_async_context(open_memory(settings))
                # As a live start does: the appraisal's examples and head read from the model cache (or made once).
                await prepare_meaning(bank.embedder, Path(settings.model_cache_dir))
                # The persona as a live turn has it: the identity memories it was seeded into (bot/mind/persona.py).
                live = replace(persona, text=await load_identity(bank) or persona.text)
                system_for = HybridSystem(bank, state, live, settings.zone, turn_budgets(settings))
            report = await export.export(
                state, scopes, persona.text, options, train, validation, _progress(args), system_for
            )
        if system_for is not None:
            print(f"system messages as in live turns, with {system_for.memories_used:,} retrieved memories in all")
            if system_for.before_any_memory:
                print(
                    f"{system_for.before_any_memory:,} examples have no <memories> block because every memory is "
                    "newer than their conversation (or there is none yet; history imported from before AIKI "
                    "remembered anything, for one): they teach the voice, not the use of memories"
                )
    if validation is not None and not validation.exists():
        validation = None
    print(report.summary(train, validation))
    shown = sorted(m for m in left_out if m in seen)
    if shown:
        print(f"replies by these models are not learned: {', '.join(shown)} (change: aiki finetune models)")
    return report, validation


async def finetune_export(settings: Settings, args: argparse.Namespace) -> int:
    train = writable_file(Path(args.file))
    report, _ = await run_export(settings, args, train, None)
    if report.train == 0:
        print("aiki: no examples: import conversations first (aiki data chatgpt / sessions)", file=sys.stderr)
        return EXIT_FAILED
    print(f"Next: aiki finetune validate {train}")
    return 0


def _validated(path: Path, args: argparse.Namespace) -> bool:
    if not path.is_file():
        raise InvalidInputError(f"No such file: {path}")
    result = validate.validate_file(path, args.max_tokens, args.epochs)
    print(result.report())
    return result.ok


async def finetune_validate(settings: Settings, args: argparse.Namespace) -> int:
    return 0 if await asyncio.to_thread(_validated, Path(args.file), args) else EXIT_FAILED


async def _follow(fine_tuning: FineTuning, job_id: str, poll_s: float, progress: bool) -> JobView:
    with tqdm(desc=job_id, bar_format="{desc}: {postfix} [{elapsed}]", disable=not progress) as bar:

        def status(job: JobView) -> None:
            bar.set_postfix_str(job.status)
            if not progress:
                print(f"{job.id}: {job.status}")

        return await fine_tuning.follow(job_id, poll_s, lambda event: tqdm.write(event.line()), status)


def _job_outcome(job: JobView) -> int:
    if job.status == "succeeded":
        print(f"fine-tuned model: {job.fine_tuned_model} ({job.trained_tokens or '?'} tokens trained)")
        print(f"Switch AIKI to it (memory retrieval stays on): aiki finetune use {job.id}")
        return 0
    if job.status in ("failed", "cancelled"):
        raise FineTuningError(f"Fine-tuning job {job.id} {job.status}: {job.error or 'no reason given'}")
    print(f"job {job.id} is {job.status}; follow it with: aiki finetune status {job.id} --follow")
    return 0


async def finetune_submit(settings: Settings, args: argparse.Namespace) -> int:
    train = Path(args.file)
    validation_file = Path(args.validation_file) if args.validation_file else None
    for path in [train, *([validation_file] if validation_file else [])]:
        if not await asyncio.to_thread(_validated, path, args):
            print(f"aiki: {path} did not pass validation; nothing was uploaded.", file=sys.stderr)
            return EXIT_FAILED
    model = args.model or settings.finetune_base_model
    fine_tuning = _fine_tuning(settings)
    try:
        print(f"uploading {train} to {fine_tuning.base_url} and starting a job on {model} ...")
        async with open_state(settings) as state:
            job = await jobs.submit(
                fine_tuning, state.training, train, validation_file, model, args.suffix, args.epochs
            )
            print(f"started fine-tuning job {job.id} ({job.status})")
            if args.follow:
                job = await _follow(fine_tuning, job.id, _poll(settings, args), _progress(args))
                await jobs.remember(state.training, fine_tuning.base_url, job)
    finally:
        await fine_tuning.close()
    return _job_outcome(job)


def _poll(settings: Settings, args: argparse.Namespace) -> float:
    return settings.finetune_poll_s if args.poll is None else args.poll


async def finetune_status(settings: Settings, args: argparse.Namespace) -> int:
    fine_tuning = _fine_tuning(settings)
    try:
        async with open_state(settings) as state:
            known = await state.training.finetune_job(args.job)
            job_id = args.job or (known.id if known else None)
            if job_id is None:
                raise AikiError("No fine-tuning job yet: start one with `aiki finetune submit FILE`, or give a job id.")
            if args.follow:
                job = await _follow(fine_tuning, job_id, _poll(settings, args), _progress(args))
            else:
                job = await fine_tuning.job(job_id)
                for event in (await fine_tuning.events(job_id))[-10:]:
                    print(event.line())
                print(f"{job.id}: {job.status} (base model {job.base_model})")
            await jobs.remember(state.training, fine_tuning.base_url, job)
    finally:
        await fine_tuning.close()
    return _job_outcome(job)


async def finetune_use(settings: Settings, args: argparse.Namespace) -> int:
    env_file = Path(args.env_file)
    # What AIKI will run with is what the file says (falling back to these settings where it says nothing).
    current = jobs.EndpointInFile.read(env_file, settings)
    base_url = args.base_url or current.base_url
    model = args.target
    async with open_state(settings) as state:
        if jobs.looks_like_job(args.target) or await state.training.finetune_job(args.target):
            fine_tuning = _fine_tuning(settings)
            try:
                model = await jobs.model_of(fine_tuning, state.training, args.target)
            finally:
                await fine_tuning.close()
    if not args.no_check:
        listed = await models_at(base_url, current.api_key, settings.llm_timeout_s)
        if listed is not None and model not in listed:
            raise AikiError(
                f"The chat endpoint {base_url} does not list the model {model!r}, so AIKI could not talk "
                "with it. If it lives elsewhere, give --base-url (or point AIKI_LLM_BASE_URL there first); "
                "--no-check switches anyway."
            )
    switch = jobs.switch_model(env_file, current, model, args.base_url)
    print(f"{jobs.MODEL_KEY}: {switch.before} -> {switch.after} (written to {switch.env_file})")
    async with open_state(settings) as state:
        if await jobs.known_as_fine_tuned(state.training, switch, args.clock()):
            print(
                f"{model} is known as a fine-tuned AIKI: the export leaves its replies out, so AIKI learns its own "
                f"voice, not its copy's (to learn them after all: aiki finetune models --aiki {model})"
            )
    if args.base_url and args.base_url != current.base_url:
        print(f"{jobs.BASE_URL_KEY}: {current.base_url} -> {args.base_url}")
    print("Memory retrieval stays on: every turn still searches Qdrant and gives the memories to the new model.")
    back = f" --base-url {current.base_url}" if args.base_url and args.base_url != current.base_url else ""
    print(f"Restart AIKI to use it. To go back: aiki finetune use {switch.before}{back} --env-file {env_file}")
    for key, value in ((jobs.MODEL_KEY, model), (jobs.BASE_URL_KEY, args.base_url)):
        if value and os.environ.get(key) not in (None, "", value):
            print(f"Note: {key} is also set in the environment, which wins over {switch.env_file}: change it there.")
    return 0


async def finetune_replies(settings: Settings, args: argparse.Namespace) -> int:
    scopes = args.scope or [str(owner) for owner in settings.owner_ids]
    if not scopes:
        raise ConfigError("Whose conversations? Set AIKI_OWNER_IDS (your Discord user id) or give --scope.")
    async with open_state(settings) as state:
        found = await state.training.find_replies(scopes, args.text, args.limit)
    for turn in found:
        where = f"{turn.origin}: {turn.title}" if turn.origin else "aiki"
        preview = " ".join(turn.content.split())[:100]
        print(f"{turn.id:>8}  {turn.created_at:%Y-%m-%d}  {'BAD ' if turn.marked_bad else ''}[{where}] {preview}")
    if not found:
        print("no replies with that text")
    return 0


async def finetune_mark_bad(settings: Settings, args: argparse.Namespace) -> int:
    possible = [turn for turn in args.turn_ids if 0 < turn <= MAX_TURN_ID]  # larger ones cannot be SQLite row ids
    async with open_state(settings) as state:
        changed = await state.training.set_marked_bad(possible, not args.undo) if possible else []
    missing = sorted(set(args.turn_ids) - set(changed))
    print(
        f"{'unmarked' if args.undo else 'marked bad'}: {len(changed)} replies"
        + (f"; not AIKI replies (or no such turn): {', '.join(map(str, missing))}" if missing else "")
    )
    return 0 if not missing else EXIT_FAILED
