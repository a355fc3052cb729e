"""`aiki finetune train` and `aiki finetune models`: AIKI's own model trained here, and whose replies it learns."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
from pathlib import Path

from tqdm import tqdm

from bot.app import open_state
from bot.cli.common import EXIT_FAILED
from bot.cli.common import progress_wanted as _progress
from bot.errors import ConfigError, InvalidInputError
from bot.settings import Settings
from bot.training import export, validate
from bot.training.cli import export_scopes, run_export
from bot.training.recipe import Recipe

EXTRA = "pip install 'aiki[train]'"
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


def _checked(path: Path, max_tokens: int) -> None:
    result = validate.validate_file(path, max_tokens)
    print(result.report())
    if not result.ok:
        raise InvalidInputError(f"{path} did not pass validation; nothing was trained.")


async def finetune_train(settings: Settings, args: argparse.Namespace) -> int:
    _check_extra()
    recipe = recipe_from(args)
    train_file, valid_file = await _data(settings, args, recipe.out)
    for path in (train_file, valid_file):
        if path is not None:
            await asyncio.to_thread(_checked, path, max(args.max_tokens, args.max_length))
    await asyncio.to_thread(_train, recipe, train_file, valid_file, _progress(args))
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


def _train(recipe: Recipe, train_file: Path, valid_file: Path | None, progress: bool) -> None:
    from bot.training import train

    print(f"loading {recipe.base_model} ...")
    model, tokenizer = train.load_base(recipe.base_model, qlora=bool(recipe.qlora))
    train_items = train.tokenise(tokenizer, train.read_examples(train_file), recipe.max_length)
    eval_items = train.tokenise(tokenizer, train.read_examples(valid_file), recipe.max_length) if valid_file else []
    if not train_items:
        raise InvalidInputError(
            f"No example has a reply to learn within --max-length {recipe.max_length} tokens (an example is cut "
            "there, and the system prompt and the first user message come before the first reply): raise it."
        )
    print(
        f"{len(train_items):,} examples, {sum(i.learned_tokens for i in train_items):,} learned tokens; LoRA r "
        f"{recipe.rank}, alpha {recipe.alpha}, lr {recipe.learning_rate:g}, {recipe.epochs:g} epochs, batch "
        f"{recipe.batch} ({recipe.micro_batch} x {recipe.accumulation} accumulated)"
    )
    model = train.add_lora(model, recipe)
    with tqdm(desc="train", unit=" steps", disable=not progress) as bar:

        def show(step: int, total: int, loss: float) -> None:
            bar.total = total
            bar.n = step
            bar.set_postfix_str(f"loss {loss:.4f}")
            if not progress:
                print(f"step {step}/{total}: loss {loss:.4f}")

        result = train.train(recipe, model, train_items, eval_items, show)
    if result.resumed_from:
        print(f"resumed at step {result.resumed_from} from {recipe.checkpoint_dir}")
    before = "-" if result.eval_before is None else f"{result.eval_before:.4f}"
    after = "-" if result.eval_after is None else f"{result.eval_after:.4f}"
    print(f"trained {result.steps} steps; eval loss {before} -> {after}")
    train.save(recipe, model, tokenizer, recipe.base_model)
    print(f"adapter: {recipe.adapter_dir}\nmerged model: {recipe.merged_dir}")


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
        reason = export.not_aiki_by_default(row.model, fine_tuned, None)
        if row.learn is None:
            verdict = f"not learned: {reason}" if reason else "learned"
        else:
            verdict = "learned (marked)" if row.learn else "not learned (marked not AIKI)"
        print(f"{row.replies:>8,}  {row.model}  {verdict}")
    return 0 if not set(args.not_aiki) & set(args.aiki) else EXIT_FAILED
