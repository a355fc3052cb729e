"""What /forget costs on Qdrant Edge: delete one person's memories, then `erase_deleted` (the shard rewritten
without them, the product's own path), at a few store sizes. Random 384-d vectors, realistic text lengths.

    .venv/bin/python bench/erase.py [--sizes 1000 5000 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.models import Memory, MemoryKind, StoreInfo, new_memory_id  # noqa: E402

DIM = 384
BATCH = 500
WORDS = "hytte tur fjell hund prosjekt jobb søster Tromsø kaffe regn snø båt".split()


def memory(scope: str, rng: random.Random) -> tuple[Memory, list[list[float]]]:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60)))
    vector = [rng.uniform(-1, 1) for _ in range(DIM)]
    return Memory(new_memory_id(), scope, MemoryKind.EPISODE, text), [vector]


async def one(size: int, root: Path) -> None:
    rng = random.Random(size)
    store = EdgeMemoryStore(root / f"memory-{size}")
    await store.open(StoreInfo("bench", DIM))
    people = [str(n) for n in range(10)]
    for start in range(0, size, BATCH):
        await store.upsert([memory(people[(start // BATCH) % 10], rng) for _ in range(min(BATCH, size - start))])
    await store.close()
    store = EdgeMemoryStore(root / f"memory-{size}")
    await store.open(StoreInfo("bench", DIM))  # indexes at start when large, as in production
    started = time.perf_counter()
    deleted = await store.delete_scope(people[0])
    deleted_s = time.perf_counter() - started
    started = time.perf_counter()
    await store.erase_deleted()
    erase_s = time.perf_counter() - started
    print(f"{size:>7} memories: delete {deleted} in {deleted_s * 1000:.0f} ms, erase_deleted {erase_s:.2f} s")
    await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            await one(size, Path(tmp))


if __name__ == "__main__":
    asyncio.run(main())
