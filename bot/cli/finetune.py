"""`aiki finetune train` and `aiki finetune models`: AIKI's own model trained here, and whose replies it learns."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import shlex
import sys
import threading
from pathlib import Path

from tqdm import tqdm

from bot.app import open_state
from bot.cli.common import EXIT_FAILED
from bot.cli.common import progress_wanted as _progress
from bot.cli.training import export_scopes, run_export
from bot.errors import ConfigError, InvalidInputError, StoppedError
from bot.settings import Settings
from bot.training import runs, validate, voices
from bot.training.recipe import Recipe

EXTRA = "pip install 'aiki[train]'"
BASE_FORMS = "a Hugging Face id such as HuggingFaceTB/SmolLM2-135M-Instruct, a model folder, or a .gguf file"
CPU_HINT = "CPU only: pip install torch --index-url https://download.pytorch.org/whl/cpu first, then " + EXTRA


def _check_extra() -> None:
    missing = [name for name in ("torch", "transformers", "peft") if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(
            f"`aiki finetune train` needs {', '.join(missing)}: {EXTRA} (the bot itself does not). {CPU_HINT}"
        )


def recipe_from(args: argparse.Namespace) -> Recipe:
    if args.batch < 1 or args.micro_batch < 1 or args.rank < 1:
        raise InvalidInputError("--batch, --micro-batch and --rank must be at least 1")
    return Recipe(
        base_model=args.base_model,
        out=Path(args.out),
        rank=args.rank,
        alpha=args.alpha,
        learning_rate=args.lr,
        epochs=args.epochs,
        batch=args.batch,
        micro_batch=min(args.micro_batch, args.batch),
        max_length=args.max_length,
        max_steps=args.max_steps,
        save_every=max(1, args.save_every),
        gradient_checkpointing=not args.no_gradient_checkpointing,
    )


async def _data(settings: Settings, args: argparse.Namespace, out: Path) -> tuple[Path, Path | None]:
    if args.data:
        train = Path(args.data)
        valid = Path(args.validation_data) if args.validation_data else None
        for path in (train, valid):
            if path is not None and not path.is_file():
                raise InvalidInputError(f"No such file: {path}")
        return train, valid
    report, valid = await run_export(settings, args, out / "data" / "train.jsonl", args.base_model)
    if report.train == 0:
        raise InvalidInputError("No examples to train on: import conversations first (aiki data chatgpt / sessions).")
    return out / "data" / "train.jsonl", valid


def check_base(name: str) -> None:
    """Refuse a base model that is plainly not there before the export runs (it takes a while and writes OUT/data):
    a .gguf path or a folder path that does not exist, or a folder that holds no model."""
    path = Path(name).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            raise InvalidInputError(f"No such file: {name} (the base model; {BASE_FORMS})")
        return
    if path.is_file():
        raise InvalidInputError(f"{name} is a file but not a .gguf: give the model's folder ({BASE_FORMS})")
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise InvalidInputError(f"{name} is a folder without config.json, so not a model folder ({BASE_FORMS})")
        return
    # "owner/name" is a Hugging Face id; anything else path-like that is not there is a folder that is missing.
    if name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name:
        raise InvalidInputError(f"No such folder: {name} (the base model; {BASE_FORMS})")


def _checked(path: Path, max_tokens: int, epochs: float) -> None:
    result = validate.validate_file(path, max_tokens, epochs)
    print(result.report())
    if not result.ok:
        raise InvalidInputError(f"{path} did not pass validation; nothing was trained.")


async def finetune_train(settings: Settings, args: argparse.Namespace) -> int:
    check_base(args.base_model)
    _check_extra()
    recipe = recipe_from(args)
    train_file, valid_file = await _data(settings, args, recipe.out)
    for path in (train_file, valid_file):
        if path is not None:
            await asyncio.to_thread(_checked, path, max(args.max_tokens, args.max_length), recipe.epochs)
    progress = _progress(args)
    try:
        _, late = await runs.until_stopped(
            lambda stop: _train(recipe, train_file, valid_file, progress, stop, not args.no_gguf), _stopping
        )
    except runs.Stopped as stopped:
        exported = None if args.data else (train_file, valid_file)
        raise StoppedError(_stopped_line(stopped, recipe, args.command_line, exported)) from None
    async with open_state(settings) as state:  # its replies are not AIKI's own voice (aiki finetune models)
        await state.training.add_fine_tuned_model(args.name, "aiki finetune train", args.clock())
    if late and not args.no_gguf:  # Ctrl-C after the last step: the models are saved, the GGUF files not begun
        raise StoppedError(
            f"stopped after training: the adapter is in {recipe.adapter_dir} and the merged model in "
            f"{recipe.merged_dir}; no GGUF files were made. The same command again makes them (it resumes at the "
            f"end, from {recipe.checkpoint_dir}): {shlex.join(['aiki', *args.command_line])}"
        )
    if not args.no_gguf:
        from bot.training import gguf

        try:
            files = await asyncio.to_thread(gguf.convert_all, recipe, args.name, args.llama_cpp)
        except gguf.GGUFUnavailableError as exc:
            print(f"aiki: no GGUF files: {exc}", file=sys.stderr)
            print(f"The adapter is in {recipe.adapter_dir} and the merged model in {recipe.merged_dir}.")
            return 0
        print(gguf.next_steps(files, args.name))
    return 0


def _stopping() -> None:
    print("aiki: stopping after this step, then saving a checkpoint ...", file=sys.stderr, flush=True)


def _stopped_line(
    stopped: runs.Stopped, recipe: Recipe, command_line: list[str], exported: tuple[Path, Path | None] | None
) -> str:
    again = shlex.join(["aiki", *command_line])
    if not stopped.saved:
        return f"training stopped before its first step ended; nothing to keep. To start it again: {again}"
    line = (
        f"training stopped after step {stopped.step} of {stopped.total}; the checkpoint is in "
        f"{recipe.checkpoint_dir}. To go on from there, run the same command again: {again}"
    )
    if exported is not None:  # the same command exports again: a conversation in between is other data
        kept = ["--data", str(exported[0]), *(["--validation-data", str(exported[1])] if exported[1] else [])]
        line += f" (if AIKI talks in between, the history changes and it starts fresh; add {shlex.join(kept)})"
    return line


def _train(
    recipe: Recipe, train_file: Path, valid_file: Path | None, progress: bool, stop: threading.Event, more: bool
) -> None:
    """Load, tokenise, train, save; `more`: work follows (GGUF), so a stop after the last step keeps the checkpoint
    for the same command to go on from."""
    from bot.training import train

    if not progress:
        train.quiet_libraries()
    run = runs.Fingerprint.of(recipe, [train_file, valid_file])
    checked = runs.check_checkpoint(recipe.checkpoint_dir, run)
    if checked.note:
        print(checked.note)
    print(f"loading {recipe.base_model} ...")
    model, tokenizer = train.load_base(recipe.base_model, qlora=bool(recipe.qlora))
    tokenised = train.tokenise(tokenizer, train.read_examples(train_file), recipe.max_length)
    train_items = tokenised.items
    eval_items = (
        train.tokenise(tokenizer, train.read_examples(valid_file), recipe.max_length).items if valid_file else []
    )
    if tokenised.shortened:
        print(
            f"{tokenised.shortened:,} examples are longer than --max-length {recipe.max_length} tokens: their oldest "
            f"turns are left out, as a live prompt leaves them out ({tokenised.lost_replies:,} replies not learned "
            "there; raise --max-length, or export shorter examples with --max-tokens)"
        )
    if not train_items:
        raise InvalidInputError(
            f"No example has a reply to learn within --max-length {recipe.max_length} tokens (an example is cut "
            "there, and the system prompt and the first user message come before the first reply): raise it."
        )
    print(
        f"{len(train_items):,} examples, {sum(i.learned_tokens for i in train_items):,} learned tokens; LoRA r "
        f"{recipe.rank}, alpha {recipe.alpha}, lr {recipe.learning_rate:g}, {recipe.epochs:g} epochs, batch "
        f"{recipe.batch} ({recipe.micro_batch} x {recipe.accumulation} accumulated)",
        flush=True,
    )
    model = train.add_lora(model, recipe)
    with tqdm(desc="train", unit=" steps", disable=not progress) as bar:

        def show(step: int, total: int, loss: float) -> None:
            bar.total = total
            bar.n = step
            bar.set_postfix_str(f"loss {loss:.4f}")
            if not progress:
                print(f"step {step}/{total}: loss {loss:.4f}", flush=True)

        result = train.train(recipe, model, train_items, eval_items, run, checked.resume, stop, show)
    if result.resumed_from:
        print(f"resumed at step {result.resumed_from} from {recipe.checkpoint_dir}")
    before = "-" if result.eval_before is None else f"{result.eval_before:.4f}"
    after = "-" if result.eval_after is None else f"{result.eval_after:.4f}"
    print(f"trained {result.steps} steps; eval loss {before} -> {after}")
    train.save(recipe, model, tokenizer, recipe.base_model)
    print(f"adapter: {recipe.adapter_dir}\nmerged model: {recipe.merged_dir}")
    if result.finished and not (more and stop.is_set()):
        train.finish(recipe)
    else:
        print(f"stopped at --max-steps; a larger --max-steps goes on from the checkpoint in {recipe.checkpoint_dir}")


async def finetune_models(settings: Settings, args: argparse.Namespace) -> int:
    scopes = export_scopes(settings, args)
    async with open_state(settings) as state:
        for model, learn in [*((m, False) for m in args.not_aiki), *((m, True) for m in args.aiki)]:
            await state.training.mark_model(model, learn)
        for model in args.forget:
            await state.training.mark_model(model, None)
        seen = await state.training.reply_models(scopes)
        fine_tuned = await state.training.fine_tuned_models()
    if not seen:
        print("no replies with a recorded model yet (models are recorded from this version on)")
    for row in seen:
        reason = voices.not_aiki_by_default(row.model, fine_tuned, None)
        if row.learn is None:
            verdict = f"not learned: {reason}" if reason else "learned"
        else:
            verdict = "learned (marked)" if row.learn else "not learned (marked not AIKI)"
        print(f"{row.replies:>8,}  {row.model}  {verdict}")
    return 0 if not set(args.not_aiki) & set(args.aiki) else EXIT_FAILED
