"""Benchmarks: scripts that print numbers (run them from the repo root, e.g. `python bench/memory.py`)."""
