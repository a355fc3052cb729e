"""Memory benchmark: add throughput and filtered search latency on both backends, and embedding speed.

What it measures, on the offline test model (all-MiniLM-L6-v2, int8 ONNX, see scripts/test_model.py):

* Embedding: fastembed's naive loop, `list(TextEmbedding.embed(texts, batch_size=64))` over texts in their
  natural order, against AIKI's `FastEmbedder.embed_passages` (200-word windows, texts sorted by length,
  batches of 16) over the same texts, in texts/s. The target is AIKI at least 2x the naive loop.
  The query-embedding time (`embed_query`, one short question at a time) is reported once, as p50/p95.
* For each size (default 1k / 10k / 50k memories spread evenly over 100 users, scopes "u0".."u99") and for
  both backends side by side, Qdrant Edge (`EdgeMemoryStore`, embedded) and qdrant-client's local mode
  (`QdrantServerMemoryStore` on `AsyncQdrantClient(path=...)`, the test double of the server backend):
  - add throughput with embedding EXCLUDED: pre-computed vectors upserted through the store's `upsert` in
    batches (only the `upsert` call is timed);
  - add throughput with embedding INCLUDED: `MemoryBank.add` in batches into a fresh store (by default only
    at 1k: embedding dominates it and is the same work for both backends);
  - filtered search latency p50/p95 within one user's scope,
    `store.search(vector, SearchFilter(scopes=("u7",)), limit=10)`, with pre-computed query vectors
    (query embedding excluded). qdrant-client's local mode searches by brute force in Python, so it gets
    fewer queries above 1k memories.

Vectors for the store measurements come from a pool of really embedded texts (the texts of the embedding
comparison); memory i reuses pool text i mod pool size and, beyond the pool, its vectors with small Gaussian
noise, renormalised. Embedding 50k texts with the real model would take minutes and measure the embedder,
not the store. Texts are chat-memory-like sentences from English and Norwegian words, lengths lognormal
(mean ~35 words, a long tail up to 300 words), all from a seeded RNG.

Run from the repo root (the whole run takes several minutes on 2 cores):

    python bench/memory.py                     # 1k, 10k and 50k memories
    python bench/memory.py --sizes 1000,10000  # fewer sizes
    python bench/memory.py --quick             # a quick look: smaller sizes, fewer texts and queries
    python bench/memory.py --help

Everything is written to temporary directories that are removed at the end; the test model is seeded into
`.cache/test-model` (gitignored) unless `--cache-dir` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import resource
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/memory.py`: import `bot` and `scripts` from the repo root, not from bench/.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from qdrant_client import AsyncQdrantClient  # noqa: E402

from bench.common import machine_line, say  # noqa: E402
from bot.memory.bank import MemoryBank, NewMemory  # noqa: E402
from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.embedder import BATCH_SIZE, FastEmbedder  # noqa: E402
from bot.memory.models import ChunkVectors, Memory, MemoryKind, SearchFilter, StoreInfo, Vector  # noqa: E402
from bot.memory.port import MemoryStore  # noqa: E402
from bot.memory.server import QdrantServerMemoryStore  # noqa: E402
from bot.places import Origin, OriginSource  # noqa: E402
from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402

# qdrant-client's local mode warns that payload indexes do nothing there and that it is not meant for
# more than 20,000 points; both are known and said in the notes.
warnings.filterwarnings("ignore", message="Payload indexes have no effect in the local Qdrant")
warnings.filterwarnings("ignore", message="Local mode is not recommended")

BACKENDS: tuple[str, ...] = ("edge", "local")
BACKEND_LABELS = {"edge": "Edge", "local": "qdrant-client local"}
SEARCH_SCOPE = "u7"
NAIVE_BATCH = 64
WARMUP_QUERIES = 3

# --------------------------------------------------------------------------- texts

EN_WORDS = """
about after again always animal apartment apple april autumn baby back bakery band bank beach bed bicycle
big birthday black blue boat book bored borrowed bought bread breakfast bridge brother brought busy cabin
cake called camera car careful cat chair cheap cheese chess chocolate city class climbing coffee cold
colleague concert cooking cousin cried daughter deadline dentist dinner doctor dog dream drove early easy
evening exam family farm father favourite festival film finally finished fishing flight football forest
forgot friday friend funny garden gift girlfriend boyfriend guitar gym happy headache heavy hiking holiday
home homework hospital hotel house hungry idea interview island jacket job journey kitchen knitting lake
language laptop late learning letter library lunch married meeting message midnight money monday moon
morning mountain moved movie museum music neighbour nervous news night noisy novel ocean office old
painting paper parents party passport patient phone photo piano picnic pizza plan plane playing podcast
present project promise proud quiet rain reading recipe remember rent restaurant river running sad
saturday school sea season ship shopping sick singing sister skiing sleep slow snow soccer song soup
spring station story street stressed student summer sunday supper surprise swimming teacher team tired
today tomorrow train travel tuesday university vacation village visit waiting walk weather wedding
weekend winter work worried writing yesterday young recovery allergic vegetarian gluten peanuts anxious
excited grandmother grandfather therapist promotion salary landlord roommate keyboard server discord
stream anime manga novel poetry camping sailing ferry harbour bergen oslo tromso trondheim stavanger
""".split()

NO_WORDS = """
alltid arbeid bestemor bestefar bil bok bror brød butikk by barnehage dag datter drømmer eksamen
familie far fest fisk fjell fjord forelsket fredag frokost fryser gammel glad god gutt hage helg
hjem hund hytte høst hus jente jobb jul kaffe kake katt kino kjæreste kjøkken klær koldt kontor kveld
lærer langt lese leilighet lørdag lunsj mandag mat middag mor morgen musikk nabo natt nervøs ny ost
pappa penger reise restaurant ski skole snø sol sommer sønn søster sove stue sulten syk tirsdag tog
trist trøtt tur uke universitet vår venn venninne vinter vær vaffel brunost fiskesuppe regn sykkel
svømme synge spille gitar fotball strikking lesing håper husker glemte flyttet kjøpte lånte besøkte
skrev ringte gråt lo jobbet studerte reiste lagde spiste drakk sov våknet løp gikk kjørte seilte
bursdag bryllup ferie påske russetid dugnad koselig deilig vanskelig morsom slitsom stressende
""".split()

EN_GLUE = "the a and but so because when with at in on for to of my his her their it that this".split()
NO_GLUE = "og men så fordi når med på i til av min hans hennes deres det den som er var har".split()

NAMES = "Kari Ola Ingrid Lars Sofie Emil Nora Jakob Aksel Maja Henrik Thea Sam Alex Mia Noah Leah Oskar".split()

EN_OPENERS = (
    "User said that",
    "Remember that",
    "In the chat on {day},",
    "{name} mentioned that",
    "{name} told me",
    "Note to self:",
    "We talked about",
    "Important:",
    "They asked me to remember that",
    "Last week",
)
NO_OPENERS = (
    "Brukeren sa at",
    "Husk at",
    "{name} fortalte at",
    "I chatten på {day}",
    "Vi snakket om",
    "Viktig:",
    "Forrige uke",
)
EN_DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
NO_DAYS = "mandag tirsdag onsdag torsdag fredag lørdag søndag".split()

QUERY_OPENERS = (
    "What do you remember about",
    "What did I say about",
    "Do you know my",
    "When did I mention",
    "Hva husker du om",
    "Hva sa jeg om",
    "Husker du",
)

# Lognormal word counts: exp(mu + sigma^2 / 2) = 35 words on average, ~0.5% beyond 200 words.
LENGTH_SIGMA = 0.8
LENGTH_MU = math.log(35.0) - LENGTH_SIGMA**2 / 2
MIN_WORDS, MAX_WORDS = 4, 300


def text_length(rng: random.Random) -> int:
    return max(MIN_WORDS, min(MAX_WORDS, round(rng.lognormvariate(LENGTH_MU, LENGTH_SIGMA))))


def sentence(rng: random.Random, norwegian: bool, words: int) -> list[str]:
    vocab, glue = (NO_WORDS, NO_GLUE) if norwegian else (EN_WORDS, EN_GLUE)
    out: list[str] = []
    for _ in range(words):
        roll = rng.random()
        out.append(rng.choice(glue) if roll < 0.35 else rng.choice(NAMES) if roll < 0.4 else rng.choice(vocab))
    return out


def memory_text(rng: random.Random) -> str:
    """One chat-memory-like text: an opener, then sentences of 5-16 words, cut to a lognormal length."""
    norwegian = rng.random() < 0.3
    target = text_length(rng)
    opener = rng.choice(NO_OPENERS if norwegian else EN_OPENERS)
    day = rng.choice(NO_DAYS if norwegian else EN_DAYS)
    words = opener.format(name=rng.choice(NAMES), day=day).split()
    sentences: list[str] = []
    current = words + sentence(rng, norwegian, rng.randint(3, 12))
    total = len(current)
    while True:
        sentences.append(" ".join(current) + rng.choice(".....!?"))
        if total >= target:
            break
        current = sentence(rng, norwegian, rng.randint(5, 16))
        current[0] = current[0].capitalize()
        total += len(current)
    return " ".join(" ".join(sentences).split()[:target]).rstrip(".!?") + "."


def memory_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [memory_text(rng) for _ in range(count)]


def query_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed + 1)
    queries = []
    for _ in range(count):
        opener = rng.choice(QUERY_OPENERS)
        norwegian = opener.split()[0] in ("Hva", "Husker")
        queries.append(f"{opener} {' '.join(sentence(rng, norwegian, rng.randint(2, 8)))}?")
    return queries


# --------------------------------------------------------------------------- memories and vectors


@dataclass
class Pool:
    """Really embedded texts; memories beyond the pool reuse them with perturbed vectors."""

    texts: list[str]
    vectors: list[np.ndarray]  # one (windows, dim) array per text, rows unit length
    noise: float
    rng: np.random.Generator

    def vectors_for(self, index: int) -> ChunkVectors:
        base = self.vectors[index % len(self.vectors)]
        if index < len(self.vectors):
            return base.tolist()
        noisy = base + self.rng.normal(0.0, self.noise, size=base.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        return noisy.tolist()


def make_memory(index: int, text: str, users: int, rng: random.Random, now: datetime) -> Memory:
    return Memory(
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        scope=f"u{index % users}",
        kind=rng.choice((MemoryKind.FACT, MemoryKind.EPISODE, MemoryKind.NOTE, MemoryKind.EPISODE)),
        text=text,
        created_at=now - timedelta(seconds=rng.uniform(0, 365 * 24 * 3600)),
        importance=round(rng.random(), 3),
        origin=Origin(OriginSource.DM, None, 1_000_000 + index % users, 2_000_000 + index),
    )


def new_memory(index: int, text: str, users: int, rng: random.Random, now: datetime) -> NewMemory:
    built = make_memory(index, text, users, rng, now)
    return NewMemory(
        scope=built.scope,
        text=text,
        kind=built.kind,
        importance=built.importance,
        origin=built.origin,
        created_at=built.created_at,
        id=built.id,
    )


# --------------------------------------------------------------------------- stores and timing


def make_store(backend: str, directory: Path) -> MemoryStore:
    if backend == "edge":
        return EdgeMemoryStore(directory / "memory")
    client = AsyncQdrantClient(path=str(directory / "qdrant-local"))
    return QdrantServerMemoryStore(client, "aiki_bench", "local")


def percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q)) if samples else float("nan")


async def timed(work: Awaitable[object]) -> float:
    """Seconds spent awaiting `work` (a coroutine does nothing until it is awaited)."""
    start = time.perf_counter()
    await work
    return time.perf_counter() - start


def peak_rss_gb() -> float:
    """The process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


