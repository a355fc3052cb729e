"""The lexical side of memory: BM25 sparse vectors, computed in-process the same way for both Qdrant backends.

Qdrant Edge's own `Bm25` tokenises, drops the language's stop words, stems (Snowball), and hashes each term to an
index; the store keeps the term weights and Qdrant applies IDF at query time (`Modifier.Idf`). The server backend
gets the very same sparse vectors, so both backends rank alike (and no model hub is needed, as fastembed's BM25
would). The language is a setting (AIKI_MEMORY_LANGUAGE, Norwegian by default): a store is built for one language
and must be re-indexed to change it.
"""

from __future__ import annotations

from dataclasses import dataclass

from qdrant_edge import Bm25, Bm25Config, Language, StopwordsSet

from bot.errors import ConfigError
from bot.languages import LANGUAGES
from bot.memory.models import Memory, lexicon_id

# Term-frequency saturation and length normalisation as in standard BM25; chat memories are short, so the
# expected length is set near theirs (it barely moved recall between 20 and 256 tokens on REALTALK).
BM25_K = 1.2
BM25_B = 0.75
BM25_AVG_LEN = 64.0


@dataclass(frozen=True)
class SparseVector:
    indices: list[int]
    values: list[float]


def check_language(language: str) -> str:
    name = language.strip().lower()
    if name not in LANGUAGES:
        raise ConfigError(
            f"AIKI_MEMORY_LANGUAGE={language!r} is not a language AIKI can search words in. "
            f"Use one of: {', '.join(LANGUAGES)}."
        )
    return name


def _stopwords(language: str) -> StopwordsSet:
    """The language's stop words, and English ones too: people who write Norwegian (or Swedish, German ...) mix in
    English, and "the", "and", "to" are no more telling there. Their long posting lists also made each word search
    at 20k memories ~2x slower."""
    return StopwordsSet(languages={getattr(Language, language.capitalize()), Language.English})


class Lexicon:
    """BM25 for one language: document vectors for memories, query vectors for questions."""

    def __init__(self, language: str) -> None:
        self.language = check_language(language)
        config = Bm25Config(
            k=BM25_K, b=BM25_B, avg_len=BM25_AVG_LEN, language=self.language, stopwords=_stopwords(self.language)
        )
        self._bm25 = Bm25(config)

    @property
    def id(self) -> str:
        return lexicon_id(self.language)

    def document(self, text: str) -> SparseVector:
        vector = self._bm25.embed_document(text)
        return SparseVector(list(vector.indices), list(vector.values))

    def query(self, text: str) -> SparseVector:
        vector = self._bm25.embed_query(text)
        return SparseVector(list(vector.indices), list(vector.values))

    def memory_vectors(self, memory: Memory) -> tuple[SparseVector, SparseVector]:
        """The memory's own words (with who said it), and its words with the words around it."""
        text = memory.text
        if memory.speaker and memory.speaker.lower() not in text.lower():
            text = f"{memory.speaker}: {text}"
        own = self.document(text)
        if not memory.context:
            return own, own
        return own, self.document(f"{text}\n{memory.context}")


def language_of(lexical: str | None) -> str | None:
    """The language of a lexicon id such as 'bm25-norwegian-v1'."""
    if not lexical or not lexical.startswith("bm25-"):
        return None
    return lexical.removeprefix("bm25-").rsplit("-", 1)[0]
