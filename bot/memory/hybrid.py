"""Hybrid retrieval, planned once for both Qdrant backends.

A memory is found by three signals: its dense vector (meaning), BM25 over its own words, and BM25 over its words
together with the words around it (`context`: the neighbouring messages of a conversation). Each signal fetches
its best candidates inside Qdrant (prefetch); one score formula inside Qdrant then fuses them and weighs in
recency, importance, whether the question names the speaker, and the time the question asks about.

Why these choices (measured with bench/retrieval.py on REALTALK; numbers are recall@10):
- Each signal's candidate list is normalised inside Qdrant (a one-list DBSF fusion: mean and spread of that list)
  before the weighted sum, so BM25's unbounded scores and cosine similarities share one scale and the size of a
  win still counts. Reciprocal-rank fusion (RRF), which throws that away, was ~0.7 points lower in a simulation
  over the same candidate lists; dividing by each signal's best score measured the same as DBSF but needs a
  second round trip (twice the latency).
- Context words help when a message only makes sense with its neighbours ("yes, every Sunday!"), but alone
  they blur which message said it (BM25 over turn + neighbours alone: 0.47, below plain BM25's 0.53); as a third
  signal beside the message's own words they add ~4 points.
- Recency and importance are gentle multipliers (a tie-breaker, not a filter): a companion is asked about
  months-old things as often as about yesterday.
- A question that names a time ("on 29 December", "yesterday", "after the rain") multiplies the score of
  memories from then, and fetches extra candidates from that time, so the right day wins over a
  similar-sounding memory from another day (+0.4 overall, +1 on the time questions; the dated questions are few).
  An open-ended "before X" is not boosted: it barely narrows and measured worse.
- A question that names the person who said something ("what did Kari say about ...") favours their words
  (+1.2 points).
- Fading (issue 22): an episode that mattered little (importance under FADE_BELOW) and was never recalled loses a
  little of its score as it ages, at most `Weights.fade` (10 %), half of that after FADE_HALF_LIFE_S. Nothing is
  deleted; a fact, a note, an important or a recalled episode never fades. Measured before and after on
  bench/retrieval.py (REALTALK, live) and bench/recall_order.py: docs/memory.md, "Fading".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Literal

from bot.memory.models import Vector
from bot.memory.timeparse import TimeWindow


class Mode(str, Enum):
    HYBRID = "hybrid"
    DENSE = "dense"  # the dense vector alone (a baseline for the benchmark)
    LEXICAL = "lexical"  # BM25 over the memory's own words alone (a baseline for the benchmark)


Signal = Literal["dense", "lexical", "context"]
SIGNALS: tuple[Signal, ...] = ("dense", "lexical", "context")


@dataclass(frozen=True)
class Weights:
    """How much each signal and boost counts. Relevance is a weighted sum; boosts multiply it."""

    dense: float = 1.0
    lexical: float = 1.0
    context: float = 1.0
    recency: float = 0.1  # x(1 + 0.1) for a memory made or recalled just now, halving every RECENCY_HALF_LIFE_S
    importance: float = 0.1  # x(1 + 0.1 * importance)
    speaker: float = 0.3  # the question names the person who said it
    time: float = 2.0  # the memory is from the time the question asks about
    fade: float = 0.1  # x(1 - 0.1) at most for an old, unimportant, never-recalled episode (FADE_* below)


DEFAULT_WEIGHTS = Weights()
# Candidates each signal fetches before fusion (32 measured a point lower, 48 and 100 the same as 64).
PREFETCH = 64
# Recency halves every ~6 days, as the Python ranking did before (0.995 per hour).
RECENCY_HALF_LIFE_S = 138 * 3600.0
# A closed time window (a day, a week) is favoured with a bell curve around its middle, this much wider than the
# window on each side: "yesterday I made pasta" is often said the day after.
TIME_SLACK_S = 86_400.0
# Below this cosine similarity the dense signal says nothing about the question.
MIN_DENSE = 0.2
# Added to every candidate's relevance, so that with no topical match at all ("what did I do on Friday?") the boosts
# (the day asked about, recency) still order the candidates.
RELEVANCE_FLOOR = 0.05
# What fades: episodes under this importance (an everyday message scores 0.3, bot/mind/importance.py) never recalled;
# half of `Weights.fade` is lost at this age (90 days), all of it long after.
FADE_KINDS = ("episode",)
FADE_BELOW = 0.4
FADE_HALF_LIFE_S = 90 * 86_400.0


@dataclass(frozen=True)
class Probe:
    """What a search looks for: the question's vector, its words, the time it asks about, the names in it."""

    vector: Vector | None
    text: str
    now: datetime
    window: TimeWindow | None = None
    names: tuple[str, ...] = ()
    mode: Mode = Mode.HYBRID
    weights: Weights = DEFAULT_WEIGHTS


