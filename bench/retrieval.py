"""Retrieval benchmark: does AIKI find the right memory? Real conversations, real questions, evidence turns.

Data: REALTALK (a directory of `Chat_*.json`: ten real 21-day two-person conversations with questions and the
evidence turns that answer them) or the LoCoMo JSON layout (a file holding a list of samples, each with
`conversation: {speaker_a, speaker_b, session_N: [turns], session_N_date_time}` and `qa`; turns carry `text`
instead of `clean_text`, sessions are numbered as in the dia_ids). The data is read from the path given; nothing
of it is copied anywhere.

What it does, on the offline test model (all-MiniLM-L6-v2 int8, scripts/test_model.py) and a real Qdrant Edge store:

* Ingestion: every conversation becomes one person's memory (its own scope in one store), one memory per turn,
  written through `MemoryBank.add` in batches: the text is "Speaker: message" (plus "[photo: caption]" when a
  picture was shared), `speaker` is set, `context` holds the two turns before and after in the same session,
  `created_at` is the turn's time, importance is scored as the core scores an episode. Reported: turns/s for
  the whole `MemoryBank.add` path (embedding, BM25, upsert), and side by side on one sample of turns, AIKI's
  `embed_passages` against the naive `list(TextEmbedding.embed(texts, batch_size=64))` in natural order
  (measured last, so the peak memory reported before it is AIKI's own).
* Questions: each is asked through `MemoryBank.recall`, exactly what the core calls each turn, with the
  conversation's scope, `now` one day after its last turn, in three modes side by side: `lexical` (plain BM25
  over the memory's words, Qdrant's IDF), `dense` (plain nearest by the dense vector) and `hybrid` (AIKI's).
  `--ablations` adds hybrid rows with one signal or boost switched off (same store, same probe, other weights).
* Metrics over questions whose evidence resolves to turns (ranges and joined ids expanded; ids missing from
  the transcripts skipped and counted): recall@k = the share of a question's evidence turns in the top k,
  averaged (the metric of the numbers in REALTALK's README); any@10 = at least one evidence turn in the top 10;
  all@10 = every evidence turn in the top 10; MRR = 1 / rank of the first evidence turn (0 beyond the top 30).
* What the prompt shows: for the hybrid, the memories the core's `recollect` picks for the prompt (at most 8
  lines within the memories' 1,200 tokens, no recent history), the share of the evidence turns among them and what
  they cost in tokens. Recall@k counts memories whatever their length; this counts what the model reads.
* Latency: the wall time of `recall` minus the time spent in the query embedding (timed inside the embedder),
  i.e. time parsing, the word-match query for "after <event>", both Qdrant calls and payload parsing.

Run from the repo root (about two minutes on 2 cores):

    python bench/retrieval.py ../shared/data/realtalk
    python bench/retrieval.py path/to/locomo10.json --language english
    python bench/retrieval.py ../shared/data/realtalk --ablations --naive-sample 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/retrieval.py`: import `bot` and `scripts` from the repo root, not from bench/.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.memory.bank import MemoryBank, NewMemory  # noqa: E402
from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.embedder import FastEmbedder  # noqa: E402
from bot.memory.hybrid import DEFAULT_WEIGHTS, Mode  # noqa: E402
from bot.memory.models import ChunkVectors, MemoryKind, SearchFilter, Vector  # noqa: E402
from bot.mind.importance import score_importance  # noqa: E402
from bot.mind.learning import AIKI_SPEAKER, Exchange  # noqa: E402
from bot.mind.learning import memories_of as live_memories_of  # noqa: E402
from bot.mind.recollection import CANDIDATES, recollect  # noqa: E402
from bot.mind.retrieval import shown_text  # noqa: E402
from bot.mind.turn import Budgets, Incoming, Person  # noqa: E402
from bot.places import Origin, OriginSource  # noqa: E402
from bot.tokens import estimate_tokens  # noqa: E402
from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402

NAIVE_BATCH = 64
ADD_BATCH = 256
CONTEXT_TURNS = 2  # turns before and after, in the same session
UTC_ZONE = ZoneInfo("UTC")  # the data's times carry no zone: they are read as UTC, and so are the questions
KS = (1, 5, 10, 20)
ABLATIONS = {
    "hybrid -context": {"context": 0.0},
    "hybrid -dense": {"dense": 0.0},
    "hybrid -time": {"time": 0.0},
    "hybrid -speaker": {"speaker": 0.0},
    "hybrid -recency -importance": {"recency": 0.0, "importance": 0.0},
    "hybrid -fade": {"fade": 0.0},
}


# --------------------------------------------------------------------------- data


@dataclass
class Turn:
    dia_id: str
    speaker: str
    text: str
    when: datetime
    session: int
    caption: str = ""


@dataclass
class Question:
    text: str
    category: str
    evidence: list[int]  # indexes into the conversation's turns


@dataclass
class Conversation:
    name: str
    turns: list[Turn]
    questions: list[Question] = field(default_factory=list)
    skipped_ids: int = 0
    unanswerable: int = 0


_LOCOMO_TIME = re.compile(r"(\d{1,2}):(\d\d)\s*([ap]m)\s+on\s+(\d{1,2})\s+(\w+),?\s+(\d{4})", re.I)
_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}  # fmt: skip


def parse_when(raw: str) -> datetime:
    """REALTALK's "29.12.2023, 22:42:04" or LoCoMo's "1:56 pm on 8 May, 2023", as UTC."""
    raw = raw.strip()
    try:
        return datetime.strptime(raw, "%d.%m.%Y, %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        pass
    match = _LOCOMO_TIME.search(raw)
    if not match:
        raise ValueError(f"unknown date format: {raw!r}")
    hour, minute, half, day, month, year = match.groups()
    hour = int(hour) % 12 + (12 if half.lower() == "pm" else 0)
    return datetime(int(year), _MONTHS[month.lower()], int(day), hour, int(minute), tzinfo=UTC)


def expand_evidence(raw: str) -> list[str]:
    """'D12:3-D12:5' -> three ids; 'D5:12;D5:16' and 'D13:4. D14:4' -> two; trailing dots dropped."""
    ids: list[str] = []
    text = re.sub(r"\s*-\s*", "-", raw)
    for part in re.split(r"[;,\s]+", text):
        part = part.strip().rstrip(".")
        if not part:
            continue
        span = re.fullmatch(r"D(\d+):(\d+)-D(\d+):(\d+)", part)
        if span and span.group(1) == span.group(3):
            ids += [f"D{span.group(1)}:{i}" for i in range(int(span.group(2)), int(span.group(4)) + 1)]
        else:
            ids.append(part)
    return ids


def _turns(sessions: dict[int, list[dict]], session_times: dict[int, str]) -> list[Turn]:
    turns: list[Turn] = []
    for number in sorted(sessions):
        start = parse_when(session_times[number]) if number in session_times else None
        for offset, raw in enumerate(sessions[number]):
            text = str(raw.get("clean_text", raw.get("text", ""))).strip()
            when = parse_when(raw["date_time"]) if raw.get("date_time") else start
            if when is None:
                raise ValueError(f"turn {raw.get('dia_id')} has no time")
            if not raw.get("date_time"):  # LoCoMo: one time per session; keep the turns in order
                when += timedelta(seconds=30 * offset)
            caption = str(raw.get("blip_caption") or "").strip()
            if text or caption:
                turns.append(Turn(str(raw["dia_id"]), str(raw["speaker"]), text, when, number, caption))
    return turns


def _questions(conversation: Conversation, qa: list[dict]) -> None:
    index = {turn.dia_id: i for i, turn in enumerate(conversation.turns)}
    for item in qa:
        found: list[int] = []
        for raw in item.get("evidence") or []:
            for dia_id in expand_evidence(str(raw)):
                if dia_id in index:
                    found.append(index[dia_id])
                else:
                    conversation.skipped_ids += 1
        if not found:
            conversation.unanswerable += 1
            continue
        evidence = sorted(set(found))
        conversation.questions.append(Question(str(item["question"]), str(item.get("category", "?")), evidence))


def load_realtalk_file(path: Path) -> Conversation:
    data = json.loads(path.read_text(encoding="utf-8"))
    sessions = {int(k.split("_")[1]): v for k, v in data.items() if re.fullmatch(r"session_\d+", k)}
    conversation = Conversation(path.stem, _turns(sessions, {}))
    _questions(conversation, data.get("qa", []))
    return conversation


def load_locomo(path: Path) -> list[Conversation]:
    out = []
    for number, sample in enumerate(json.loads(path.read_text(encoding="utf-8"))):
        talk = sample["conversation"]
        sessions = {int(k.split("_")[1]): v for k, v in talk.items() if re.fullmatch(r"session_\d+", k)}
        times = {int(k.split("_")[1]): v for k, v in talk.items() if re.fullmatch(r"session_\d+_date_time", k)}
        name = str(sample.get("sample_id", f"sample_{number}"))
        conversation = Conversation(name, _turns(sessions, times))
        _questions(conversation, sample.get("qa", []))
        out.append(conversation)
    return out


def split(conversations: list[Conversation], half: str) -> list[Conversation]:
    """The first half of the conversations in file order (dev), the second half (test), or all of them."""
    middle = (len(conversations) + 1) // 2
    return {"dev": conversations[:middle], "test": conversations[middle:]}.get(half, conversations)


def load(path: Path) -> list[Conversation]:
    if path.is_dir():
        files = sorted(path.glob("Chat_*.json")) or sorted(path.glob("*.json"))
        conversations: list[Conversation] = []
        for file in files:
            conversations += load(file)
        return conversations
    data = json.loads(path.read_text(encoding="utf-8"))
    return load_locomo(path) if isinstance(data, list) else [load_realtalk_file(path)]


# --------------------------------------------------------------------------- memories


def turn_text(turn: Turn) -> str:
    text = f"{turn.speaker}: {turn.text}"
    return f"{text} [photo: {turn.caption}]" if turn.caption else text


Placed = list[tuple[NewMemory, list[int]]]  # each memory with the indexes of the turns it holds


def memories_of(conversation: Conversation, scope: str) -> list[NewMemory]:
    """The import layout: one memory per transcript turn, its neighbours as context."""
    turns = conversation.turns
    out = []
    for i, turn in enumerate(turns):
        near = range(max(0, i - CONTEXT_TURNS), min(len(turns), i + CONTEXT_TURNS + 1))
        context = "\n".join(turn_text(turns[j]) for j in near if j != i and turns[j].session == turn.session)
        text = turn_text(turn)
        out.append(
            NewMemory(
                scope,
                text,
                MemoryKind.EPISODE,
                score_importance(text, MemoryKind.EPISODE),
                Origin(OriginSource.IMPORT),
                created_at=turn.when,
                id=f"{scope}/{turn.dia_id}/{i}",
                speaker=turn.speaker,
                context=context or None,
            )
        )
    return out


def live_memories(conversation: Conversation, scope: str) -> Placed:
    """The live layout: the conversation replayed as AIKI stores what it is told (`bot.learning.memories_of`).

    The first speaker is the person, the other is AIKI. Each of the person's turns is an exchange whose reply is
    the other side's turns up to the person's next one (joined, then kept short and apart, as AIKI's own words
    are); what the other side says before the person has spoken in a session is like a check-in AIKI sent, which
    the live bot keeps as a turn, not as a memory. Fact extraction (the LLM step) is left out.
    """
    turns = conversation.turns
    person = turns[0].speaker
    placed: Placed = []
    for i, turn in enumerate(turns):
        if turn.speaker != person:
            continue
        replies = []
        for j in range(i + 1, len(turns)):
            if turns[j].speaker == person or turns[j].session != turn.session:
                break
            replies.append(j)
        before = tuple(
            f"{turns[j].speaker if turns[j].speaker == person else AIKI_SPEAKER}: {_said(turns[j])}"
            for j in range(max(0, i - 2), i)
            if turns[j].session == turn.session
        )
        reply = "\n".join(_said(turns[j]) for j in replies) or None
        incoming = Incoming(Person(scope, person), _said(turn), Origin(OriginSource.DM))
        exchange = Exchange(incoming, _said(turn), reply, turn.when, before)
        made = live_memories_of(exchange)
        for k, memory in enumerate(made):
            held = [i] if k == 0 else replies
            placed.append((replace(memory, id=f"{scope}/{turn.dia_id}/{k}"), held))
    return placed


def asked_of_aiki(conversation: Conversation) -> Conversation:
    """The live layout's questions: the other side *is* AIKI there, so a question naming them ("What did Ola
    bake?") is asked as the owner would ask it, naming AIKI ("What did AIKI bake?")."""
    person = conversation.turns[0].speaker
    others = {t.speaker for t in conversation.turns if t.speaker != person}
    pattern = re.compile(r"\b(" + "|".join(re.escape(name) for name in others) + r")\b") if others else None
    if pattern is None:
        return conversation
    questions = [replace(q, text=pattern.sub(AIKI_SPEAKER, q.text)) for q in conversation.questions]
    return replace(conversation, questions=questions)


