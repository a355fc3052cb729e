"""What both Qdrant adapters agree on: vector names, payload indexes, time format, and the built-with check."""

from __future__ import annotations

from bot.errors import StoreMismatchError
from bot.memory.lexical import language_of
from bot.memory.models import StoreInfo

DENSE = "dense"
# BM25 over a memory's own words, and over its words with the words around it (Memory.context).
LEXICAL = "lexical"
CONTEXT = "context"
SPARSE = (LEXICAL, CONTEXT)
VECTOR_OF = {"dense": DENSE, "lexical": LEXICAL, "context": CONTEXT}
# At most this many speakers' names of one scope are known to search (an import of big group chats has hundreds).
SPEAKERS_LIMIT = 1_000


def check_store_info(existing: StoreInfo, expected: StoreInfo, location: str) -> None:
    """A store built with one model (or one language's word index) cannot be searched with another's."""
    if existing == expected:
        return
    if existing.model != expected.model or existing.dim != expected.dim:
        raise StoreMismatchError(
            f"The memory store at {location} was built with embedding model {existing.model!r} "
            f"({existing.dim} dimensions), but AIKI_EMBEDDING_MODEL is {expected.model!r} "
            f"({expected.dim} dimensions). Run `aiki memory reindex` to re-embed every memory with the new "
            f"model, or set AIKI_EMBEDDING_MODEL back to {existing.model!r}."
        )
    if existing.lexical is None:
        raise StoreMismatchError(
            f"The memory store at {location} was built by an older AIKI, without the word index that hybrid "
            "search needs (memories are now found by their words as well as their meaning). Run "
            "`aiki memory reindex` once to rebuild it; no memory is lost, and the embeddings are reused."
        )
    built, wanted = language_of(existing.lexical), language_of(expected.lexical)
    raise StoreMismatchError(
        f"The memory store at {location} indexes words in {built or existing.lexical!r}, but "
        f"AIKI_MEMORY_LANGUAGE is {wanted or expected.lexical!r}. Run `aiki memory reindex` to rebuild the word "
        f"index, or set AIKI_MEMORY_LANGUAGE back to {built!r}."
    )
