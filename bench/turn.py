"""Turn benchmark: the consciousness core's own latency per turn, against a zero-latency LLM.

What it measures, with a real core (`Consciousness`: Qdrant Edge memory store, SQLite state, the offline test
embedding model all-MiniLM-L6-v2 int8 ONNX, see scripts/test_model.py) talking over real HTTP to
`tests.llm_server.FakeLLMServer`, which answers at once, so every millisecond measured is AIKI's own:

* (a) message received -> LLM request sent, `core.last_reply.prepare_ms`: storing the user turn, the query
  embedding, the memory search, the SQLite reads, mood, intention and prompt assembly. Measured twice:
  - "drained": `await core.drain()` after every turn, so each turn starts with nothing running behind it;
  - "back-to-back": the next message is sent the moment the previous reply is done, WITHOUT draining, so the
    background learning of turn k runs while turn k+1 prepares (the worst case: a person sending several
    messages in a row). If (b) delayed the next turn, it shows here.
  Target: p50 <= 20 ms, p95 <= 50 ms.
* (b) the work after the reply: `core.last_reply.after_ms` (storing AIKI's turn in SQLite), and separately the
  background learning (the core is built with `learn_facts=False`, so no fact-extraction LLM call): the time
  of `await core.drain()` right after a turn, i.e. the episode memory's embedding + upsert and touching the
  recalled memories (`last_recalled_at`).
* For context: the end-to-end wall time of a turn as the client sees it (first chunk, last chunk, and
  `respond()` finished, which includes (b)'s after_ms), the query embedding alone (`embed_query`, idle), the
  store's hybrid query alone (pre-computed probe), and a per-step breakdown from the core itself
  (`core.last_reply.steps`: store, perceive, recall, feel, decide, phrase, store reply) plus the learning after
  each turn (the recall step runs the embedding+search and the two SQLite reads concurrently).

Memories: for each size (default 1k and 20k) the person's scope holds that many memories, 10 other people hold
500 each, and `core.start()` seeds AIKI's identity memories. Texts are chat-memory-like, English and Norwegian
(~30 % Norwegian), kinds fact / episode / note / project, created over the last 60 days, a few facts superseded,
some recalled before. A pool of texts (default 1,500) is embedded for real; every other memory gets a fresh
text of the same length, kind and language, with the vectors of a pool text plus small Gaussian noise,
renormalised, upserted straight through `core.bank.store.upsert`. The person also has a pre-seeded
conversation history in SQLite (default 2,000 turns) so the SQL runs against a used database.

Run from the repo root (about two minutes on 2 cores):

    python bench/turn.py                     # 1k and 20k memories, 100 turns per phase
    python bench/turn.py --sizes 1000,50000  # other sizes
    python bench/turn.py --quick             # a quick look: 1k only, 20 turns, a smaller pool
    python bench/turn.py --help

Everything is written to temporary directories that are removed at the end; the test model is seeded into
`.cache/test-model` (gitignored) unless `--cache-dir` says otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/turn.py`: import `bot`, `scripts` and `tests` from the repo root, not from bench/.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.common import machine_line, say  # noqa: E402
from bot.llm import OpenAICompatibleLLM  # noqa: E402
from bot.memory.bank import MemoryBank, NewMemory  # noqa: E402
from bot.memory.edge import EdgeMemoryStore  # noqa: E402
from bot.memory.embedder import CHUNK_WORDS, FastEmbedder, chunk_words  # noqa: E402
from bot.memory.models import IDENTITY_SCOPE, ChunkVectors, Memory, MemoryKind, SearchFilter  # noqa: E402
from bot.mind.core import Consciousness, Incoming, Person  # noqa: E402
from bot.mind.importance import score_importance  # noqa: E402
from bot.mind.persona import read_persona  # noqa: E402
from bot.mind.recollection import CANDIDATES  # noqa: E402
from bot.places import Origin, OriginSource  # noqa: E402
from bot.state.store import StateStore, Turn  # noqa: E402
from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402
from tests.core_fixtures import OSLO, Clock, close_core, open_core  # noqa: E402
from tests.llm_server import FakeLLMServer  # noqa: E402

PERSON = Person("318004567123456789", "Jovnna")
DM_CHANNEL = 900_000_000_000_000_001
TARGET_P50_MS, TARGET_P95_MS = 20.0, 50.0

# --------------------------------------------------------------------------- vocabulary

NAMES = "Kari Ola Ingrid Lars Sofie Emil Nora Jakob Aksel Maja Henrik Thea Sam Alex Mia Noah Leah Oskar Siri".split()
CITIES = "Tromsø Bergen Oslo Trondheim Stavanger Bodø Alta Lofoten Copenhagen Berlin Stockholm Kautokeino".split()
FOODS_EN = "peanuts gluten shellfish lactose cilantro mushrooms".split()
FOODS_NO = "peanøtter gluten skalldyr laktose koriander sopp".split()
ACTIVITIES_EN = "skiing hiking climbing swimming fishing sailing running knitting chess gaming".split()
ACTIVITIES_NO = "på ski|på tur|klatring|svømming|fisketur|seiling|løping|strikking|sjakk|gaming".split("|")
JOBS_EN = "nurse teacher developer electrician student designer fisher carpenter".split()
JOBS_NO = "sykepleier lærer utvikler elektriker student designer fisker snekker".split()
PROJECTS = ("AIKI-HOME", "the cabin roof", "the master thesis", "the Discord bot", "the garden", "the band demo")
PROJECTS_NO = ("AIKI-HOME", "hyttetaket", "masteroppgaven", "Discord-boten", "hagen", "demoen til bandet")
DAYS_EN = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
DAYS_NO = "mandag tirsdag onsdag torsdag fredag lørdag søndag".split()
RELATIONS_EN = "sister brother mother father cousin colleague neighbour best friend".split(" ")
RELATIONS_NO = "søster bror mor far kusine kollega nabo bestevenn".split()
THINGS_EN = "exam|job interview|dentist appointment|flight|concert|deadline|driving test|doctor's appointment".split(
    "|"
)
THINGS_NO = "eksamen|jobbintervju|tannlegetime|flyreise|konsert|frist|oppkjøring|legetime".split("|")

# Sentences that make up memories; {n} name, {o} other name, {c} city, {f} food, {a} activity, {j} job,
# {p} project, {d} day, {r} relation, {t} thing.
EN_SENTENCES = (
    "{n} went {a} with {o} on {d} and came home exhausted but happy",
    "{n} said the ferry to {c} was cancelled again because of the weather",
    "{n} is allergic to {f} and always checks the menu twice",
    "{n}'s {r} {o} is moving to {c} in the spring",
    "we talked about {p} for a long time and {n} wants to finish the first part before {d}",
    "{n} works as a {j} and the night shifts are starting to wear them down",
    "{n} has a {t} on {d} and feels nervous about it",
    "{n} prefers strong coffee in the morning and tea after dinner",
    "{n} laughed about the cat stealing a whole waffle from the kitchen table",
    "{n} asked me to remind them to call {o} about the birthday party",
    "the heating in the apartment in {c} broke and the landlord has not answered",
    "{n} finally fixed the bug in {p} after two evenings of debugging",
    "{n} has been sleeping badly since the move and wants to try going to bed earlier",
    "{n} is saving money for a trip to {c} with {o} next summer",
    "{n} started reading a long fantasy novel and is already halfway through",
    "{n} mentioned that {o} is their oldest friend from school",
    "{n} thinks the northern lights were the best they have seen in years",
    "{n} wants to learn to play the guitar properly this year",
    "{n} got a new laptop and spent the whole weekend setting it up",
    "{n} is training for a half marathon in {c} in September",
    "{n} does not like phone calls and would rather write a message",
    "the meeting about {p} was moved to {d} because {o} was sick",
    "{n} cooked fish soup for the whole family and everybody wanted the recipe",
    "{n} felt lonely on {d} evening and we talked until late",
)
NO_SENTENCES = (
    "{n} var {a} med {o} på {d} og kom hjem sliten men glad",
    "{n} sa at ferja til {c} ble innstilt igjen på grunn av været",
    "{n} er allergisk mot {f} og sjekker alltid menyen to ganger",
    "{r} til {n}, {o}, flytter til {c} til våren",
    "vi snakket lenge om {p}, og {n} vil bli ferdig med første del før {d}",
    "{n} jobber som {j}, og nattevaktene begynner å tære på",
    "{n} har {t} på {d} og gruer seg litt",
    "{n} liker sterk kaffe om morgenen og te etter middag",
    "{n} lo av katten som stjal en hel vaffel fra kjøkkenbordet",
    "{n} ba meg minne dem på å ringe {o} om bursdagsfesten",
    "varmen i leiligheten i {c} er ødelagt, og utleieren har ikke svart",
    "{n} fikset endelig feilen i {p} etter to kvelder med feilsøking",
    "{n} har sovet dårlig siden flyttingen og vil prøve å legge seg tidligere",
    "{n} sparer penger til en tur til {c} med {o} neste sommer",
    "{n} har begynt på en lang fantasyroman og er allerede halvveis",
    "{n} fortalte at {o} er den eldste venninnen fra skolen",
    "{n} synes nordlyset i går var det fineste på mange år",
    "{n} vil lære seg å spille gitar ordentlig i år",
    "{n} trener til halvmaraton i {c} i september",
    "{n} liker ikke å snakke i telefonen og skriver heller en melding",
    "møtet om {p} ble flyttet til {d} fordi {o} var syk",
    "{n} lagde fiskesuppe til hele familien, og alle ville ha oppskriften",
    "{n} følte seg ensom på {d} kveld, og vi pratet til sent",
)
EN_REPLIES = (
    "That sounds like a lot, but you handled it well",
    "I remember you mentioned that before",
    "Good luck, I will ask you how it went",
    "That is lovely to hear",
    "Let me know if you want help planning it",
)
NO_REPLIES = (
    "Det høres ut som mye, men du taklet det fint",
    "Jeg husker at du nevnte det før",
    "Lykke til, jeg spør deg hvordan det gikk",
    "Så fint å høre",
    "Si fra hvis du vil ha hjelp til å planlegge",
)
NOTE_OPENERS_EN = ("Remember that", "Note:", "Important:", "They asked me to remember that")
NOTE_OPENERS_NO = ("Husk at", "Notat:", "Viktig:", "De ba meg huske at")

# Messages the person sends during the measured turns; filled from the vocabulary above, ~40 % Norwegian.
MESSAGE_TEMPLATES = (
    "Hi! How are you today?",
    "What do you remember about my {r}?",
    "Do you remember where {o} lives?",
    "I have a {t} on {d}, can you remind me?",
    "I went {a} with {o} today, it was great",
    "Can you help me plan the trip to {c}?",
    "What did I say about {p} last week?",
    "I'm so stressed about the {t}, I can't sleep",
    "Thanks for yesterday, that really helped",
    "I finished the first part of {p}!",
    "Any idea what I should cook for dinner? I'm allergic to {f}, remember",
    "{o} is coming to visit this weekend",
    "Why do I always procrastinate on {p}?",
    "I think I want to learn something new this year. Maybe guitar?",
    "Tell me something nice",
    "Work was long today. The night shift as a {j} is tough",
    "Do you know when my {t} is?",
    "I had the weirdest dream last night about a ferry to {c} that never arrived and you were the captain",
    "ok",
    "I read half the fantasy novel in one sitting. Should I finish it tonight or sleep?",
    "What's the weather usually like in {c} in March?",
    "Can you remind me to call {o} tomorrow?",
    "I'm feeling a bit lonely tonight",
    "Great news: I got the job!",
    "So about {p}: I rewrote the whole thing yesterday because the old design was a mess, and now the tests "
    "pass, but I'm not sure the new structure is actually better. {o} thinks I should have kept the old one and "
    "just fixed the bugs. What do you think, and do you remember why I started the rewrite in the first place?",
)
MESSAGE_TEMPLATES_NO = (
    "Hei! Hvordan har du det i dag?",
    "Hva husker du om {r} min?",
    "Husker du hvor {o} bor?",
    "Jeg har {t} på {d}, kan du minne meg på det?",
    "Jeg var {a} med {o} i dag, det var kjempebra",
    "Kan du hjelpe meg å planlegge turen til {c}?",
    "Hva sa jeg om {p} forrige uke?",
    "Jeg er så stresset for {t}, jeg får ikke sove",
    "Tusen takk for i går, det hjalp virkelig",
    "Jeg er ferdig med første del av {p}!",
    "Hva skal jeg lage til middag? Jeg er allergisk mot {f}, husker du",
    "{o} kommer på besøk i helgen",
    "Hvorfor utsetter jeg alltid {p}?",
    "Jeg er sliten etter jobb i dag",
    "Fortell meg noe hyggelig",
    "Når var det {o} flyttet til {c} igjen?",
    "I går kveld satt jeg oppe til tre og jobbet med {p}, og jeg tror endelig jeg forstår hvorfor det ikke "
    "virket. Men nå er jeg så trøtt at jeg ikke klarer å tenke. Hva synes du jeg bør gjøre først i morgen?",
    "ja",
    "Gleder meg til helgen!",
    "Skal vi snakke om noe annet enn jobb?",
)
# What the zero-latency LLM answers, chosen per request; 10-70 words, streamed word by word.
REPLIES = (
    "Hei! Godt å høre fra deg. Hvordan gikk resten av dagen?",
    "That sounds like a good plan. Do you want me to remind you tomorrow morning?",
    "I remember you mentioned that before. Last time you said it went better than you expected, and I think "
    "this time will be the same. What is the hardest part right now?",
    "Det høres tungt ut. Jeg er her. Vil du fortelle meg litt mer om hva som skjedde?",
    "Congratulations! That is a big step, and you worked hard for it. How does it feel?",
    "Ok!",
    "Jeg husker at du nevnte det i forrige uke. Du sa at du ville bli ferdig før fredag, og at det viktigste var "
    "å få testene til å virke først. Hvis du vil, kan vi gå gjennom planen sammen, steg for steg, og se hva som "
    "er igjen. Hva tenker du?",
    "Good question. I do not know for sure, but from what you told me it sounds like you already have a "
    "feeling about the answer. What would you tell a friend in the same situation?",
)


def fill(template: str, rng: random.Random, norwegian: bool) -> str:
    name, other = rng.sample(NAMES, 2)
    return template.format(
        n=name,
        o=other,
        c=rng.choice(CITIES),
        f=rng.choice(FOODS_NO if norwegian else FOODS_EN),
        a=rng.choice(ACTIVITIES_NO if norwegian else ACTIVITIES_EN),
        j=rng.choice(JOBS_NO if norwegian else JOBS_EN),
        p=rng.choice(PROJECTS_NO if norwegian else PROJECTS),
        d=rng.choice(DAYS_NO if norwegian else DAYS_EN),
        r=rng.choice(RELATIONS_NO if norwegian else RELATIONS_EN),
        t=rng.choice(THINGS_NO if norwegian else THINGS_EN),
    )


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# Lognormal word counts: mean ~40 words, a long tail (~1 % beyond 200 words, i.e. two or more windows).
LENGTH_SIGMA = 0.85
LENGTH_MU = math.log(40.0) - LENGTH_SIGMA**2 / 2
MIN_WORDS, MAX_WORDS = 6, 450
KIND_WEIGHTS = (
    (MemoryKind.FACT, 0.30),
    (MemoryKind.EPISODE, 0.45),
    (MemoryKind.NOTE, 0.15),
    (MemoryKind.PROJECT, 0.10),
)


@dataclass(frozen=True)
class TextSpec:
    kind: MemoryKind
    norwegian: bool
    words: int
    project: str | None = None


def text_spec(rng: random.Random) -> TextSpec:
    kind = rng.choices([k for k, _ in KIND_WEIGHTS], [w for _, w in KIND_WEIGHTS])[0]
    norwegian = rng.random() < 0.3
    words = max(MIN_WORDS, min(MAX_WORDS, round(rng.lognormvariate(LENGTH_MU, LENGTH_SIGMA))))
    if kind is MemoryKind.FACT:  # facts are one or two sentences
        words = min(words, rng.randint(8, 30))
    project = rng.choice(PROJECTS_NO if norwegian else PROJECTS) if kind is MemoryKind.PROJECT else None
    return TextSpec(kind, norwegian, words, project)


def memory_text(spec: TextSpec, rng: random.Random) -> str:
    """A chat-memory-like text of exactly `spec.words` words (so a copy has as many 200-word windows)."""
    sentences = NO_SENTENCES if spec.norwegian else EN_SENTENCES
    replies = NO_REPLIES if spec.norwegian else EN_REPLIES
    if spec.kind is MemoryKind.EPISODE:
        name = rng.choice(NAMES)
        parts = [f"{name}: {capitalised(fill(rng.choice(sentences), rng, spec.norwegian))}.", "AIKI:"]
        parts.append(f"{rng.choice(replies)}.")
    elif spec.kind is MemoryKind.NOTE:
        opener = rng.choice(NOTE_OPENERS_NO if spec.norwegian else NOTE_OPENERS_EN)
        parts = [f"{opener} {fill(rng.choice(sentences), rng, spec.norwegian)}."]
    elif spec.kind is MemoryKind.PROJECT:
        parts = [f"{spec.project}: {fill(rng.choice(sentences), rng, spec.norwegian)}."]
    else:
        parts = [f"{capitalised(fill(rng.choice(sentences), rng, spec.norwegian))}."]
    words = " ".join(parts).split()
    while len(words) < spec.words:
        words += f"{capitalised(fill(rng.choice(sentences), rng, spec.norwegian))}.".split()
    return " ".join(words[: spec.words]).rstrip(",:") + ("" if words[spec.words - 1].endswith(".") else ".")


def messages(count: int, seed: int) -> list[str]:
    """`count` user messages from the templates, each template used in turn, filled with varied details."""
    rng = random.Random(seed + 3)
    templates = [(t, False) for t in MESSAGE_TEMPLATES] + [(t, True) for t in MESSAGE_TEMPLATES_NO]
    rng.shuffle(templates)
    out = []
    for index in range(count):
        template, norwegian = templates[index % len(templates)]
        out.append(fill(template, rng, norwegian))
    return out


def reply_for(body: dict[str, Any]) -> str:
    last = body["messages"][-1]["content"] if body.get("messages") else ""
    return REPLIES[sum(last.encode("utf-8")) % len(REPLIES)]


# --------------------------------------------------------------------------- memories


@dataclass
class Pool:
    """Really embedded texts; every other memory borrows a pool text's vectors with small noise."""

    specs: list[TextSpec]
    texts: list[str]
    vectors: list[np.ndarray]  # one (windows, dim) array per text, rows unit length
    noise: float
    rng: np.random.Generator

    def vectors_for(self, index: int, copy: bool) -> ChunkVectors:
        base = self.vectors[index % len(self.vectors)]
        if not copy:
            return base.tolist()
        noisy = base + self.rng.normal(0.0, self.noise, size=base.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        return noisy.tolist()


async def make_pool(embedder: FastEmbedder, size: int, seed: int, noise: float) -> tuple[Pool, float]:
    rng = random.Random(seed)
    specs = [text_spec(rng) for _ in range(size)]
    texts = [memory_text(spec, rng) for spec in specs]
    start = time.perf_counter()
    chunked = await embedder.embed_passages(texts)
    spent = time.perf_counter() - start
    vectors = [np.asarray(chunks, dtype=np.float32) for chunks in chunked]
    return Pool(specs, texts, vectors, noise, np.random.default_rng(seed)), spent


def make_memory(scope: str, index: int, pool: Pool, rng: random.Random, now: datetime) -> tuple[Memory, ChunkVectors]:
    """Memory `index` of a scope: pool text `index` itself (first round), else a fresh text of the same shape."""
    slot = index % len(pool.texts)
    spec = pool.specs[slot]
    copy = scope != PERSON.scope or index >= len(pool.texts)
    text = memory_text(spec, rng) if copy else pool.texts[slot]
    created = now - timedelta(seconds=rng.uniform(600, 60 * 24 * 3600))
    recalled = (
        created + timedelta(seconds=rng.uniform(0, (now - created).total_seconds())) if rng.random() < 0.2 else None
    )
    source = rng.choices([OriginSource.DM, OriginSource.CHANNEL, OriginSource.CLI], [0.6, 0.3, 0.1])[0]
    superseded = (
        str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if spec.kind is MemoryKind.FACT and rng.random() < 0.05
        else None
    )
    memory = NewMemory(
        scope=scope,
        text=text,
        kind=spec.kind,
        importance=score_importance(text, spec.kind),
        origin=Origin(source, 700_000 if source is OriginSource.CHANNEL else None, DM_CHANNEL, 10**15 + index),
        created_at=created,
        id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        meta={"topic": spec.project} if spec.project else {},
        superseded_by=superseded,
        last_recalled_at=recalled,
    ).build()
    return memory, pool.vectors_for(slot, copy)


async def populate(
    core: Consciousness, pool: Pool, scopes: dict[str, int], batch: int, seed: int, now: datetime
) -> float:
    """Upsert the memories of every scope through the store; returns the seconds spent."""
    rng = random.Random(seed + 11)
    start = time.perf_counter()
    for scope, count in scopes.items():
        for first in range(0, count, batch):
            items = [make_memory(scope, i, pool, rng, now) for i in range(first, min(count, first + batch))]
            await core.bank.store.upsert(items)
    return time.perf_counter() - start


async def seed_history(state: StateStore, scopes: dict[str, int], seed: int, now: datetime) -> None:
    """Earlier conversation turns, oldest first, over the last 60 days."""
    rng = random.Random(seed + 13)
    for scope, count in scopes.items():
        moments = sorted(now - timedelta(seconds=rng.uniform(3600, 60 * 24 * 3600)) for _ in range(count))
        for index, moment in enumerate(moments):
            role = "user" if index % 2 == 0 else "assistant"
            norwegian = rng.random() < 0.4
            template = rng.choice(MESSAGE_TEMPLATES_NO if norwegian else MESSAGE_TEMPLATES)
            content = fill(template, rng, norwegian) if role == "user" else rng.choice(REPLIES)
            await state.add_turn(Turn(scope, role, content, moment, source="dm", channel_id=DM_CHANNEL))


# --------------------------------------------------------------------------- measuring turns


def percentile(samples: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(samples), q)) if len(samples) else float("nan")


