#!/bin/bash
# The reproducible mode's cost: interleaved pairs of the same recipe, ordinary then with TensorFlow op
# determinism (--deterministic), each a fresh `python -m fashion train`; prints training seconds and
# test accuracy per run, then the load average. Usage: bash bench/reproducible_pairs.sh [TUTORIAL_PAIRS [CNN_PAIRS]]
set -euo pipefail
tutorial_pairs="${1:-5}"
cnn_pairs="${2:-3}"
cd "$(dirname "$0")/.."
FASHION_MODELS_DIR="$(mktemp -d)"
export FASHION_MODELS_DIR
trap 'rm -rf "$FASHION_MODELS_DIR"' EXIT
for architecture_arguments in "--arch tutorial" "--arch cnn --epochs 1"; do
  pairs=$tutorial_pairs
  [ "$architecture_arguments" = "--arch tutorial" ] || pairs=$cnn_pairs
  for _ in $(seq "$pairs"); do
    for mode in "" "--deterministic"; do
      # shellcheck disable=SC2086
      python3 -m fashion train $architecture_arguments $mode --json 2>/dev/null | python3 -c "
import json, sys
run = json.load(sys.stdin)
print('$architecture_arguments', '${mode:-ordinary}', run['train_seconds'], run['test_accuracy'])"
      uptime | sed 's/.*load/load/'
    done
  done
done
