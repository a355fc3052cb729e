"""The LoRA recipe `aiki finetune train` uses, with its defaults in one place (shown in `--help`); no torch here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Common LoRA defaults for a persona fine-tune of a 0.1-8B chat model: rank 16, alpha 2 x rank, lr 2e-4
# (1e-4 for 7-8B), 2 epochs (3 for a few hundred examples), an effective batch of 16 through accumulation.
RANK, ALPHA, DROPOUT = 16, 32, 0.05
LEARNING_RATE = 2e-4
EPOCHS = 2
BATCH, MICRO_BATCH = 16, 1  # effective batch: MICRO_BATCH examples a step x BATCH // MICRO_BATCH accumulated
MAX_LENGTH = 2_048  # tokens of one example; longer ones are cut (the export keeps them under --max-tokens)
SAVE_EVERY = 20  # optimizer steps between checkpoints (resume starts from the last)
WARMUP = 0.05  # share of the steps spent warming the learning rate up
TARGET_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
QUANTIZE = "Q4_K_M"  # the merged GGUF's quantisation


@dataclass(frozen=True)
class Recipe:
    base_model: str  # a Hugging Face id, a folder, or a .gguf file
    out: Path
    rank: int = RANK
    alpha: int = ALPHA
    dropout: float = DROPOUT
    learning_rate: float = LEARNING_RATE
    epochs: float = EPOCHS
    batch: int = BATCH
    micro_batch: int = MICRO_BATCH
    max_length: int = MAX_LENGTH
    max_steps: int | None = None  # stop after this many optimizer steps (for trials and tests)
    save_every: int = SAVE_EVERY
    gradient_checkpointing: bool = True
    qlora: bool | None = None  # None: 4-bit (bitsandbytes) when CUDA is there and the model is >= 3B parameters
    seed: int = 0

    @property
    def accumulation(self) -> int:
        return max(1, self.batch // self.micro_batch)

    @property
    def adapter_dir(self) -> Path:
        return self.out / "adapter"

    @property
    def merged_dir(self) -> Path:
        return self.out / "merged"

    @property
    def checkpoint_dir(self) -> Path:
        return self.out / "checkpoint"
