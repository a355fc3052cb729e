"""The languages AIKI's word search knows (the memory store is built for one: AIKI_MEMORY_LANGUAGE).

Shared vocabulary of the settings and the memory layer, so it sits at the bottom and imports nothing of AIKI.
"""

from __future__ import annotations

# Languages Qdrant Edge's BM25 has stop words and a stemmer for.
LANGUAGES = (
    "arabic", "danish", "dutch", "english", "finnish", "french", "german", "greek", "hungarian", "italian",
    "norwegian", "portuguese", "romanian", "russian", "spanish", "swedish", "turkish",
)  # fmt: skip
DEFAULT_LANGUAGE = "norwegian"
