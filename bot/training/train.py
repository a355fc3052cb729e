"""LoRA training for `aiki finetune train`: load the base model, tokenise with per-message loss masks, train,
checkpoint, resume, then save the adapter and the merged model. Needs the `train` extra (torch, transformers,
peft); the bot never imports this module.

A plain PyTorch loop rather than a trainer framework: the masks come from `bot.training.masking` (so `weight: 0`
and the model's own chat template are honoured), and a checkpoint is the adapter plus the optimizer state and
the step, so running the same command again continues where it stopped.
"""

from __future__ import annotations

import errno
import io
import json
import logging
import math
import os
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, PeftModel, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
from safetensors.torch import load_file
from safetensors.torch import save as save_safetensors
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from bot.errors import AikiError
from bot.training import masking, runs
from bot.training.recipe import TARGET_MODULES, WARMUP, Recipe
from bot.training.runs import Fingerprint

log = logging.getLogger(__name__)

STATE_FILE = "trainer_state.pt"
ADAPTER_FILE = "adapter_model.safetensors"
DISK_FULL_SIGNS = ("No space left on device", "os error 28")
EVAL_EXAMPLES = 64  # examples of the validation file the eval loss is measured on


class TrainError(AikiError):
    """Training cannot go on; the message says why and what to do."""


@dataclass
class TrainResult:
    steps: int
    resumed_from: int
    examples: int
    learned_tokens: int
    eval_before: float | None
    eval_after: float | None
    losses: list[float] = field(default_factory=list)
    finished: bool = False  # the whole schedule ran (not cut short by --max-steps)


Progress = Callable[[int, int, float], None]  # (step, total steps, loss)