def _said(turn: Turn) -> str:
    return f"{turn.text} [photo: {turn.caption}]" if turn.caption else turn.text


def import_memories(conversation: Conversation, scope: str) -> Placed:
    return [(memory, [i]) for i, memory in enumerate(memories_of(conversation, scope))]


LAYOUTS = {"import": import_memories, "live": live_memories}


class TimedEmbedder:
    """The real embedder, with the time spent embedding queries recorded (latency is reported without it)."""

    def __init__(self, inner: FastEmbedder) -> None:
        self.inner = inner
        self.query_s = 0.0

    @property
    def model_name(self) -> str:
        return self.inner.model_name

    @property
    def dim(self) -> int:
        return self.inner.dim

    async def embed_passages(self, texts: Sequence[str]) -> list[ChunkVectors]:
        return await self.inner.embed_passages(texts)

    async def embed_query(self, text: str) -> Vector:
        start = time.perf_counter()
        try:
            return await self.inner.embed_query(text)
        finally:
            self.query_s += time.perf_counter() - start


# --------------------------------------------------------------------------- measuring


@dataclass
class Scores:
    per_question: list[tuple[str, list[float]]] = field(default_factory=list)  # (category, metric values)
    latency_ms: list[float] = field(default_factory=list)
    # What the prompt's memory block shows (the product's recollect): (category, evidence share, tokens).
    shown: list[tuple[str, float, int]] = field(default_factory=list)


