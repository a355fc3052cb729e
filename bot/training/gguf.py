"""GGUF files for llama.cpp servers: the merged model (converted, then quantised to Q4_K_M) and the LoRA adapter.

The converters are llama.cpp's own Python scripts, shipped in the llama-cpp-python sdist (`vendor/llama.cpp`):
give a llama.cpp folder with `--llama-cpp` or AIKI_LLAMA_CPP, or the sdist is fetched once with pip into
~/.cache/aiki/. Quantising uses llama-cpp-python's own `llama_model_quantize`, in a child process of a Python that
has it: this one, or the one AIKI_LLAMA_PYTHON names (typically the server's venv, since building llama-cpp-python
takes 10-20 minutes and the training venv does not need it). Without one the merged GGUF stays f16 (a server
loads that too, at about 2.5x the size).
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
SDIST_FOLDER = "llama_cpp_python-0.3.36"  # the sdist's top folder (underscores, as the archive names it)
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
    cached = CACHE / SDIST_FOLDER / "vendor" / "llama.cpp"
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
                f"could not fetch llama.cpp's converter ({LLAMA_CPP_PYTHON} sdist; pip needs the package index, "
                f"also for its build tools): {_tail(done.stderr, 300)}. By hand: pip download --no-binary :all: "
                f"--no-deps {LLAMA_CPP_PYTHON}, unpack it and give its vendor/llama.cpp folder with --llama-cpp "
                "(or AIKI_LLAMA_CPP)"
            )
        unpack(archives[0])
    if not (cached / "convert_hf_to_gguf.py").is_file():
        raise GGUFUnavailableError(
            f"the {LLAMA_CPP_PYTHON} sdist has no {cached.relative_to(CACHE)}/convert_hf_to_gguf.py"
        )
    return cached


def unpack(sdist: Path) -> None:
    """The llama-cpp-python sdist into the cache, where find_llama_cpp looks (for an sdist fetched by hand)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as archive:
        archive.extractall(CACHE, filter="data")


def _run(script: Path, *args: str) -> None:
    # The converter imports its own gguf-py (next to it) before the installed `gguf`: they are released together.
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
    if done.returncode:
        raise GGUFUnavailableError(f"{script.name} failed: {_tail(done.stderr)}")


def _tail(text: str, keep: int = 600) -> str:
    return " ".join(text.strip()[-keep:].split())


QUANTIZE_SCRIPT = """
import ctypes, sys
import llama_cpp
params = llama_cpp.llama_model_quantize_default_params()
params.ftype = int(sys.argv[3])
sys.exit(llama_cpp.llama_model_quantize(sys.argv[1].encode(), sys.argv[2].encode(), ctypes.byref(params)))
"""


# A GGUF base's tokenizer comes back from transformers changed (a SentencePiece-style decoder on a byte-level BPE,
# the wrong end token), and the converter then writes a vocabulary llama.cpp crashes on: the merged GGUF takes
# the base GGUF's own tokenizer metadata instead (same vocabulary: training does not change it).
TOKENIZER_SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
import gguf
target = sys.argv[4]
merged, base = gguf.GGUFReader(sys.argv[2]), gguf.GGUFReader(sys.argv[3])
arch = merged.fields[gguf.Keys.General.ARCHITECTURE].contents()
writer = gguf.GGUFWriter(target, arch=arch, endianess=merged.endianess)
def copy(field):
    kind = field.types[0]
    sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
    writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)
for field in merged.fields.values():
    if field.name != gguf.Keys.General.ARCHITECTURE and not field.name.startswith(("GGUF.", "tokenizer.")):
        copy(field)
for field in base.fields.values():
    if field.name.startswith("tokenizer."):
        copy(field)
for tensor in merged.tensors:
    writer.add_tensor_info(tensor.name, tensor.data.shape, tensor.data.dtype, tensor.data.nbytes, tensor.tensor_type)
writer.write_header_to_file()
writer.write_kv_data_to_file()
writer.write_ti_data_to_file()
for tensor in merged.tensors:
    writer.write_tensor_data(tensor.data, tensor_endianess=merged.endianess)
