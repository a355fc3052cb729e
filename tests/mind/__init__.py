"""The pure rules of the mind, tested directly: no Qdrant, no embedder, no HTTP, no SQLite; milliseconds each.

The stack tests in tests/ check the same rules through Qdrant Edge and the LLM stand-in (the realism); these say
which rule broke, and run in a blink.
"""
