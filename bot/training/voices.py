"""Whose replies are AIKI's voice: which models' replies an export learns, and why the others are left out.

A fine-tuned AIKI learns the owner's AIKI, not its own copies: replies by earlier fine-tuned AIKIs (a provider job's
model, a model `aiki finetune train` made, a model `aiki finetune use` switched to), by test models and by the base
model being trained are left out unless the owner marks the model as AIKI's (`aiki finetune models --aiki`).
"""

from __future__ import annotations

import re
from collections.abc import Collection

TEST_MODEL_WORDS = {"test", "mock", "fake", "dummy", "echo", "tiny", "smollm", "smollm2"}


def not_aiki_by_default(model: str, fine_tuned: Collection[str], base_model: str | None) -> str | None:
    """Why a model's replies are left out unless the owner marks them as AIKI's, or None when they are learned."""
    if model in fine_tuned:
        return "an earlier fine-tuned AIKI"
    if base_model and model.lower() in {base_model.lower(), base_model.lower().rsplit("/", 1)[-1]}:
        return "the base model being trained"
    words = set(re.split(r"[^a-z0-9]+", model.lower()))
    if words & TEST_MODEL_WORDS or any(model.lower().startswith(w) for w in ("smollm", "tinyllama")):
        return "a test model"
    return None


def excluded_models(
    seen: Collection[str],
    marks: dict[str, bool],
    fine_tuned: Collection[str],
    base_model: str | None,
    also: Collection[str] = (),
) -> dict[str, str]:
    """The models whose replies an export leaves out, each with why: the owner's marks first, then the defaults."""
    out = {m: "a model marked not AIKI" for m, learn in marks.items() if not learn}
    out |= {m: "a model left out with --exclude-model" for m in also}
    for model in seen:
        why = not_aiki_by_default(model, fine_tuned, base_model)
        if model not in marks and model not in out and why:
            out[model] = why
    return out