METRICS = [f"R@{k}" for k in KS] + ["any@10", "all@10", "MRR"]


def question_metrics(ranked: list[list[int]], evidence: list[int]) -> list[float]:
    """Over the turns each ranked memory holds (one in the import layout; AIKI's joined replies hold several)."""
    wanted = set(evidence)

    def within(k: int) -> set[int]:
        return {turn for held in ranked[:k] for turn in held}

    values = [len(wanted & within(k)) / len(wanted) for k in KS]
    values.append(float(bool(wanted & within(10))))
    values.append(float(wanted <= within(10)))
    first = next((rank for rank, held in enumerate(ranked, 1) if wanted & set(held)), None)
    values.append(1.0 / first if first else 0.0)
    return values


async def ingest(bank: MemoryBank, batches: list[list[NewMemory]]) -> float:
    start = time.perf_counter()
    for batch in batches:
        await bank.add(batch)
    return time.perf_counter() - start


async def naive_vs_aiki(embedder: FastEmbedder, texts: list[str]) -> tuple[float, float]:
    """Turns/s of the naive fastembed loop and of AIKI's embedder over the same texts, AIKI first (so the process
    peak memory measured before this is AIKI's own; the naive batches of 64 padded texts need far more)."""
    model = embedder._model  # fastembed's TextEmbedding, what a naive caller would use directly
    warm = texts[:NAIVE_BATCH]
    await embedder.embed_passages(warm)
    start = time.perf_counter()
    await embedder.embed_passages(texts)
    aiki = len(texts) / (time.perf_counter() - start)
    list(model.embed(warm, batch_size=NAIVE_BATCH))  # type: ignore[attr-defined]
    start = time.perf_counter()
    list(model.embed(texts, batch_size=NAIVE_BATCH))  # type: ignore[attr-defined]
    naive = len(texts) / (time.perf_counter() - start)
    return naive, aiki


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def ask(
    bank: MemoryBank, embedder: TimedEmbedder, conversation: Conversation, scope: str, ids: dict[str, list[int]],
    methods: dict[str, tuple[Mode, dict[str, float]]], scores: dict[str, Scores],
) -> None:  # fmt: skip
    where = SearchFilter(scopes=(scope,))
    now = max(turn.when for turn in conversation.turns) + timedelta(days=1)
    for question in conversation.questions:
        for method, (mode, changes) in methods.items():
            embedder.query_s = 0.0
            start = time.perf_counter()
            if changes:  # an ablation: the same probe with other weights
                probe = await bank.probe(question.text, where, now, UTC_ZONE, mode)
                probe = replace(probe, weights=replace(DEFAULT_WEIGHTS, **changes))
                hits = await bank.store.query(probe, where, CANDIDATES)
            else:
                hits = await bank.recall(question.text, where, CANDIDATES, now, UTC_ZONE, mode)
            spent = time.perf_counter() - start - embedder.query_s
            ranked = [ids[hit.memory.id] for hit in hits]
            scores[method].per_question.append((question.category, question_metrics(ranked, question.evidence)))
            scores[method].latency_ms.append(1000 * spent)
            if mode is Mode.HYBRID and not changes:
                scores[method].shown.append((question.category, *await shown(bank, question, where, now, ids)))


