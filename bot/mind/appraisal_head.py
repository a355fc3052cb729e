"""The learned meaning reader: a small linear head over a message's embedding and a few signs of its structure.

Nearest example sentences (bot/mind/appraisal_prototypes.py) say what a message is like, but weigh every direction
of the embedding alike; a logistic regression per event kind, trained on the labelled sets, learns which directions
matter, and the structural signs tell it what an embedding blurs: whom a message speaks to, whether it denies, whose
feeling it is, an eye-roll, a "but", a question, and Norwegian (the English-only test model hears Norwegian small
talk as distress unless told). Trained by scripts/train_appraisal_head.py for one embedding model; a model with no
trained head reads with the example sentences alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.mind import appraisal_lexicon as lex
from bot.mood import MoodEventKind

Matrix = npt.NDArray[np.float64]

HEADS_DIR = Path(__file__).resolve().parent / "appraisal_heads"
KINDS = (
    MoodEventKind.THANKED,
    MoodEventKind.CRITICISED,
    MoodEventKind.PERSON_DISTRESSED,
    MoodEventKind.PERSON_GRIEVING,
    MoodEventKind.PERSON_HAPPY,
    MoodEventKind.MILESTONE,
)
STRUCTURE = (
    "addressed",
    "negated",
    "someone_else",
    "first_person",
    "eye_roll",
    "contrast",
    "question",
    "exclaimed",
    "norwegian",
    "opening_praise",
    "mishap",
    "short",
    "addressed_and_negated",
    "addressed_question",
    "question_about_someone",
    "glad_emoji",
    "sad_emoji",
)

# Input scales, which with one L2 penalty say how freely each part may weigh (chosen by python -m bench.appraisal
# --cv): the example sentences' margins are hundredths to tenths of a cosine; the structural signs are 0 or 1.
LEAD_SCALE = 30.0
STRUCTURE_SCALE = 5.0
EXTRA = len(STRUCTURE) + len(KINDS)

_TOKEN = re.compile(r"[\w']+")
_BEING = re.compile(r"(?<![\w'])(?:" + "|".join(rf"{w}(?:en|a|et|n|ren|s|'s)?" for w in lex.BEINGS) + r")(?![\w'])")
_AT_AIKI = re.compile(r"(?<![\w'])(?:" + "|".join(lex.AT_AIKI) + r")(?![\w'])")
_EYE_ROLL = re.compile(r"[🙃🙄😒😑🤡]|(?<![\w'])(?:" + "|".join(lex.IRONY_SIGNS) + r")(?![\w])")
_OPENING_PRAISE = re.compile(r"^\W*(?:" + lex.IRONY_PRAISE + r")(?![\w'])")
_MISHAP = re.compile(r"(?<![\w'])(?:" + "|".join(lex.IRONY_MISHAPS) + r")(?![\w'])")
_CONTRAST = frozenset({"but", "though", "although", "however", "men", "selv", "likevel", "uansett", "still"})
_GLAD_EMOJI = "❤🥰😍😊🙂😁😄😀🥳🎉🙌🙏💪✨👍🤩☺"
_SAD_EMOJI = "😞😢😭💔😩😔😟😫😖☹🥺😿"
# Function words that no English sentence uses: one is enough to say a message is Norwegian.
_NORWEGIAN = frozenset(
    {"jeg", "eg", "ikke", "ikkje", "det", "er", "og", "på", "meg", "du", "deg", "så", "har", "til", "med", "som",
     "av", "å", "men", "hva", "hvordan", "nå", "bare", "også", "jo", "vel", "skal", "kan", "vi", "min", "mitt"}
)  # fmt: skip


def structure(text: str) -> npt.NDArray[np.float64]:
    """The structural signs of a message, each 0 or 1, in the order of STRUCTURE."""
    normal = text.lower().replace("\u2019", "'")
    tokens = _TOKEN.findall(normal)
    words = set(tokens)
    addressed = bool(lex.SECOND_PERSON & words) or _AT_AIKI.search(normal) is not None
    negated = any(t in lex.NEGATORS or t.endswith("n't") for t in tokens)
    being = _BEING.search(normal) is not None
    someone_else = being and not lex.SELF_SUBJECTS & words
    question = "?" in normal
    signs = (
        addressed,
        negated,
        someone_else,
        bool(lex.FIRST_PERSON & words),
        _EYE_ROLL.search(normal) is not None,
        bool(_CONTRAST & words),
        question,
        "!" in normal,
        bool(_NORWEGIAN & words) or any(c in normal for c in "æøå"),
        _OPENING_PRAISE.search(normal) is not None,
        _MISHAP.search(normal) is not None,
        len(tokens) <= 3,
        # What a linear head cannot combine by itself: "you didn't even read it", "why do you keep ...?",
        # "how do I cheer up a friend who ...?"
        addressed and negated,
        addressed and question,
        being and question,
        any(c in text for c in _GLAD_EMOJI),
        any(c in text for c in _SAD_EMOJI),
    )
    return np.asarray(signs, dtype=np.float64)


def inputs(vectors: Matrix, texts: list[str], leads: Matrix) -> Matrix:
    """The head's input rows: the embedding scaled to unit variance per dimension, the structural signs, and how
    much closer the message is to each kind's example sentences than to those of nothing (scaled like the rest)."""
    scaled = np.asarray(vectors, dtype=np.float64) * np.sqrt(vectors.shape[1])
    signs = np.stack([structure(t) for t in texts]) * STRUCTURE_SCALE
    return np.hstack([scaled, signs, np.asarray(leads, dtype=np.float64) * LEAD_SCALE])


