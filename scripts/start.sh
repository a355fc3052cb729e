#!/usr/bin/env bash
# Install AIKI into ./.venv (only when pyproject.toml changed since the last install) and start it on the
# embedded defaults (Qdrant Edge + SQLite + local embeddings). Arguments go to `aiki` (default: run).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "AIKI needs Python 3.11 or newer" >&2; exit 1; }
. scripts/install.sh
install_once "." "AIKI"
if [ ! -f .env ] && [ -z "${AIKI_DISCORD_TOKEN:-}" ] && [ "${1:-run}" = "run" ]; then
    cp .env.example .env
    echo "Created .env from .env.example: fill in AIKI_DISCORD_TOKEN, AIKI_OWNER_IDS and the AIKI_LLM_* lines, then run this again." >&2
    exit 1
fi
exec .venv/bin/aiki "${@:-run}"
