"""GGUF files for llama.cpp servers: the merged model (converted, then quantised to Q4_K_M) and the LoRA adapter.

The converters are llama.cpp's own Python scripts, shipped in the llama-cpp-python sdist (`vendor/llama.cpp`):
give a llama.cpp folder with `--llama-cpp` or AIKI_LLAMA_CPP, or the sdist is fetched once with pip into
~/.cache/aiki/. Quantising uses llama-cpp-python's own `llama_model_quantize` when it is installed; without it
the merged GGUF stays f16 (a server loads that too, at about 4x the size).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.errors import AikiError
from bot.training.recipe import QUANTIZE, Recipe

LLAMA_CPP_PYTHON = "llama-cpp-python==0.3.36"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aiki"
Q4_K_M = 15  # LLAMA_FTYPE_MOSTLY_Q4_K_M in llama.h


class GGUFUnavailableError(AikiError):
    """llama.cpp's converter could not be found or failed; the message says how to get it."""


@dataclass(frozen=True)
class GGUFFiles:
    merged: Path  # quantised when llama-cpp-python is installed, f16 otherwise
    lora: Path | None
    base: str


def find_llama_cpp(explicit: str | None) -> Path:
    """A folder holding convert_hf_to_gguf.py: the one given, AIKI_LLAMA_CPP, or the cached sdist's vendor copy."""
    for candidate in (explicit, os.environ.get("AIKI_LLAMA_CPP")):
        if candidate:
            folder = Path(candidate)
            if not (folder / "convert_hf_to_gguf.py").is_file():
                raise GGUFUnavailableError(f"{folder} has no convert_hf_to_gguf.py (a llama.cpp source folder has)")
            return folder
    name = LLAMA_CPP_PYTHON.replace("==", "-")
    cached = CACHE / name / "vendor" / "llama.cpp"
    if (cached / "convert_hf_to_gguf.py").is_file():
        return cached
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                tmp,
                LLAMA_CPP_PYTHON,
            ],
            capture_output=True,
            text=True,
        )
        archives = list(Path(tmp).glob("*.tar.gz"))
        if done.returncode or not archives:
            raise GGUFUnavailableError(
                f"could not fetch llama.cpp's converter ({LLAMA_CPP_PYTHON} sdist): {done.stderr.strip()[-300:]}; "
                "give a llama.cpp folder with --llama-cpp"
            )
        CACHE.mkdir(parents=True, exist_ok=True)
        with tarfile.open(archives[0]) as archive:
            archive.extractall(CACHE, filter="data")
    return cached


def _run(script: Path, *args: str) -> None:
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
    if done.returncode:
        raise GGUFUnavailableError(f"{script.name} failed: {done.stderr.strip()[-600:]}")


def quantize(source: Path, target: Path) -> bool:
    """Q4_K_M through llama-cpp-python's own binding; False when it is not installed."""
    try:
        import llama_cpp
    except ImportError:
        return False
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = Q4_K_M
    return llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), params) == 0


def convert_all(recipe: Recipe, name: str, llama_cpp: str | None) -> GGUFFiles:
    folder = find_llama_cpp(llama_cpp)
    f16 = recipe.out / f"{name}-f16.gguf"
    _run(folder / "convert_hf_to_gguf.py", str(recipe.merged_dir), "--outfile", str(f16), "--outtype", "f16")
    merged = recipe.out / f"{name}-{QUANTIZE}.gguf"
    if quantize(f16, merged):
        f16.unlink()
    else:
        merged = f16
    lora: Path | None = recipe.out / f"{name}-lora.gguf"
    base = recipe.base_model
    if Path(base).is_dir():
        base_args = ["--base", base]
    elif Path(base).suffix != ".gguf":
        base_args = ["--base-model-id", base]
    else:  # a GGUF base has no config folder for the converter; the merged GGUF serves instead
        lora, base_args = None, []
    if lora is not None:
        _run(folder / "convert_lora_to_gguf.py", str(recipe.adapter_dir), *base_args, "--outfile", str(lora))
    return GGUFFiles(merged, lora, base)


def next_steps(files: GGUFFiles, name: str, port: int = 8089) -> str:
    serve = (
        f"python -m llama_cpp.server --model {files.merged} --model_alias {name} --host 127.0.0.1 --port {port} "
        "--n_ctx 8192"
    )
    lines = [f"merged model: {files.merged} ({files.merged.stat().st_size / 1e6:,.0f} MB)"]
    if files.lora is not None:
        lines.append(f"LoRA adapter: {files.lora} ({files.lora.stat().st_size / 1e6:,.1f} MB)")
    lines += [
        "Serve it (llama-cpp-python[server], or llama.cpp's llama-server with the same file):",
        f"  {serve}",
    ]
    if files.lora is not None:
        lines.append(f"  or the base GGUF with the adapter on top: --model BASE.gguf --lora_path {files.lora}")
    lines.append("Then switch AIKI to it (memory retrieval stays on: the hybrid):")
    lines.append(f"  aiki finetune use {name} --base-url http://127.0.0.1:{port}/v1")
    return "\n".join(lines)