@dataclass
class StoreResult:
    add_per_s: float = float("nan")
    add_embedded_per_s: float | None = None
    search_ms: list[float] = field(default_factory=list)


async def fill_store(store: MemoryStore, pool: Pool, size: int, users: int, batch: int, seed: int) -> float:
    """Upsert `size` memories with pre-computed vectors; returns memories/s over the upsert calls alone."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    spent = 0.0
    for start in range(0, size, batch):
        items = []
        for index in range(start, min(size, start + batch)):
            memory = make_memory(index, pool.texts[index % len(pool.texts)], users, rng, now)
            items.append((memory, pool.vectors_for(index)))
        spent += await timed(store.upsert(items))
    return size / spent


async def search_latencies(store: MemoryStore, queries: Sequence[Vector], count: int) -> list[float]:
    where = SearchFilter(scopes=(SEARCH_SCOPE,))
    for vector in queries[:WARMUP_QUERIES]:
        await store.search(vector, where, 10)
    samples = []
    for index in range(count):
        vector = queries[index % len(queries)]
        samples.append(1000 * await timed(store.search(vector, where, 10)))
    return samples


async def add_with_embedding(
    backend: str, embedder: FastEmbedder, texts: Sequence[str], users: int, batch: int, seed: int
) -> float:
    """`MemoryBank.add` in batches into a fresh store; returns memories/s, embedding included."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix=f"aiki-bench-{backend}-") as directory:
        bank = MemoryBank(make_store(backend, Path(directory)), embedder)
        await bank.open()
        try:
            spent = 0.0
            for start in range(0, len(texts), batch):
                new = [new_memory(i, texts[i], users, rng, now) for i in range(start, min(len(texts), start + batch))]
                spent += await timed(bank.add(new))
        finally:
            await bank.close()
    return len(texts) / spent