@dataclass
class TurnSample:
    prepare_ms: float
    after_ms: float
    first_chunk_ms: float
    last_chunk_ms: float
    done_ms: float
    backlog: int  # learning tasks still running when the message was sent
    memories: int
    intention: str
    drain_ms: float | None = None


@dataclass
class SizeResult:
    size: int
    total_memories: int
    populate_s: float
    drained: list[TurnSample] = field(default_factory=list)
    back_to_back: list[TurnSample] = field(default_factory=list)
    final_drain_ms: float = 0.0
    query_embed_ms: list[float] = field(default_factory=list)
    search_ms: list[float] = field(default_factory=list)
    breakdown: dict[str, list[float]] = field(default_factory=dict)
    prompt_chars: list[int] = field(default_factory=list)
    wall_s: float = 0.0


class Conversation:
    """Sends the person's messages to the core, one turn at a time, as a client would."""

    def __init__(self, core: Consciousness, clock: Clock, seed: int) -> None:
        self.core = core
        self.clock = clock
        self.rng = random.Random(seed + 17)
        self.message_id = 5 * 10**17

    def incoming(self, text: str) -> Incoming:
        self.message_id += 1
        return Incoming(PERSON, text, origin=Origin(OriginSource.DM, None, DM_CHANNEL, self.message_id))

    async def turn(self, text: str, drain: bool) -> TurnSample:
        self.clock.advance(seconds=self.rng.uniform(20, 240))
        backlog = self.core.afterwards.pending  # diagnostic only: learning tasks of earlier turns still running
        first = last = float("nan")
        start = time.perf_counter()
        async for _chunk in self.core.respond(self.incoming(text)):
            now = time.perf_counter()
            if math.isnan(first):
                first = now
            last = now
        done = time.perf_counter()
        stats = self.core.last_reply
        sample = TurnSample(
            prepare_ms=stats.prepare_ms,
            after_ms=stats.after_ms,
            first_chunk_ms=(first - start) * 1000,
            last_chunk_ms=(last - start) * 1000,
            done_ms=(done - start) * 1000,
            backlog=backlog,
            memories=stats.memories,
            intention=stats.intention,
        )
        if drain:
            begin = time.perf_counter()
            await self.core.drain()
            sample.drain_ms = (time.perf_counter() - begin) * 1000
        return sample


