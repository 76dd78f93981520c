#!/usr/bin/env bash
# Installs everything, checks the code with ruff and fashion/'s types with mypy, then runs the whole test suite
# (unit, AppTest and real-browser tests).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
python3 -m ruff check .
python3 -m mypy fashion
exec python3 -m pytest -q -p no:cacheprovider "$@"