async def bench_store(
    backend: str, size: int, pool: Pool, queries: Sequence[Vector], n_queries: int, args: argparse.Namespace
) -> StoreResult:
    result = StoreResult()
    info = StoreInfo(model=TEST_MODEL, dim=len(queries[0]))
    with tempfile.TemporaryDirectory(prefix=f"aiki-bench-{backend}-") as directory:
        store = make_store(backend, Path(directory))
        await store.open(info)
        try:
            result.add_per_s = await fill_store(store, pool, size, args.users, args.batch, args.seed)
            counted = await store.count(SEARCH_SCOPE)
            result.search_ms = await search_latencies(store, queries, n_queries)
        finally:
            await store.close()
    say(
        f"  {BACKEND_LABELS[backend]:>20}: add {result.add_per_s:,.0f} mem/s; {n_queries} searches in "
        f"{SEARCH_SCOPE} ({counted} memories): p50 {percentile(result.search_ms, 50):.2f} ms, "
        f"p95 {percentile(result.search_ms, 95):.2f} ms"
    )
    return result


# --------------------------------------------------------------------------- embedding


@dataclass
class EmbeddingResult:
    texts: int
    naive_s: float
    naive_vectors: int
    aiki_s: float
    aiki_vectors: int
    query_ms: list[float]
    aiki_peak_gb: float
    naive_peak_gb: float

    @property
    def naive_rate(self) -> float:
        return self.texts / self.naive_s

    @property
    def aiki_rate(self) -> float:
        return self.texts / self.aiki_s