async def shown(
    bank: MemoryBank, question: Question, where: SearchFilter, now: datetime, ids: dict[str, list[int]]
) -> tuple[float, int]:
    """The share of the evidence turns in the memories a prompt shows (what the core's `recollect` picks: at most
    8 lines within the memories' budget), and what those lines cost in tokens. Unlike recall@k this counts what
    the model reads: a longer memory takes more of the budget."""
    recalled = await recollect(bank, question.text, where, now, UTC_ZONE, Budgets().memory_tokens)
    held = {turn for item in recalled for turn in ids.get(item.hit.memory.id, [])}
    tokens = sum(estimate_tokens(shown_text(item.hit.memory)) for item in recalled)
    return len(set(question.evidence) & held) / len(set(question.evidence)), tokens


# --------------------------------------------------------------------------- report


def table(scores: dict[str, Scores], categories: list[str]) -> list[str]:
    lines = []
    header = "| method | questions | " + " | ".join(METRICS) + " |"
    for category in ["all", *categories]:
        lines.append(f"\n{'Overall' if category == 'all' else f'Category {category}'}:\n")
        lines += [header, "|" + "---|" * (len(METRICS) + 2)]
        for method, result in scores.items():
            rows = [v for c, v in result.per_question if category in ("all", c)]
            means = np.mean(np.asarray(rows), axis=0) if rows else [math.nan] * len(METRICS)
            lines.append(f"| {method} | {len(rows)} | " + " | ".join(f"{m:.3f}" for m in means) + " |")
    return lines


