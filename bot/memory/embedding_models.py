"""Embedding model files: which fastembed model is meant, what it needs on disk, and getting it there once.

A machine without internet runs AIKI from a model directory made elsewhere by `aiki model download --to DIR`:
the directory holds the model's files and `aiki-model.json`, which names the model, so setting
AIKI_EMBEDDING_MODEL_PATH alone is enough.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from bot.errors import EmbeddingModelError

log = logging.getLogger(__name__)

MANIFEST = "aiki-model.json"
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
OPTIONAL_FILES = ("special_tokens_map.json", "config.json")
HUB_PROBE_S = 3.0


@dataclass(frozen=True)
class ModelDescription:
    name: str
    dim: int
    model_file: str
    additional_files: tuple[str, ...]
    size_gb: float


def quiet_fastembed() -> None:
    """fastembed logs ERROR lines (through loguru) for every cache miss and retry; AIKI says it once, clearly."""
    from loguru import logger

    logger.disable("fastembed")


def model_description(name: str) -> ModelDescription:
    """fastembed's facts about a model, or a clear refusal naming the setting."""
    from fastembed import TextEmbedding

    for model in TextEmbedding._list_supported_models():
        if model.model == name:
            return ModelDescription(
                name, int(model.dim or 0), model.model_file, tuple(model.additional_files), float(model.size_in_GB)
            )
    raise EmbeddingModelError(
        f"AIKI_EMBEDDING_MODEL={name!r} is not a model fastembed knows. List them with `aiki model list`; "
        "e.g. sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2."
    )


def supported_models() -> list[ModelDescription]:
    from fastembed import TextEmbedding

    return [model_description(model.model) for model in TextEmbedding._list_supported_models()]


def required_files(name: str) -> list[str]:
    description = model_description(name)
    return [description.model_file, *description.additional_files, *TOKENIZER_FILES]


def read_manifest(directory: Path) -> str | None:
    """The model name a directory made by `aiki model download` carries, if it carries one."""
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        name = json.loads(path.read_text(encoding="utf-8")).get("model")
    except (OSError, ValueError, AttributeError):
        raise EmbeddingModelError(f"{path} is not readable JSON: make the directory again.") from None
    if not isinstance(name, str) or not name:
        raise EmbeddingModelError(f"{path} names no model: make the directory again.")
    return name


def hub_reachable(timeout_s: float = HUB_PROBE_S) -> bool:
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((parsed.hostname or "huggingface.co", port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _unreachable(name: str, cache_dir: Path) -> EmbeddingModelError:
    return EmbeddingModelError(
        f"The embedding model {name!r} (AIKI_EMBEDDING_MODEL) is not in AIKI_MODEL_CACHE_DIR={cache_dir} and the "
        "model hub cannot be reached. Fix: on a machine with internet run `aiki model download --to DIR`, copy DIR "
        "here and set AIKI_EMBEDDING_MODEL_PATH=DIR (docs/setup.md: 'No internet on the bot's machine')."
    )


def download_model(name: str, cache_dir: Path) -> Path:
    """The model's files in the cache, fetched once with one attempt (fastembed alone retries for ~45 s)."""
    from fastembed import TextEmbedding

    description = model_description(name)
    if not hub_reachable():
        raise _unreachable(name, cache_dir)
    log.info("downloading embedding model %s (%s GB) into %s, once", name, description.size_gb, cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for embedding_class in TextEmbedding.EMBEDDINGS_REGISTRY:
        for model in embedding_class._list_supported_models():
            if model.model == name:
                try:
                    return Path(embedding_class.download_model(model, str(cache_dir), retries=1))
                except Exception as exc:
                    raise EmbeddingModelError(
                        f"Could not download the embedding model {name!r} (AIKI_EMBEDDING_MODEL) into "
                        f"AIKI_MODEL_CACHE_DIR={cache_dir}: {exc.__class__.__name__}. Check the connection and "
                        "the free disk space, then try again."
                    ) from None
    raise _unreachable(name, cache_dir)


def cached_model_dir(name: str, cache_dir: Path) -> Path:
    """Where the cache holds the model's files, downloading them first if they are not there."""
    from fastembed import TextEmbedding

    for embedding_class in TextEmbedding.EMBEDDINGS_REGISTRY:
        for model in embedding_class._list_supported_models():
            if model.model == name:
                try:
                    return Path(embedding_class.download_model(model, str(cache_dir), local_files_only=True))
                except Exception:
                    return download_model(name, cache_dir)
    model_description(name)  # raises the clear error for an unknown name
    raise _unreachable(name, cache_dir)


def write_model_dir(name: str, cache_dir: Path, target: Path) -> list[str]:
    """A self-contained copy of the model in `target` (files + aiki-model.json); returns the files written."""
    quiet_fastembed()
    source = cached_model_dir(name, cache_dir)
    target.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    for file_name in [*required_files(name), *OPTIONAL_FILES]:
        origin = source / file_name
        if origin.is_file():
            shutil.copyfile(origin.resolve(), target / file_name)
            written.append(file_name)
    missing = [f for f in required_files(name) if f not in written]
    if missing:
        raise EmbeddingModelError(f"The cached copy of {name!r} in {source} lacks {', '.join(missing)}.")
    manifest = {"model": name, "dim": model_description(name).dim, "files": written}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return [*written, MANIFEST]