async def bench_embedding(
    embedder: FastEmbedder, texts: list[str], queries: list[str]
) -> tuple[EmbeddingResult, list[np.ndarray], list[Vector]]:
    model = embedder._model  # fastembed's TextEmbedding, what a naive caller would use directly
    warmup = texts[:NAIVE_BATCH]
    # Each way gets one warm-up batch right before it is measured; AIKI first, so its peak RSS is its own.
    await embedder.embed_passages(warmup)
    say(f"  AIKI embed_passages over {len(texts):,} texts ...")
    start = time.perf_counter()
    chunked = await embedder.embed_passages(texts)
    aiki_s = time.perf_counter() - start
    aiki_peak = peak_rss_gb()
    say(f"    {aiki_s:.1f} s, {len(texts) / aiki_s:,.1f} texts/s; process peak RSS {aiki_peak:.2f} GB")

    list(model.embed(warmup, batch_size=NAIVE_BATCH))  # type: ignore[attr-defined]
    say(f"  naive list(TextEmbedding.embed(texts, batch_size={NAIVE_BATCH})) over the same texts ...")
    start = time.perf_counter()
    naive = list(model.embed(texts, batch_size=NAIVE_BATCH))  # type: ignore[attr-defined]
    naive_s = time.perf_counter() - start
    naive_peak = peak_rss_gb()
    say(f"    {naive_s:.1f} s, {len(texts) / naive_s:,.1f} texts/s; process peak RSS {naive_peak:.2f} GB")

    query_vectors: list[Vector] = []
    query_ms: list[float] = []
    for query in queries:
        start = time.perf_counter()
        query_vectors.append(await embedder.embed_query(query))
        query_ms.append(1000 * (time.perf_counter() - start))

    result = EmbeddingResult(
        texts=len(texts),
        naive_s=naive_s,
        naive_vectors=len(naive),
        aiki_s=aiki_s,
        aiki_vectors=sum(len(c) for c in chunked),
        query_ms=query_ms,
        aiki_peak_gb=aiki_peak,
        naive_peak_gb=naive_peak,
    )
    pool_vectors = [np.asarray(chunks, dtype=np.float32) for chunks in chunked]
    return result, pool_vectors, query_vectors