def shown_table(scores: dict[str, Scores], categories: list[str]) -> list[str]:
    lines = ["\nWhat the prompt shows (the core's `recollect`: at most 8 lines within 1,200 tokens, no history):\n"]
    lines += ["| questions | evidence in the prompt | memory lines' tokens, mean | median |", "|---|---|---|---|"]
    for method, result in scores.items():
        for category in ["all", *categories]:
            rows = [(share, tokens) for c, share, tokens in result.shown if category in ("all", c)]
            if rows:
                shares, tokens = zip(*rows, strict=True)
                name = f"{method}, {'all' if category == 'all' else f'category {category}'}"
                lines.append(
                    f"| {name}: {len(rows)} | {statistics.mean(shares):.3f} | {statistics.mean(tokens):.0f} |"
                    f" {statistics.median(tokens):.0f} |"
                )
    return lines


def percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q)) if samples else math.nan


def machine_line() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{usable} usable cores, {platform.machine()}, {platform.system()} {platform.release()}, Python " + (
        platform.python_version()
    )


def say(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="REALTALK directory (Chat_*.json), one Chat file, or a LoCoMo JSON")
    parser.add_argument("--language", default="english", help="BM25 language of the data (default %(default)s)")
    parser.add_argument(
        "--naive-sample", type=int, default=1500,
        help="turns embedded both the naive way and AIKI's way, side by side (default %(default)s)",
    )  # fmt: skip
    parser.add_argument("--ablations", action="store_true", help="also hybrid with one signal or boost off")
    parser.add_argument(
        "--layout", choices=["both", *LAYOUTS], default="both",
        help="how memories are stored: as AIKI stores what it is told (live), as an import (import), or both",
    )  # fmt: skip
    parser.add_argument("--limit", type=int, default=0, help="only the first N conversations (0: all)")
    parser.add_argument(
        "--split", choices=["all", "dev", "test"], default="all",
        help="the first half of the conversations (dev, to tune on), the second half (test, held out), or all",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=7, help="seed of the ingestion sample (default %(default)s)")
    parser.add_argument(
        "--cache-dir", type=Path, default=ROOT / ".cache" / "test-model",
        help="where the offline test model is seeded (default .cache/test-model, gitignored)",
    )  # fmt: skip
    return parser.parse_args(argv)


