"""Exports and the reproducible mode for bench/benchmark.py: seconds, sizes, agreement, and the cost.

`python -m bench.benchmark --only runs`. One worker process on the full data set: a model of each
architecture (one epoch: export timings do not depend on how well it learnt) exported to every
format, then the tutorial's recommended run and a one-epoch CNN, each with and without TensorFlow
op determinism, interleaved in pairs so that both modes see the same machine load.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from pathlib import Path

MODEL_EXPORTS = (
    ("keras", "none"),
    ("tflite", "none"),
    ("tflite", "float16"),
    ("tflite", "dynamic"),
    ("savedmodel", "none"),
)


def worker_runs(config: dict) -> dict:
    """Export figures per architecture and format, then timed pairs of ordinary and reproducible runs."""
    import os

    from fashion.data.fashion_mnist import load_dataset
    from fashion.store import export
    from fashion.training.models import get_architecture, with_overrides
    from fashion.training.workflow import train_evaluate_save

    dataset = load_dataset(allow_download=False)
    folder = Path(tempfile.mkdtemp(prefix="fashion-bench-runs-"))
    os.environ["FASHION_MODELS_DIR"] = str(folder)
    results: dict = {"exports": {}, "reproducible": {}}
    try:
        for architecture in ("tutorial", "cnn"):
            one_epoch = with_overrides(get_architecture(architecture).defaults, epochs=1)
            name = train_evaluate_save(architecture, one_epoch, dataset, name=architecture).entry.name
            for export_format, quantization in MODEL_EXPORTS:
                result = export.export_model(name, export_format, dataset.test_images, quantization)
                results["exports"][f"{architecture}/{export_format}/{quantization}"] = {
                    "seconds": result.seconds,
                    "size_kib": result.size_bytes / 1024,
                    "agreement": result.agreement,
                }
        runs = {"tutorial": get_architecture("tutorial").defaults}
        runs["cnn_1_epoch"] = with_overrides(get_architecture("cnn").defaults, epochs=1)
        for label, settings in runs.items():
            architecture = "cnn" if label.startswith("cnn") else "tutorial"
            timings = {"ordinary": [], "reproducible": []}
            for _ in range(config.get("pairs", 2)):
                for mode, deterministic in (("ordinary", False), ("reproducible", True)):
                    finished = train_evaluate_save(
                        architecture, with_overrides(settings, deterministic=deterministic), dataset
                    )
                    timings[mode].append(
                        {"seconds": finished.result.train_seconds, "accuracy": finished.evaluation.accuracy}
                    )
            results["reproducible"][label] = timings
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


def section_runs(repeats: int, quick: bool, run_worker) -> dict:
    """Exports and the reproducible mode's cost, from one worker process."""
    print("Runs: exports per format, reproducible mode", flush=True)
    results = run_worker("runs", {"pairs": 1 if quick else max(2, min(3, repeats))}, timeout=1800)
    for label, timings in results["reproducible"].items():
        ordinary = statistics.median(run["seconds"] for run in timings["ordinary"])
        reproducible = statistics.median(run["seconds"] for run in timings["reproducible"])
        results["reproducible"][label]["slowdown"] = reproducible / ordinary
    return results


def runs_rows(runs: dict) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, ratio) rows of the exports and the reproducible mode."""
    rows = []
    for key, figures in runs["exports"].items():
        rows.append(
            (
                f"export {key}",
                f"{figures['seconds']:.2f} s, {figures['size_kib']:,.0f} KiB",
                ">= 99.5 % agree (quantised 99 %)",
                f"{figures['agreement']:.1%} agree",
            )
        )
    for label, timings in runs["reproducible"].items():
        accuracies = sorted({run["accuracy"] for run in timings["reproducible"]})
        ordinary = statistics.median(run["seconds"] for run in timings["ordinary"])
        reproducible = statistics.median(run["seconds"] for run in timings["reproducible"])
        rows.append(
            (
                f"reproducible mode, {label}",
                f"{reproducible:.1f} s vs {ordinary:.1f} s",
                "same accuracy every run",
                f"{timings['slowdown']:.2f}x the time; accuracies {accuracies}",
            )
        )
    return rows
