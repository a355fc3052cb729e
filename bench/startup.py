"""How fast `aiki` answers before it does any work: `aiki --help`, and the error for a store held by another
process (docs/architecture.md promises it at once). Prints the median of a few runs of the real command.

    .venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402

HOLDER = textwrap.dedent(
    """
    import asyncio, sys
    from bot.memory.edge import EdgeMemoryStore
    from bot.memory.models import StoreInfo
    async def hold():
        store = EdgeMemoryStore(sys.argv[1])
        await store.open(StoreInfo("sentence-transformers/all-MiniLM-L6-v2", 384))
        print("ready", flush=True)
        await asyncio.sleep(600)
    asyncio.run(hold())
    """
)


def timed(command: list[str], env: dict[str, str], expect: int) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != expect:
        raise SystemExit(f"{command} exited {result.returncode}, expected {expect}:\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    aiki = [sys.executable, "-m", "bot"]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "AIKI_DATA_DIR": str(data),
            "AIKI_EMBEDDING_MODEL": TEST_MODEL,
            "AIKI_MODEL_CACHE_DIR": str(seed_cache(Path(tmp) / "cache")),
        }
        python = [timed([sys.executable, "-c", "pass"], env, 0) for _ in range(args.runs)]
        helps = [timed([*aiki, "--help"], env, 0) for _ in range(args.runs)]
        holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(data / "memory")], env=env, stdout=subprocess.PIPE)
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == b"ready"
            locked = [timed([*aiki, "-q", "memory", "stats"], env, 3) for _ in range(args.runs)]
        finally:
            holder.kill()
            holder.wait()
    print(f"median of {args.runs} runs, seconds (a bare `python -c pass` for scale)")
    print(f"  python -c pass              {statistics.median(python):6.3f}")
    print(f"  aiki --help                 {statistics.median(helps):6.3f}")
    print(f"  aiki memory stats (locked)  {statistics.median(locked):6.3f}  exit 3, the 'in use' message")


if __name__ == "__main__":
    main()