# -- a small expression tree, translated by each adapter into its own Qdrant API ------------------------------


@dataclass(frozen=True)
class Const:
    value: float


@dataclass(frozen=True)
class Var:
    name: str  # a payload key, or "$score[i]" for the i-th prefetch's score


@dataclass(frozen=True)
class Sum:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Mult:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Max:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Decay:
    kind: Literal["exp", "gauss"]
    x: Expr
    target: float
    scale: float


@dataclass(frozen=True)
class SpeakerIn:
    """1 when the memory's speaker_keys contain one of these words, else 0."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Fades:
    """1 for a memory that may fade: one of `kinds`, importance under `below`, never recalled (no
    `last_recalled_ts`); else 0."""

    kinds: tuple[str, ...]
    below: float


Expr = Const | Var | Sum | Mult | Max | Decay | SpeakerIn | Fades


@dataclass(frozen=True)
class Leg:
    """One prefetch: a signal, optionally only from a time window (start/end as epoch seconds)."""

    signal: Signal
    start: float | None = None
    end: float | None = None


@dataclass(frozen=True)
class Plan:
    legs: tuple[Leg, ...]
    formula: Expr
    defaults: dict[str, float] = field(default_factory=dict)


def _window_seconds(window: TimeWindow | None) -> tuple[float, float] | None:
    if window is None or window.start is None or window.end is None:
        return None
    return window.start.timestamp(), window.end.timestamp()


def plan(probe: Probe, signals: Sequence[Signal]) -> Plan | None:
    """The prefetches and the fusion formula for a hybrid probe over the signals it can use; None if none."""
    weights = probe.weights
    window = _window_seconds(probe.window) if weights.time > 0 else None
    signals = [s for s in signals if getattr(weights, s) > 0.0]
    if not signals:
        return None
    legs = [Leg(signal) for signal in signals]
    if window is not None and "dense" in signals:
        # The memories of that time compete even if they missed the global prefetch. By meaning only: windowed word
        # legs measured no better and each costs an IDF count over the person's memories.
        legs.append(Leg("dense", window[0] - TIME_SLACK_S, window[1] + TIME_SLACK_S))
    relevance: list[Expr] = []
    for signal in signals:
        # Each leg's scores arrive normalised (DBSF); a memory in both the global and the windowed leg counts once,
        # with the better of its two normalised scores.
        scores = tuple(Var(f"$score[{i}]") for i, leg in enumerate(legs) if leg.signal == signal)
        score = scores[0] if len(scores) == 1 else Max(scores)
        relevance.append(Mult((Const(getattr(weights, signal)), score)))
    relevance.append(Const(RELEVANCE_FLOOR))
    boosts: list[Expr] = [Const(1.0)]
    if weights.recency > 0:
        last_touch = Max((Var("created_ts"), Var("last_recalled_ts")))
        age_decay = Decay("exp", last_touch, probe.now.timestamp(), RECENCY_HALF_LIFE_S)
        boosts.append(Mult((Const(weights.recency), age_decay)))
    if weights.importance > 0:
        boosts.append(Mult((Const(weights.importance), Var("importance"))))
    if weights.speaker > 0 and probe.names:
        boosts.append(Mult((Const(weights.speaker), SpeakerIn(probe.names))))
    if window is not None:
        start, end = window
        middle, half = (start + end) / 2, (end - start) / 2
        boosts.append(Mult((Const(weights.time), Decay("gauss", Var("created_ts"), middle, half + TIME_SLACK_S))))
    factors: list[Expr] = [Sum(tuple(relevance)), Sum(tuple(boosts))]
    if weights.fade > 0:
        factors.append(fading(weights.fade, probe.now.timestamp()))
    defaults = {f"$score[{i}]": 0.0 for i in range(len(legs))} | {"last_recalled_ts": 0.0, "importance": 0.5}
    return Plan(tuple(legs), Mult(tuple(factors)), defaults)


def fading(depth: float, now_ts: float) -> Expr:
    """1 - depth * fades * (1 - decay(age)): 1 for what does not fade or is new, down to 1 - depth when old."""
    fades = Fades(FADE_KINDS, FADE_BELOW)
    age_decay = Decay("exp", Var("created_ts"), now_ts, FADE_HALF_LIFE_S)
    return Sum((Const(1.0), Mult((Const(-depth), fades)), Mult((Const(depth), fades, age_decay))))


def signals_for(mode: Mode) -> Sequence[Signal]:
    return {Mode.HYBRID: SIGNALS, Mode.DENSE: ("dense",), Mode.LEXICAL: ("lexical",)}[mode]