def quiet_libraries() -> None:
    """No progress bars from transformers (loading, writing shards) under `-q` or without a terminal."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()


def load_base(name: str, qlora: bool = False) -> tuple[Any, Any]:
    """The base model (float32 on CPU, bf16 on CUDA) and its tokenizer; a .gguf file is dequantised."""
    path = Path(name)
    if path.suffix == ".gguf":
        return _load_gguf(path)
    dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
    kwargs: dict[str, Any] = {"dtype": dtype}
    if qlora:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
        )
        kwargs["device_map"] = "auto"
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForCausalLM.from_pretrained(name, **kwargs)
    except OSError as exc:
        # Reached only for a Hugging Face id (the CLI checks paths first): the hub, or the internet, said no.
        reason = " ".join(str(exc).split())[:300]
        raise TrainError(
            f"Could not get the base model {name!r} from the Hugging Face hub (there is no folder of that name here, "
            f"and a hub id needs the internet the first time): {reason}"
        ) from None
    if torch.cuda.is_available() and not qlora:
        model = model.to("cuda")
    return model, tokenizer


def _load_gguf(path: Path) -> tuple[Any, Any]:
    """transformers reads a GGUF but marks the model as quantised, and such a model can be neither trained nor
    saved; the weights are plain after dequantising, so build the model from its config and copy them over."""
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    config = AutoConfig.for_model(**{k: v for k, v in loaded.config.to_dict().items() if k != "quantization_config"})
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    del loaded
    return model, tokenizer


def read_examples(path: Path) -> list[list[dict[str, Any]]]:
    return [json.loads(line)["messages"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@dataclass
class Tokenised:
    items: list[masking.Encoded]  # the examples with something left to learn
    shortened: int = 0  # examples longer than max_length, their oldest turns left out
    lost_replies: int = 0  # learned replies among what was left out


def tokenise(tokenizer: Any, examples: Sequence[list[dict[str, Any]]], max_length: int) -> Tokenised:
    """Every example through the model's own template; one longer than `max_length` loses its oldest turns (after
    the system message), as a live prompt drops its oldest history, so the last replies, which the system message
    was built for, stay. A template it cannot handle stops training here."""
    done = Tokenised([])
    for number, messages in enumerate(examples, start=1):
        try:
            item = masking.encode(tokenizer, messages)
            kept = messages
            while len(item.input_ids) > max_length and (shorter := _without_oldest(kept)) is not None:
                kept = shorter
                item = masking.encode(tokenizer, kept)
        except masking.TemplateError as exc:
            raise TrainError(f"Example {number}: {exc}.") from None
        if kept is not messages:
            done.shortened += 1
            done.lost_replies += _learned(messages) - _learned(kept)
        item = masking.Encoded(item.input_ids[:max_length], item.labels[:max_length])  # a single long exchange
        if item.learned_tokens:
            done.items.append(item)
    return done


def _without_oldest(messages: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """The example without its oldest exchange (the system message stays; it still starts with the person's
    message), or None when only one exchange is left."""
    head = messages[:1] if messages and messages[0]["role"] == "system" else []
    rest = messages[len(head) :]
    users = [index for index, message in enumerate(rest) if message["role"] == "user"]
    later = [index for index in users if index > 0]
    if not later:
        return None
    return head + rest[later[0] :]


def _learned(messages: list[dict[str, Any]]) -> int:
    return sum(1 for message in messages if message["role"] == "assistant" and message.get("weight", 1))


def add_lora(model: Any, recipe: Recipe) -> Any:
    if recipe.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.config.use_cache = False
    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [t for t in TARGET_MODULES if t in present] or "all-linear"
    config = LoraConfig(
        r=recipe.rank,
        lora_alpha=recipe.alpha,
        lora_dropout=recipe.dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)


def _batch_loss(model: Any, items: Sequence[masking.Encoded]) -> tuple[torch.Tensor, int]:
    """Summed token loss over the learned tokens of these examples (one forward pass each), and their count."""
    device = next(model.parameters()).device
    total = torch.zeros((), device=device)
    count = 0
    for item in items:
        ids = torch.tensor([item.input_ids], device=device)
        labels = torch.tensor([item.labels], device=device)
        logits = model(input_ids=ids).logits[:, :-1, :].float()
        target = labels[:, 1:]
        total = total + torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.size(-1)), target.reshape(-1), ignore_index=masking.IGNORE, reduction="sum"
        )
        count += int((target != masking.IGNORE).sum())
    return total, count


def eval_loss(model: Any, items: Sequence[masking.Encoded]) -> float | None:
    """Mean loss per learned token on (up to EVAL_EXAMPLES of) these examples."""
    if not items:
        return None
    model.eval()
    with torch.no_grad():
        total, count = _batch_loss(model, items[:EVAL_EXAMPLES])
    model.train()
    return float(total) / max(1, count)


def schedule(step: int, total: int) -> float:
    """Linear warm-up, then cosine decay to zero: the learning-rate factor at this step."""
    warmup = max(1, int(total * WARMUP))
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def order(examples: int, recipe: Recipe) -> list[int]:
    """The examples in training order over all epochs, shuffled per epoch with a fixed seed (so resuming
    at step N sees exactly the examples the interrupted run would have)."""
    whole = math.ceil(recipe.epochs)
    out: list[int] = []
    for epoch in range(whole):
        indices = list(range(examples))
        random.Random(recipe.seed + epoch).shuffle(indices)
        out += indices
    return out[: max(1, round(examples * recipe.epochs))]


def train(
    recipe: Recipe,
    model: Any,
    train_items: Sequence[masking.Encoded],
    eval_items: Sequence[masking.Encoded],
    run: Fingerprint,
    resume: bool,
    stop: threading.Event,
    progress: Progress | None = None,
) -> TrainResult:
    """Train the LoRA model in place, checkpointing every `save_every` steps (each checkpoint records `run`), from
    the checkpoint when `resume`; when `stop` is set, checkpoints the last finished step and raises `runs.Stopped`."""
    torch.manual_seed(recipe.seed)
    sequence = order(len(train_items), recipe)
    whole = math.ceil(len(sequence) / recipe.batch)
    total = whole if recipe.max_steps is None else min(whole, recipe.max_steps)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=recipe.learning_rate, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: schedule(s, total))
    start = _resume(recipe, model, optimizer, scheduler) if resume else 0
    result = TrainResult(0, start, len(train_items), sum(i.learned_tokens for i in train_items), None, None)
    result.finished = total == whole
    result.eval_before = eval_loss(model, eval_items) if start == 0 else None
    model.train()

    def step(number: int) -> bool:
        chosen = [train_items[i] for i in sequence[number * recipe.batch : (number + 1) * recipe.batch]]
        learned = sum(item.learned_tokens for item in chosen)
        step_loss = 0.0
        for first in range(0, len(chosen), recipe.micro_batch):
            if stop.is_set():  # between examples: a step of a large model takes minutes on a CPU
                optimizer.zero_grad(set_to_none=True)
                return False
            loss, _ = _batch_loss(model, chosen[first : first + recipe.micro_batch])
            (loss / learned).backward()
            step_loss += float(loss.detach()) / learned
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        result.losses.append(step_loss)
        if progress is not None:
            progress(number + 1, total, step_loss)
        return True

    def save(done: int) -> None:
        _checkpoint(recipe, model, optimizer, scheduler, runs.RunRecord(run, done, total))

    runs.run_steps(start, total, recipe.save_every, step, save, stop)
    result.steps = total
    result.eval_after = eval_loss(model, eval_items)
    return result


def _checkpoint(recipe: Recipe, model: Any, optimizer: Any, scheduler: Any, record: runs.RunRecord) -> None:
    """The adapter, the optimizer and the step, written beside the last checkpoint and then swapped in (a kill
    halfway leaves the last one whole). A leftover of a killed write is overwritten file by file."""
    where = recipe.checkpoint_dir
    partial = where.with_name(where.name + ".partial")
    try:
        (partial / "adapter").mkdir(parents=True, exist_ok=True)
        weights = {k: v.detach().contiguous().clone() for k, v in get_peft_model_state_dict(model).items()}
        runs.write_bytes(partial / "adapter" / ADAPTER_FILE, save_safetensors(weights, metadata={"format": "pt"}))
        state = io.BytesIO()
        trainer = {"step": record.step, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}
        torch.save(trainer, state)
        runs.write_bytes(partial / STATE_FILE, state.getvalue())
        record.write(partial)  # last: a checkpoint without it is never resumed
    except OSError:
        _remove(partial, missing_ok=True)  # what did fit would only take more of a full disk
        raise
    if where.exists():
        _remove(where)
    partial.replace(where)


def _resume(recipe: Recipe, model: Any, optimizer: Any, scheduler: Any) -> int:
    state = torch.load(recipe.checkpoint_dir / STATE_FILE, weights_only=True)
    set_peft_model_state_dict(model, load_file(str(recipe.checkpoint_dir / "adapter" / ADAPTER_FILE)))
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    log.info("resuming at step %d from %s", state["step"], recipe.checkpoint_dir)
    return int(state["step"])


def finish(recipe: Recipe) -> None:
    """A run that reached its end needs no checkpoint: the same command later trains anew on the history then."""
    _remove(recipe.checkpoint_dir, missing_ok=True)


def _remove(folder: Path, missing_ok: bool = False) -> None:
    if missing_ok and not folder.exists():
        return
    for item in sorted(folder.rglob("*"), reverse=True):
        item.unlink() if item.is_file() or item.is_symlink() else item.rmdir()
    folder.rmdir()


def save(recipe: Recipe, model: Any, tokenizer: Any, base_model: str) -> None:
    """The adapter (OUT/adapter) and the base with the adapter merged in (OUT/merged), each with the tokenizer."""
    try:
        _save(recipe, model, tokenizer, base_model)
    except Exception as exc:
        # safetensors reports a full disk in Rust's words, without an errno: the CLI's disk message wants one.
        if isinstance(exc, OSError) or not any(sign in str(exc) for sign in DISK_FULL_SIGNS):
            raise
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(recipe.out)) from None


def _save(recipe: Recipe, model: Any, tokenizer: Any, base_model: str) -> None:
    model.save_pretrained(recipe.adapter_dir)
    tokenizer.save_pretrained(recipe.adapter_dir)
    if recipe.qlora:  # merging into 4-bit weights loses precision: merge into a fresh bf16 copy instead
        base, _ = load_base(base_model)
        model = PeftModel.from_pretrained(base, str(recipe.adapter_dir))
    merged = model.merge_and_unload()
    merged.config.use_cache = True
    merged.save_pretrained(recipe.merged_dir)
    tokenizer.save_pretrained(recipe.merged_dir)