@dataclass(frozen=True)
class Head:
    """One logistic regression per event kind (KINDS), for one embedding model."""

    model: str
    weights: Matrix  # (inputs, kinds)
    bias: Matrix  # (kinds,)

    def probabilities(self, vector: npt.ArrayLike, text: str, leads: list[float]) -> dict[MoodEventKind | None, float]:
        """Each kind's chance; `leads` are the example sentences' margins over nothing, in the order of KINDS."""
        row = inputs(np.asarray([vector], dtype=np.float64), [text], np.asarray([leads]))[0]
        chances = 1.0 / (1.0 + np.exp(-(row @ self.weights + self.bias)))
        found: dict[MoodEventKind | None, float] = {kind: float(p) for kind, p in zip(KINDS, chances, strict=True)}
        return found

    def save(self, file: Path) -> None:
        np.savez(file, model=np.asarray(self.model), weights=self.weights.astype(np.float32), bias=self.bias)


def head_file(model: str) -> Path:
    return HEADS_DIR / (re.sub(r"[^A-Za-z0-9.-]+", "-", model) + ".npz")


def load_head(model: str, dim: int) -> Head | None:
    """The committed head trained for this embedding model, if there is one (its input size must match)."""
    file = head_file(model)
    if not file.exists():
        return None
    with np.load(file, allow_pickle=False) as saved:
        weights = saved["weights"].astype(np.float64)
        if str(saved["model"]) != model or weights.shape[0] != dim + EXTRA:
            return None
        return Head(model, weights, saved["bias"].astype(np.float64))


def fit(x: Matrix, y: Matrix, mask: Matrix, l2: float) -> tuple[Matrix, Matrix]:
    """L2-regularised logistic regression per column of y by Newton's method (deterministic, ~10 steps).

    `mask` is 0 where a label says nothing (a kind a message may or may not bring).
    """
    rows, width = x.shape
    design = np.hstack([x, np.ones((rows, 1))])
    penalty = np.full(width + 1, l2)
    penalty[-1] = 0.0  # the bias is not shrunk
    weights = np.zeros((width + 1, y.shape[1]))
    for column in range(y.shape[1]):
        w = np.zeros(width + 1)
        for _ in range(25):
            p = 1.0 / (1.0 + np.exp(-(design @ w)))
            gradient = design.T @ (mask[:, column] * (p - y[:, column])) + penalty * w
            curvature = mask[:, column] * p * (1.0 - p)
            hessian = (design * curvature[:, None]).T @ design + np.diag(penalty)
            step = np.linalg.solve(hessian, gradient)
            w -= step
            if float(np.abs(step).max()) < 1e-8:
                break
        weights[:, column] = w
    return weights[:-1], weights[-1]