writer.close()
"""


def take_tokenizer(folder: Path, converted: Path, base: Path) -> None:
    """Replace the converted GGUF's tokenizer metadata with the base GGUF's (see TOKENIZER_SCRIPT)."""
    target = converted.with_name(converted.name + ".partial")
    done = subprocess.run(
        [sys.executable, "-c", TOKENIZER_SCRIPT, str(folder / "gguf-py"), str(converted), str(base), str(target)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        target.unlink(missing_ok=True)
        raise GGUFUnavailableError(f"copying the tokenizer of {base.name} failed: {_tail(done.stderr)}")
    target.replace(converted)


def llama_python() -> str | None:
    """A Python that can import llama_cpp: AIKI_LLAMA_PYTHON, else this one if it can; None when neither."""
    named = os.environ.get("AIKI_LLAMA_PYTHON")
    if named:
        if not Path(named).is_file():
            raise GGUFUnavailableError(f"AIKI_LLAMA_PYTHON={named} is not a file (give the python of a venv)")
        return named
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return None
    return sys.executable


def quantize(source: Path, target: Path) -> bool:
    """Q4_K_M through llama-cpp-python's own binding, in a child process (a crash in llama.cpp stays there);
    False when no Python with llama_cpp is at hand."""
    python = llama_python()
    if python is None:
        return False
    done = subprocess.run(
        [python, "-c", QUANTIZE_SCRIPT, str(source), str(target), str(Q4_K_M)], capture_output=True, text=True
    )
    if done.returncode or not target.is_file():
        if "No module named" in done.stderr:
            raise GGUFUnavailableError(f"{python} cannot import llama_cpp: point AIKI_LLAMA_PYTHON at one that can")
        raise GGUFUnavailableError(f"quantising {source.name} to {QUANTIZE} failed: {_tail(done.stderr)}")
    return True


def convert_all(recipe: Recipe, name: str, llama_cpp: str | None) -> GGUFFiles:
    folder = find_llama_cpp(llama_cpp)
    f16 = recipe.out / f"{name}-f16.gguf"
    _run(folder / "convert_hf_to_gguf.py", str(recipe.merged_dir), "--outfile", str(f16), "--outtype", "f16")
    if Path(recipe.base_model).suffix == ".gguf":
        take_tokenizer(folder, f16, Path(recipe.base_model))
    merged = recipe.out / f"{name}-{QUANTIZE}.gguf"
    if quantize(f16, merged):
        f16.unlink()
    else:
        merged = f16
    lora = recipe.out / f"{name}-lora.gguf"
    base = recipe.base_model
    if Path(base).is_dir():
        base_args = ["--base", base]
    elif Path(base).suffix == ".gguf":
        # The converter wants the base's config.json only (no weights); the merged model has the same one.
        base_args = ["--base", str(recipe.merged_dir)]
    else:
        base_args = ["--base-model-id", base]
    _run(folder / "convert_lora_to_gguf.py", str(recipe.adapter_dir), *base_args, "--outfile", str(lora))
    return GGUFFiles(merged, lora, base)


def serve_threads() -> int:
    """The CPU threads a llama.cpp server here should use: the cores this process may run on (llama.cpp's own
    default is half the machine's; on a small shared machine every core counts)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def next_steps(files: GGUFFiles, name: str, port: int = 8089) -> str:
    merged = files.merged.resolve()

    def serve(model: str) -> str:
        return (
            f"  python -m llama_cpp.server {model} --model_alias {name} --host 127.0.0.1 --port {port} --n_ctx 8192 "
            f"--n_threads {serve_threads()}"
        )

    lines = [f"merged GGUF: {merged} ({merged.stat().st_size / 1e6:,.0f} MB)"]
    if files.lora is not None:
        lines.append(f"LoRA GGUF: {files.lora.resolve()} ({files.lora.stat().st_size / 1e6:,.1f} MB)")
    lines += [
        "Serve it (llama-cpp-python[server], or llama.cpp's llama-server with the same file):",
        serve(f"--model {merged}"),
    ]
    if files.lora is not None:
        base = Path(files.base).resolve() if Path(files.base).suffix == ".gguf" else "BASE.gguf"
        lines.append("or the base GGUF it was trained from, with the adapter on top:")
        lines.append(serve(f"--model {base} --lora_path {files.lora.resolve()}"))
    lines.append("Then switch AIKI to it (memory retrieval stays on: the hybrid):")
    lines.append(f"  aiki finetune use {name} --base-url http://127.0.0.1:{port}/v1")
    return "\n".join(lines)
