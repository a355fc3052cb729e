"""LoRA training for `aiki finetune train`: load the base model, tokenise with per-message loss masks, train,
checkpoint, resume, then save the adapter and the merged model. Needs the `train` extra (torch, transformers,
peft); the bot never imports this module.

A plain PyTorch loop rather than a trainer framework: the masks come from `bot.training.masking` (so `weight: 0`
and the model's own chat template are honoured), and a checkpoint is the adapter plus the optimizer state and
the step, so running the same command again continues where it stopped.
"""

from __future__ import annotations

import json
import logging
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, PeftModel, get_peft_model, set_peft_model_state_dict
from safetensors.torch import load_file
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from bot.errors import AikiError
from bot.training import masking
from bot.training.recipe import TARGET_MODULES, WARMUP, Recipe

log = logging.getLogger(__name__)

STATE_FILE = "trainer_state.pt"
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


Progress = Callable[[int, int, float], None]  # (step, total steps, loss)


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
        raise TrainError(f"Could not load the base model {name!r}: {exc}") from None
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


def tokenise(tokenizer: Any, examples: Sequence[list[dict[str, Any]]], max_length: int) -> list[masking.Encoded]:
    """Every example through the model's own template; a template it cannot handle stops training here."""
    encoded = []
    for number, messages in enumerate(examples, start=1):
        try:
            item = masking.encode(tokenizer, messages)
        except masking.TemplateError as exc:
            raise TrainError(f"Example {number}: {exc}.") from None
        item = masking.Encoded(item.input_ids[:max_length], item.labels[:max_length])
        if item.learned_tokens:
            encoded.append(item)
    return encoded


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
    progress: Progress | None = None,
) -> TrainResult:
    """Train the LoRA model in place, checkpointing every `save_every` steps; resumes from a checkpoint."""
    torch.manual_seed(recipe.seed)
    sequence = order(len(train_items), recipe)
    total = math.ceil(len(sequence) / recipe.batch)
    if recipe.max_steps is not None:
        total = min(total, recipe.max_steps)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=recipe.learning_rate, weight_decay=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: schedule(s, total))
    start = _resume(recipe, model, optimizer, scheduler)
    result = TrainResult(0, start, len(train_items), sum(i.learned_tokens for i in train_items), None, None)
    result.eval_before = eval_loss(model, eval_items) if start == 0 else None
    model.train()
    for step in range(start, total):
        chosen = [train_items[i] for i in sequence[step * recipe.batch : (step + 1) * recipe.batch]]
        learned = sum(item.learned_tokens for item in chosen)
        step_loss = 0.0
        for first in range(0, len(chosen), recipe.micro_batch):
            loss, _ = _batch_loss(model, chosen[first : first + recipe.micro_batch])
            (loss / learned).backward()
            step_loss += float(loss.detach()) / learned
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        result.losses.append(step_loss)
        if progress is not None:
            progress(step + 1, total, step_loss)
        if (step + 1) % recipe.save_every == 0 or step + 1 == total:
            _checkpoint(recipe, model, optimizer, scheduler, step + 1)
    result.steps = total
    result.eval_after = eval_loss(model, eval_items)
    return result


def _checkpoint(recipe: Recipe, model: Any, optimizer: Any, scheduler: Any, step: int) -> None:
    where = recipe.checkpoint_dir
    partial = where.with_name(where.name + ".partial")
    model.save_pretrained(partial / "adapter")
    torch.save(
        {"step": step, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, partial / STATE_FILE
    )
    if where.exists():
        _remove(where)
    partial.replace(where)


def _resume(recipe: Recipe, model: Any, optimizer: Any, scheduler: Any) -> int:
    state_file = recipe.checkpoint_dir / STATE_FILE
    if not state_file.exists():
        return 0
    state = torch.load(state_file, weights_only=True)
    set_peft_model_state_dict(model, load_file(str(recipe.checkpoint_dir / "adapter" / "adapter_model.safetensors")))
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    log.info("resuming at step %d from %s", state["step"], recipe.checkpoint_dir)
    return int(state["step"])


def _remove(folder: Path) -> None:
    for item in sorted(folder.rglob("*"), reverse=True):
        item.unlink() if item.is_file() else item.rmdir()
    folder.rmdir()


def save(recipe: Recipe, model: Any, tokenizer: Any, base_model: str) -> None:
    """The adapter (OUT/adapter) and the base with the adapter merged in (OUT/merged), each with the tokenizer."""
    model.save_pretrained(recipe.adapter_dir)
    tokenizer.save_pretrained(recipe.adapter_dir)
    if recipe.qlora:  # merging into 4-bit weights loses precision: merge into a fresh bf16 copy instead
        base, _ = load_base(base_model)
        model = PeftModel.from_pretrained(base, str(recipe.adapter_dir))
    merged = model.merge_and_unload()
    merged.config.use_cache = True
    merged.save_pretrained(recipe.merged_dir)
    tokenizer.save_pretrained(recipe.merged_dir)