# --------------------------------------------------------------------------- report


def fmt_rate(value: float | None) -> str:
    return "n/m" if value is None or math.isnan(value) else f"{value:,.0f}"


def fmt_ms(samples: Sequence[float], q: float) -> str:
    return f"{percentile(samples, q):.2f}" if samples else "n/m"


def report(
    args: argparse.Namespace,
    embedding: EmbeddingResult,
    results: dict[int, dict[str, StoreResult]],
    query_counts: dict[int, dict[str, int]],
    text_words: list[int],
    wall_s: float,
) -> str:
    lines: list[str] = []
    add = lines.append
    add("## Memory benchmark")
    add("")
    add(f"- Machine: {machine_line()}")
    add(
        f"- Model: {TEST_MODEL} (offline test copy, int8 ONNX), fastembed {version('fastembed')}, "
        f"qdrant-edge-py {version('qdrant-edge-py')}, qdrant-client {version('qdrant-client')}"
    )
    add(
        f"- Texts: chat-memory-like English/Norwegian, {len(text_words):,} in the pool, words mean "
        f"{statistics.mean(text_words):.1f}, median {statistics.median(text_words):.0f}, "
        f"p99 {percentile(text_words, 99):.0f}, max {max(text_words)}"
    )
    add("")
    add("### Adding and searching memories")
    add("")
    add(
        "| memories | add excl. embedding, Edge (mem/s) | add excl. embedding, local (mem/s) "
        "| add incl. embedding, Edge (mem/s) | add incl. embedding, local (mem/s) "
        "| search p50, Edge (ms) | search p50, local (ms) | search p95, Edge (ms) | search p95, local (ms) "
        "| queries Edge / local |"
    )
    add("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, by_backend in results.items():
        edge, local = by_backend["edge"], by_backend["local"]
        add(
            f"| {size:,} | {fmt_rate(edge.add_per_s)} | {fmt_rate(local.add_per_s)} "
            f"| {fmt_rate(edge.add_embedded_per_s)} | {fmt_rate(local.add_embedded_per_s)} "
            f"| {fmt_ms(edge.search_ms, 50)} | {fmt_ms(local.search_ms, 50)} "
            f"| {fmt_ms(edge.search_ms, 95)} | {fmt_ms(local.search_ms, 95)} "
            f"| {query_counts[size]['edge']} / {query_counts[size]['local']} |"
        )
    add("")
    add("### Embedding (same texts, same model, same process)")
    add("")
    add("| method | texts | vectors | seconds | texts/s | process peak RSS after (GB) |")
    add("|---|---:|---:|---:|---:|---:|")
    add(
        f"| naive `list(TextEmbedding.embed(texts, batch_size={NAIVE_BATCH}))`, natural order | {embedding.texts:,} "
        f"| {embedding.naive_vectors:,} | {embedding.naive_s:.1f} | {embedding.naive_rate:,.1f} "
        f"| {embedding.naive_peak_gb:.2f} |"
    )
    add(
        f"| AIKI `embed_passages` (200-word windows, sorted by length, batches of {BATCH_SIZE}) "
        f"| {embedding.texts:,} | {embedding.aiki_vectors:,} | {embedding.aiki_s:.1f} | {embedding.aiki_rate:,.1f} "
        f"| {embedding.aiki_peak_gb:.2f} |"
    )
    ratio = embedding.aiki_rate / embedding.naive_rate
    add("")
    add(f"AIKI / naive: **{ratio:.2f}x** (target: at least 2x: {'met' if ratio >= 2 else 'NOT met'}).")
    add(
        f"Query embedding (`embed_query`, one question at a time, {len(embedding.query_ms)} questions): "
        f"p50 {percentile(embedding.query_ms, 50):.2f} ms, p95 {percentile(embedding.query_ms, 95):.2f} ms."
    )
    add("")
    add("Notes:")
    add(
        "- Embedding: each way right after its own warm-up batch; AIKI runs first, so its peak RSS is its own "
        "(model included), the naive loop's is the peak of the whole process after it. fastembed truncates each "
        "text at 512 tokens, AIKI embeds every 200-word window, hence more vectors."
    )
    add(
        f"- Memories are spread evenly over {args.users} users (scopes u0..u{args.users - 1}); a search is "
        f"filtered to one user ({SEARCH_SCOPE!r}, so 1% of the memories), limit 10, query embedding excluded, "
        f"after {WARMUP_QUERIES} warm-up queries."
    )
    add(
        f'- "add excl. embedding": only the store\'s `upsert` is timed, batches of {args.batch}. Vectors come from '
        f"{len(text_words):,} really embedded texts; memory i reuses pool text i mod {len(text_words):,}, and "
        f"beyond the pool its vectors get Gaussian noise (sigma {args.noise} per dimension) and are renormalised."
    )
    embedded_sizes = [s for s in results if results[s]["edge"].add_embedded_per_s is not None]
    add(
        f'- "add incl. embedding": `MemoryBank.add` in batches of {args.batch} into a fresh store, '
        + (
            f"measured only at {', '.join(f'{s:,}' for s in embedded_sizes)} memories "
            "(n/m = not measured): embedding dominates it and is the same work for both backends."
            if embedded_sizes
            else "not measured in this run."
        )
    )
    add(
        "- \"local\" is qdrant-client's local mode with a path (the server adapter's test double): brute force in "
        "Python, no payload indexes, every upsert persisted to SQLite; it is not what a Qdrant server does, and "
        f"it gets {args.local_queries} queries above 1,000 memories to keep the run short (p95 of few queries "
        "is rough)."
    )
    add(
        "- Edge is used as `EdgeMemoryStore` does: default optimizer settings, `optimize()` never called, "
        "one worker thread."
    )
    add(f"- Wall time of the whole run: {wall_s:.0f} s.")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_sizes(text: str) -> list[int]:
    sizes = [int(part.replace("_", "").replace("k", "000")) for part in text.split(",") if part.strip()]
    if not sizes or any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive integers, e.g. 1000,10000: {text!r}")
    return sizes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/memory.py",
        description=(
            "Memory add throughput (embedding excluded and included) and filtered search latency, Qdrant Edge "
            "vs qdrant-client's local mode side by side, plus fastembed's naive embed loop vs AIKI's "
            "embed_passages. Prints a Markdown table at the end."
        ),
        epilog=(
            "examples: python bench/memory.py | python bench/memory.py --sizes 1000,10000 | "
            "python bench/memory.py --quick | python bench/memory.py --embedded-sizes none"
        ),
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=None,
        help="comma-separated numbers of memories to measure (default 1000,10000,50000; with --quick 1000,10000)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a quick look: sizes 1000,10000 (unless --sizes), 500 texts embedded, 50 searches (20 in local mode)",
    )
    parser.add_argument(
        "--users", type=int, default=100, help="users the memories are spread over, scopes u0.. (default %(default)s)"
    )
    parser.add_argument(
        "--batch", type=int, default=256, help="memories per upsert / MemoryBank.add call (default %(default)s)"
    )
    parser.add_argument(
        "--embed-texts",
        type=int,
        default=2000,
        help=(
            "texts for the naive-vs-AIKI embedding comparison; their vectors are also the pool the stores' "
            "vectors come from (default %(default)s)"
        ),
    )
    parser.add_argument("--queries", type=int, default=200, help="timed searches per store (default %(default)s)")
    parser.add_argument(
        "--local-queries",
        type=int,
        default=30,
        help=(
            "timed searches in qdrant-client's local mode above 1,000 memories, where it is slow "
            "(brute force in Python) (default %(default)s)"
        ),
    )
    parser.add_argument(
        "--embedded-sizes",
        default="1000",
        help=(
            "sizes at which add throughput WITH embedding (MemoryBank.add) is measured, comma-separated; "
            "'none' to skip (default %(default)s)"
        ),
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=0.01,
        help="sigma of the per-dimension noise on reused pool vectors (default %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed for texts, memories and noise (default %(default)s)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=ROOT / ".cache" / "test-model",
        help="where the offline test model is seeded (default .cache/test-model in the repo, gitignored)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = args.sizes or [1000, 10000]
        args.embed_texts = min(args.embed_texts, 500)
        args.queries = min(args.queries, 50)
        args.local_queries = min(args.local_queries, 20)
    args.sizes = args.sizes or [1000, 10000, 50000]
    args.embedded_sizes = [] if args.embedded_sizes.strip().lower() == "none" else parse_sizes(args.embedded_sizes)
    if args.embed_texts < NAIVE_BATCH or args.queries < 1 or args.local_queries < 1 or args.batch < 1:
        parser.error(f"--embed-texts must be at least {NAIVE_BATCH}; --queries, --local-queries, --batch at least 1")
    return args


def queries_for(backend: str, size: int, args: argparse.Namespace) -> int:
    return args.queries if backend == "edge" or size <= 1000 else min(args.queries, args.local_queries)


async def run(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    say(f"Machine: {machine_line()}")
    say(f"Model: {TEST_MODEL}; sizes {args.sizes}; {args.users} users; batch {args.batch}")
    embedder = FastEmbedder.load(TEST_MODEL, seed_cache(args.cache_dir))
    try:
        texts = memory_texts(args.embed_texts, args.seed)
        say(f"\nEmbedding {len(texts):,} texts both ways (this is also the vector pool) ...")
        embedding, pool_vectors, query_vectors = await bench_embedding(
            embedder, texts, query_texts(max(args.queries, 50), args.seed)
        )
        pool = Pool(texts, pool_vectors, args.noise, np.random.default_rng(args.seed))

        results: dict[int, dict[str, StoreResult]] = {}
        counts: dict[int, dict[str, int]] = {}
        for size in args.sizes:
            say(f"\n{size:,} memories:")
            results[size], counts[size] = {}, {}
            for backend in BACKENDS:
                counts[size][backend] = queries_for(backend, size, args)
                results[size][backend] = await bench_store(
                    backend, size, pool, query_vectors, counts[size][backend], args
                )
            if size in args.embedded_sizes:
                extra = memory_texts(max(0, size - len(texts)), args.seed + 7)
                embed_texts = (texts + extra)[:size]
                for backend in BACKENDS:
                    rate = await add_with_embedding(backend, embedder, embed_texts, args.users, args.batch, args.seed)
                    results[size][backend].add_embedded_per_s = rate
                    say(f"  {BACKEND_LABELS[backend]:>20}: MemoryBank.add (embedding included) {rate:,.1f} mem/s")
    finally:
        embedder.close()
    words = [len(text.split()) for text in texts]
    say("")
    say(report(args, embedding, results, counts, words, time.perf_counter() - began))


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