LAYOUT_WORDS = {
    "import": "one memory per transcript turn with its neighbours as context, as an import stores it",
    "live": "replayed through bot.learning as AIKI stores what it is told: the person's words, AIKI's apart; "
    "questions naming the other side name AIKI",
}


async def measure_layout(
    layout: str,
    conversations: list[Conversation],
    embedder: TimedEmbedder,
    methods: dict[str, tuple[Mode, dict[str, float]]],
    language: str,
) -> tuple[dict[str, Scores], float, int]:
    """One store for the layout: every conversation written the layout's way, then every question asked."""
    scores = {method: Scores() for method in methods}
    with tempfile.TemporaryDirectory(prefix=f"aiki-bench-retrieval-{layout}-") as directory:
        bank = MemoryBank(EdgeMemoryStore(Path(directory) / "memory"), embedder, language)  # type: ignore[arg-type]
        await bank.open()
        try:
            plans = [(c, f"person-{n}", LAYOUTS[layout](c, f"person-{n}")) for n, c in enumerate(conversations)]
            memories = [memory for _, _, placed in plans for memory, _ in placed]
            batches = [memories[i : i + ADD_BATCH] for i in range(0, len(memories), ADD_BATCH)]
            say(f"[{layout}] ingesting {len(memories):,} memories through MemoryBank.add ...")
            ingest_s = await ingest(bank, batches)
            say(f"  {ingest_s:.1f} s, {len(memories) / ingest_s:,.1f} memories/s (embedding, BM25 and upsert)")
            for conversation, scope, placed in plans:
                ids = {memory.build().id: held for memory, held in placed}
                asked = asked_of_aiki(conversation) if layout == "live" else conversation
                await ask(bank, embedder, asked, scope, ids, methods, scores)
        finally:
            await bank.close()
    return scores, ingest_s, len(memories)