async def timed_ms(work: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = await work
    return result, (time.perf_counter() - start) * 1000


async def breakdown(core: Consciousness, conversation: Conversation, texts: Sequence[str]) -> dict[str, list[float]]:
    """The core's own per-step timings (`core.last_reply.steps`) over real turns, drained between turns, and the
    learning after each (`core.drain()`)."""
    sections: dict[str, list[float]] = {}
    for text in texts:
        sample = await conversation.turn(text, drain=True)
        for name, ms in core.last_reply.steps.items():
            sections.setdefault(name, []).append(ms)
        sections.setdefault("learn (drain: episode embedding + upsert, recalled memories touched)", []).append(
            sample.drain_ms
        )
    return sections


async def bench_size(
    size: int, args: argparse.Namespace, embedder: FastEmbedder, pool: Pool, server: FakeLLMServer, texts: list[str]
) -> SizeResult:
    began = time.perf_counter()
    server.reset()
    server.responder = reply_for
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    start_of_bench = clock.now
    with tempfile.TemporaryDirectory(prefix="aiki-bench-turn-") as directory:
        tmp = Path(directory)
        llm = OpenAICompatibleLLM(server.base_url, "sk-bench-key", "aiki-bench-model", 30.0, 0, 600)
        bank = MemoryBank(EdgeMemoryStore(tmp / "memory"), embedder)
        state = StateStore(tmp / "aiki.db")
        core = Consciousness(bank, state, llm, read_persona(None), OSLO, clock=clock, learn_facts=False)
        await open_core(core)  # opens the bank and the database, seeds the identity memories (core.start())
        try:
            scopes = {PERSON.scope: size} | {
                f"3180045671234{k:05d}": args.other_memories for k in range(args.other_scopes)
            }
            populate_s = await populate(core, pool, scopes, args.batch, args.seed, start_of_bench)
            if not args.no_restart:
                # As AIKI would be after an import: the next start builds the vector index (OPTIMIZE_AT_START).
                # A closed store does not reopen: a new bank over the same directory, and a core built with it.
                await core.drain()
                await bank.close()
                bank = MemoryBank(EdgeMemoryStore(tmp / "memory"), embedder)
                started = time.perf_counter()
                await bank.open()
                say(f"  reopened the store (index built at start) in {time.perf_counter() - started:.1f} s")
                core = Consciousness(bank, state, llm, read_persona(None), OSLO, clock=clock, learn_facts=False)
                await core.start()
            history = {PERSON.scope: args.history} | {s: args.history // 10 for s in scopes if s != PERSON.scope}
            await seed_history(state, history, args.seed, start_of_bench)
            counted = await bank.store.count(PERSON.scope)
            identity = await bank.store.count(IDENTITY_SCOPE)
            total = sum(scopes.values()) + identity
            result = SizeResult(size, total, populate_s)
            say(
                f"  store: {counted:,} memories for the person, {total:,} in all ({args.other_scopes} other people, "
                f"{identity} identity), upserted in {populate_s:.1f} s; {sum(history.values()):,} turns of history"
            )

            # Idle: the query embedding alone, and the search alone with pre-computed vectors.
            where = SearchFilter(scopes=(PERSON.scope, IDENTITY_SCOPE))
            probes = []
            for text in texts[: args.warmup]:
                await bank.recall(text, where, CANDIDATES, clock.now, OSLO)
            for text in texts:
                _, ms = await timed_ms(bank.embedder.embed_query(text))
                result.query_embed_ms.append(ms)
                probes.append(await bank.probe(text, where, clock.now, OSLO))
            for probe in probes:
                _, ms = await timed_ms(bank.store.query(probe, where, CANDIDATES))
                result.search_ms.append(ms)

            conversation = Conversation(core, clock, args.seed)
            warm = messages(args.warmup, args.seed + 100)
            for text in warm:
                await conversation.turn(text, drain=True)
            say(f"  {args.warmup} warm-up turns done; {len(texts)} turns, draining after each ...")
            for text in texts:
                result.drained.append(await conversation.turn(text, drain=True))
            say(f"  {len(texts)} turns back-to-back, no draining in between ...")
            for text in warm:  # warm-up for this phase: it starts with a backlog like the measured turns
                await conversation.turn(text, drain=False)
            for text in texts:
                result.back_to_back.append(await conversation.turn(text, drain=False))
            begin = time.perf_counter()
            await core.drain()
            result.final_drain_ms = (time.perf_counter() - begin) * 1000
            result.prompt_chars = [
                sum(len(m["content"]) for m in body["messages"])
                for body in server.chat_requests
                if "response_format" not in body
            ]
            say(f"  per-section breakdown over {len(texts)} more turns (the core's own step timings) ...")
            result.breakdown = await breakdown(core, conversation, texts)
        finally:
            await close_core(core)
    result.wall_s = time.perf_counter() - began
    say(
        f"  (a) drained p50 {percentile([s.prepare_ms for s in result.drained], 50):.1f} ms, p95 "
        f"{percentile([s.prepare_ms for s in result.drained], 95):.1f} ms; back-to-back p50 "
        f"{percentile([s.prepare_ms for s in result.back_to_back], 50):.1f} ms, p95 "
        f"{percentile([s.prepare_ms for s in result.back_to_back], 95):.1f} ms ({result.wall_s:.0f} s)"
    )
    return result


# --------------------------------------------------------------------------- report


def stats3(samples: Sequence[float]) -> str:
    if not len(samples):
        return "n/m | n/m | n/m"
    return f"{percentile(samples, 50):.1f} | {percentile(samples, 95):.1f} | {max(samples):.1f}"


def report(args: argparse.Namespace, results: list[SizeResult], pool: Pool, pool_s: float, wall_s: float) -> str:
    lines: list[str] = []
    add = lines.append
    add("## Turn latency benchmark (consciousness core, zero-latency LLM)")
    add("")
    add(f"- Machine: {machine_line()}")
    add(
        f"- Model: {TEST_MODEL} (offline test copy, int8 ONNX), fastembed {version('fastembed')}, "
        f"qdrant-edge-py {version('qdrant-edge-py')}, openai {version('openai')}, aiosqlite {version('aiosqlite')}"
    )
    add(
        "- LLM: tests.llm_server.FakeLLMServer on 127.0.0.1 (real HTTP + SSE, answers at once, 1-70 word replies "
        "streamed word by word); core built with learn_facts=False"
    )
    words = [len(t.split()) for t in pool.texts]
    windows = sum(len(chunk_words(t)) for t in pool.texts)
    add(
        f"- Memories: {len(pool.texts):,} pool texts embedded for real in {pool_s:.1f} s (words mean "
        f"{np.mean(words):.0f}, median {np.median(words):.0f}, max {max(words)}; {windows:,} windows of "
        f"{CHUNK_WORDS} words); kinds {', '.join(f'{k.value} {w:.0%}' for k, w in KIND_WEIGHTS)}, ~30 % Norwegian"
    )
    add(f"- Turns per phase: {args.turns} measured after {args.warmup} warm-up turns; seed {args.seed}")
    add("")
    header = "| metric (ms) | " + " | ".join(f"{r.size:,}: p50 | p95 | max" for r in results) + " |"
    add(header)
    add("|---|" + "---:|---:|---:|" * len(results))
    rows: list[tuple[str, list[list[float]]]] = [
        (
            "**(a) message -> LLM request** (prepare_ms), drained between turns",
            [[s.prepare_ms for s in r.drained] for r in results],
        ),
        (
            "**(a) message -> LLM request**, back-to-back (no drain)",
            [[s.prepare_ms for s in r.back_to_back] for r in results],
        ),
        ("(b) storing the reply (after_ms), drained", [[s.after_ms for s in r.drained] for r in results]),
        ("(b) storing the reply (after_ms), back-to-back", [[s.after_ms for s in r.back_to_back] for r in results]),
        (
            "(b) background learning (`await drain()` after a turn)",
            [[s.drain_ms or 0.0 for s in r.drained] for r in results],
        ),
        ("client: first chunk, drained", [[s.first_chunk_ms for s in r.drained] for r in results]),
        ("client: full reply (last chunk), drained", [[s.last_chunk_ms for s in r.drained] for r in results]),
        ("client: respond() finished (incl. after_ms), drained", [[s.done_ms for s in r.drained] for r in results]),
        ("client: first chunk, back-to-back", [[s.first_chunk_ms for s in r.back_to_back] for r in results]),
        ("client: full reply (last chunk), back-to-back", [[s.last_chunk_ms for s in r.back_to_back] for r in results]),
        ("query embedding alone (`embed_query`, idle)", [r.query_embed_ms for r in results]),
        (f"memory search alone (Edge, limit {CANDIDATES}, idle)", [r.search_ms for r in results]),
    ]
    for label, per_size in rows:
        add(f"| {label} | " + " | ".join(stats3(samples) for samples in per_size) + " |")
    add("")
    for r in results:
        drained = [s.prepare_ms for s in r.drained]
        btb = [s.prepare_ms for s in r.back_to_back]
        met = percentile(drained, 50) <= TARGET_P50_MS and percentile(drained, 95) <= TARGET_P95_MS
        met_btb = percentile(btb, 50) <= TARGET_P50_MS and percentile(btb, 95) <= TARGET_P95_MS
        backlog = Counter(s.backlog for s in r.back_to_back)
        intentions = Counter(s.intention for s in r.drained)
        add(
            f"- {r.size:,} memories for the person ({r.total_memories:,} in the store): target (a) p50 <= "
            f"{TARGET_P50_MS:.0f} ms and p95 <= {TARGET_P95_MS:.0f} ms: drained **{'met' if met else 'NOT met'}**, "
            f"back-to-back **{'met' if met_btb else 'NOT met'}** (back-to-back minus drained: p50 "
            f"{percentile(btb, 50) - percentile(drained, 50):+.1f} ms, "
            f"p95 {percentile(btb, 95) - percentile(drained, 95):+.1f} ms). "
            f"Learning tasks still running when a back-to-back message was sent: "
            f"{', '.join(f'{n} in {c} turns' for n, c in sorted(backlog.items()))}; the final drain took "
            f"{r.final_drain_ms:.0f} ms. Memories in the prompt: mean {np.mean([s.memories for s in r.drained]):.1f}; "
            f"prompt {np.mean(r.prompt_chars):,.0f} chars on average; intentions "
            f"{', '.join(f'{k} {v}' for k, v in intentions.most_common())}. Size took {r.wall_s:.0f} s."
        )
    add("")
    add("### Where the time of (a) and (b) goes (a copy of the core's steps, timed one by one)")
    add("")
    add("| step (ms) | " + " | ".join(f"{r.size:,}: p50 | p95 | max" for r in results) + " |")
    add("|---|" + "---:|---:|---:|" * len(results))
    names = list(results[0].breakdown) if results else []
    for name in names:
        add(f"| {name} | " + " | ".join(stats3(r.breakdown.get(name, [])) for r in results) + " |")
    add("")
    add("Notes:")
    add(
        "- (a) is `core.last_reply.prepare_ms`: from the start of `respond()` to just before the chat completion "
        "request is handed to the openai client (storing the user turn, embedding, search, SQLite, mood, "
        "intention, prompt). The HTTP request itself and the zero-latency server are in the client columns."
    )
    add(
        "- drained: `await core.drain()` after every turn (its time is the (b) background learning row), so "
        "each turn starts idle. back-to-back: the next message is sent as soon as `respond()` returns, with the "
        "previous turn's learning (episode embedding + upsert + touching recalled memories) still running."
    )
    add(
        f"- Memories: the person's scope holds the size given, {args.other_scopes} other people "
        f"{args.other_memories:,} each, plus the identity memories `core.start()` seeds. Pool texts are "
        "embedded for real; every other memory has a fresh text of the same kind, language and word count "
        "(so the same number of windows), and the vectors of its pool text with Gaussian noise "
        f"(sigma {args.noise} per dimension), renormalised, upserted with `store.upsert` in batches of "
        f"{args.batch}. created_at uniform over 60 days, 20 % recalled before, 5 % of facts superseded, "
        "origins 60 % DM / 30 % channel / 10 % terminal."
    )
    add(
        f"- SQLite holds {args.history:,} earlier turns of the person and {args.history // 10:,} of each other "
        "person; the clock advances 20-240 s per turn, so no long-absence events."
    )
    add(
        f"- Messages: {args.turns} from {len(MESSAGE_TEMPLATES) + len(MESSAGE_TEMPLATES_NO)} English and "
        "Norwegian templates (questions, statements, thanks, stress, good news, one-word answers, two long "
        "paragraphs), filled with varied names, places, projects."
    )
    add(
        "- Breakdown: the core's own step timings (`core.last_reply.steps`) on real turns, drained between turns; "
        "`phrase` includes the (fake, local) LLM streaming, and `learn` is `core.drain()` after the turn."
    )
    add(
        "- The product's default embedding model (paraphrase-multilingual-MiniLM-L12-v2, 12 layers, fp32) is "
        "larger than this offline test model (6 layers, int8): the query and episode embeddings, and so (a) and "
        "(b), will be slower with it."
    )
    add(
        "- The fake LLM server runs in threads of this same process, so it shares the CPU and the GIL with the "
        "core; the client columns include that."
    )
    add(f"- Wall time of the whole run: {wall_s:.0f} s.")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [
            int(part.strip().lower().replace("_", "").replace("k", "000")) for part in text.split(",") if part.strip()
        ]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"sizes must be positive integers, e.g. 1000,20000 or 1k,20k: {text!r}"
        ) from None
    if not sizes or any(size <= 0 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive integers, e.g. 1000,20000 or 1k,20k: {text!r}")
    return sizes


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/turn.py",
        description=(
            "Latency of the consciousness core per turn against a zero-latency LLM (tests.llm_server.FakeLLMServer): "
            "message -> LLM request (prepare_ms), drained between turns and back-to-back, the work after the reply "
            "and the background learning, end-to-end client times, query embedding alone, and a per-step breakdown. "
            "Prints a Markdown table at the end."
        ),
        epilog=(
            "examples: python bench/turn.py | python bench/turn.py --sizes 1k,50k --turns 200 | "
            "python bench/turn.py --quick"
        ),
    )
    parser.add_argument(
        "--sizes",
        type=parse_sizes,
        default=None,
        help="memories in the person's scope, comma-separated (default 1000,20000; with --quick 1000)",
    )
    parser.add_argument(
        "--turns", type=int, default=None, help="measured turns per phase and size (default 100; --quick 20)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            "a quick look: size 1000 (unless --sizes), 20 turns (unless --turns), a pool of 300 texts, "
            "100 turns of history"
        ),
    )
    parser.add_argument("--warmup", type=int, default=5, help="warm-up turns before each phase (default %(default)s)")
    parser.add_argument(
        "--pool",
        type=int,
        default=1500,
        help="texts embedded for real; the other memories reuse their vectors (default %(default)s)",
    )
    parser.add_argument("--other-scopes", type=int, default=10, help="other people in the store (default %(default)s)")
    parser.add_argument(
        "--other-memories", type=int, default=500, help="memories per other person (default %(default)s)"
    )
    parser.add_argument(
        "--history",
        type=int,
        default=2000,
        help="earlier turns of the person in SQLite; others get a tenth (default %(default)s)",
    )
    parser.add_argument(
        "--no-restart",
        action="store_true",
        help="measure right after filling, without reopening the store (no vector index yet)",
    )
    parser.add_argument(
        "--batch", type=int, default=512, help="memories per store.upsert call when filling (default %(default)s)"
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=0.01,
        help="sigma of the per-dimension noise on reused pool vectors (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=42, help="seed for texts, memories, messages and noise (default %(default)s)"
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=ROOT / ".cache" / "test-model",
        help="where the offline test model is seeded (default .cache/test-model in the repo, gitignored)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = args.sizes or [1000]
        args.turns = args.turns or 20
        args.pool = min(args.pool, 300)
        args.history = min(args.history, 100)
    args.sizes = args.sizes or [1000, 20000]
    args.turns = args.turns or 100
    if args.turns < 1 or args.warmup < 0 or args.pool < 1 or args.batch < 1 or args.other_scopes < 0:
        parser.error("--turns, --pool and --batch must be at least 1; --warmup and --other-scopes at least 0")
    return args


async def run(args: argparse.Namespace) -> None:
    began = time.perf_counter()
    say(f"Machine: {machine_line()}")
    say(f"Model: {TEST_MODEL}; sizes {args.sizes}; {args.turns} turns per phase; pool {args.pool}")
    embedder = FastEmbedder.load(TEST_MODEL, seed_cache(args.cache_dir))
    results: list[SizeResult] = []
    try:
        say(f"\nEmbedding the pool of {args.pool:,} texts ...")
        pool, pool_s = await make_pool(embedder, args.pool, args.seed, args.noise)
        say(f"  {pool_s:.1f} s ({args.pool / pool_s:,.0f} texts/s)")
        texts = messages(args.turns, args.seed)
        with FakeLLMServer() as server:
            for size in args.sizes:
                say(f"\n{size:,} memories for the person:")
                results.append(await bench_size(size, args, embedder, pool, server, texts))
    finally:
        embedder.close()
    say("")
    say(report(args, results, pool, pool_s, time.perf_counter() - began))


def main(argv: Sequence[str] | None = None) -> None:
    asyncio.run(run(parse_args(argv)))


if __name__ == "__main__":
    main()
