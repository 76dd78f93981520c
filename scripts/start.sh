#!/usr/bin/env bash
# Installs everything, then starts the app on http://127.0.0.1:8501.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# Fewer malloc arenas: the server's many threads otherwise each keep a mostly empty heap.
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec python3 -m streamlit run streamlit_app.py "$@"
