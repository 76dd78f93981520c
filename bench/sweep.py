"""Try training variants one at a time, each in a fresh process; print and log test accuracy and time.

Usage: python -m bench.sweep '{"arch": "tutorial", "overrides": {"batch_size": 512}}' ...
A variant may also name "policy" (e.g. mixed_bfloat16), "jit_compile", "layers" (a builder in
bench/bench_variants.py) and "env" (environment variables such as TF_ENABLE_ONEDNN_OPTS).
"""

from __future__ import annotations

import json
import sys
import time

from bench.benchmark import RESULTS_DIR, run_worker


def main(variants: list[str]) -> int:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    log = RESULTS_DIR / "sweep.jsonl"
    for text in variants:
        variant = json.loads(text)
        environment = variant.pop("env", None)
        try:
            result = run_worker("project_training", variant, environment, timeout=1200)
        except Exception as error:  # noqa: BLE001 - report and go on with the next variant
            print(f"{text}: FAILED {error}", flush=True)
            continue
        line = {"variant": text, "when": time.strftime("%H:%M:%S"), **result}
        with log.open("a") as output:
            output.write(json.dumps(line) + "\n")
        print(
            f"{text}: {result['seconds']:.1f} s "
            f"(fit {result['fit_seconds']:.1f}, cpu {result['cpu_seconds']:.1f}), "
            f"acc {result['test_accuracy']:.4f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