async def run(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    conversations = load(args.data)
    conversations = split(conversations, args.split)
    if args.limit:
        conversations = conversations[: args.limit]
    turns = sum(len(c.turns) for c in conversations)
    questions = sum(len(c.questions) for c in conversations)
    words = [len(turn_text(t).split()) for c in conversations for t in c.turns]
    say(f"Machine: {machine_line()}")
    say(
        f"Data: {args.data} - {len(conversations)} conversations, {turns:,} turns ({statistics.mean(words):.1f} words "
        f"on average, max {max(words)}), {questions} questions with evidence; "
        f"{sum(c.unanswerable for c in conversations)} questions without resolvable evidence, "
        f"{sum(c.skipped_ids for c in conversations)} evidence ids not in the transcripts (skipped)"
    )
    inner = FastEmbedder.load(TEST_MODEL, seed_cache(args.cache_dir))
    embedder = TimedEmbedder(inner)
    methods: dict[str, tuple[Mode, dict[str, float]]] = {
        "BM25 (lexical)": (Mode.LEXICAL, {}),
        "dense": (Mode.DENSE, {}),
        "AIKI hybrid": (Mode.HYBRID, {}),
    }
    if args.ablations:
        methods |= {name: (Mode.HYBRID, changes) for name, changes in ABLATIONS.items()}
    layouts = list(LAYOUTS) if args.layout == "both" else [args.layout]
    results: dict[str, tuple[dict[str, Scores], float, int]] = {}
    try:
        for layout in layouts:
            results[layout] = await measure_layout(layout, conversations, embedder, methods, args.language)
        aiki_peak = peak_rss_mb()
        texts = [turn_text(t) for c in conversations for t in c.turns]
        sample = random.Random(args.seed).sample(texts, min(args.naive_sample, len(texts)))
        say(f"Embedding {len(sample):,} sampled turns AIKI's way and the naive way, side by side ...")
        naive_rate, aiki_rate = await naive_vs_aiki(inner, sample)
        say(f"  AIKI {aiki_rate:,.1f} turns/s, naive {naive_rate:,.1f} turns/s ({aiki_rate / naive_rate:.2f}x)")
    finally:
        inner.close()
    categories = sorted({q.category for c in conversations for q in c.questions})
    lines = ["", "## Retrieval benchmark", ""]
    lines.append(f"- Command: python bench/retrieval.py {' '.join(sys.argv[1:])}")
    lines.append(f"- Model: {TEST_MODEL} (offline int8); store: Qdrant Edge; BM25 language: {args.language}")
    lines.append(f"- {questions} questions; candidates per question: {CANDIDATES} (the core's)")
    for layout, (scores, ingest_s, stored) in results.items():
        lines.append(f"\n### Layout: {layout} ({LAYOUT_WORDS[layout]}; {stored:,} memories)")
        lines += table(scores, categories)
        lines += shown_table(scores, categories)
        lines.append("\nQuery latency, excluding the query embedding (ms):\n")
        lines += ["| method | p50 | p95 | max |", "|---|---|---|---|"]
        for method, result in scores.items():
            lat = result.latency_ms
            lines.append(f"| {method} | {percentile(lat, 50):.2f} | {percentile(lat, 95):.2f} | {max(lat):.2f} |")
        lines.append(f"\n`MemoryBank.add` of the {layout} layout: {stored / ingest_s:,.1f} memories/s")
    lines.append("\nIngestion:\n")
    lines.append(f"- naive `list(TextEmbedding.embed(texts, batch_size={NAIVE_BATCH}))`: {naive_rate:,.1f} turns/s")
    lines.append(
        f"- AIKI `embed_passages` on the same {len(sample):,} turns: {aiki_rate:,.1f} turns/s "
        f"({aiki_rate / naive_rate:.2f}x the naive loop)"
    )
    lines.append(
        f"- process peak RSS: {aiki_peak:,.0f} MB through ingestion and questions; {peak_rss_mb():,.0f} MB after "
        "the naive loop"
    )
    lines.append(f"\nWall time: {time.perf_counter() - began:.0f} s")
    say("\n".join(lines))


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
