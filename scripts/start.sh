#!/usr/bin/env bash
# Installs everything, then starts the app on http://localhost:8501.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec python3 -m streamlit run streamlit_app.py "$@"
