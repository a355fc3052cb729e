"""The learned meaning reader: a small linear head over a message's embedding and a few signs of its structure.

Nearest example sentences (bot/mind/appraisal_prototypes.py) say what a message is like, but weigh every direction
of the embedding alike; a logistic regression per event kind, trained on the labelled sets, learns which directions
matter, and the structural signs tell it what an embedding blurs: whom a message speaks to, whether it denies, whose
feeling it is, an eye-roll, a "but", a question, and Norwegian (the English-only test model hears Norwegian small
talk as distress unless told). Beside them, a word reader's scores: hashed words and pieces of words, learned from the
same lines, which carry what the embedding model does not hear (Norwegian, for the English-only test model); its
weights are folded into the head's, so reading is one product. Trained by bot/mind/appraisal_training.py: the test
model's head is committed here (appraisal_heads/), any other model's is trained at its first start and kept in the
model cache.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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
# The word reader: each message's words, word pairs and 3-5 letter pieces of words, hashed into this many buckets
# (crc32: the same in every process). Learned from the tuning lines, not listed by hand: the Norwegian the
# English-only test model cannot hear, spelling variants ("takk"/"tusen takk"/"takker"), emoji.
BUCKETS = 4096
GRAM_SIZES = (3, 4, 5)
EXTRA = len(STRUCTURE) + len(KINDS) + BUCKETS

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


def grams(texts: list[str]) -> Matrix:
    """Each text's hashed words, word pairs, letter pieces and symbols, present or not, as a unit row per text."""
    rows = np.zeros((len(texts), BUCKETS))
    for row, text in zip(rows, texts, strict=True):
        row[[zlib.crc32(gram.encode()) % BUCKETS for gram in _grams_of(text)]] = 1.0
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1.0)


def _grams_of(text: str) -> set[str]:
    normal = text.lower().replace("\u2019", "'")
    tokens = _TOKEN.findall(normal)
    found = {"w " + t for t in tokens} | {f"p {a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)}
    for token in tokens:
        padded = f"<{token}>"
        found.update(padded[i : i + n] for n in GRAM_SIZES for i in range(len(padded) - n + 1))
    found.update("s " + c for c in normal if ord(c) > 0x2000 and not c.isalnum())  # emoji and the like
    return found


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
    made_of: str = ""  # the fingerprint of what it learned from (bot/mind/appraisal_training.py): stale if it differs

    def probabilities(self, vector: npt.ArrayLike, text: str, leads: list[float]) -> dict[MoodEventKind | None, float]:
        """Each kind's chance; `leads` are the example sentences' margins over nothing, in the order of KINDS."""
        row = np.hstack(
            [inputs(np.asarray([vector], dtype=np.float64), [text], np.asarray([leads]))[0], grams([text])[0]]
        )
        chances = 1.0 / (1.0 + np.exp(-(row @ self.weights + self.bias)))
        found: dict[MoodEventKind | None, float] = {kind: float(p) for kind, p in zip(KINDS, chances, strict=True)}
        return found

    def save(self, file: Path) -> None:
        with file.open("wb") as out:
            self.write(out)

    def write(self, out: BinaryIO) -> None:
        np.savez(
            out,
            model=np.asarray(self.model),
            weights=self.weights.astype(np.float32),
            bias=self.bias,
            made_of=np.asarray(self.made_of),
        )


def model_slug(model: str) -> str:
    """The model's name as a file name may hold it."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", model)


def head_file(model: str, heads: Path = HEADS_DIR) -> Path:
    return heads / (model_slug(model) + ".npz")


def load_head(model: str, dim: int, heads: Path = HEADS_DIR) -> Head | None:
    """The committed head trained for this embedding model, if there is one (its input size must match)."""
    return read_head(head_file(model, heads), model, dim)


def read_head(file: Path, model: str, dim: int) -> Head | None:
    """The head saved in `file` if it is there, whole, and made for this model and size of vector."""
    try:
        with np.load(file, allow_pickle=False) as saved:
            weights = saved["weights"].astype(np.float64)
            if str(saved["model"]) != model or weights.shape[0] != dim + EXTRA:
                return None
            made_of = str(saved["made_of"]) if "made_of" in saved.files else ""
            return Head(model, weights, saved["bias"].astype(np.float64), made_of)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None  # not there, or damaged: trained again


def ridge(kernel: Matrix, y: Matrix, penalty: float) -> tuple[Matrix, Matrix]:
    """Ridge regression of y on rows whose inner products are `kernel`, in its dual: one solve for every column.

    Returns the weights per row (multiply the rows' features by them for the weights per feature) and the mean.
    """
    mean = y.mean(axis=0)
    return np.linalg.solve(kernel + penalty * np.eye(len(kernel)), y - mean), mean


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
