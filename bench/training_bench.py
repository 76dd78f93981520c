"""The benchmark's training sections: the tutorial's code and the project's defaults run interleaved,
each training's GFLOP/s set against a large matmul's, measured in the same run."""

from __future__ import annotations

import statistics
import time

TUTORIAL_ACCURACY = 0.88
TRAINING_TIME_RATIO_TARGET = 0.10
CNN_ACCURACY_MEDIAN_TARGET = 0.93
CNN_ACCURACY_EACH_TARGET = 0.925
CNN_SECONDS_TARGET = 120.0
# Seeds of the project's runs: pair i trains with SEEDS[i]; the CNN takes the first three.
SEEDS = (42, 7, 2024, 1, 2)
# 2 * 3072^3 = 58 GFLOP per product: long enough to reach the kernel's speed, short under load.
MATMUL_SIZE = 3072


def forward_flops_per_image(model) -> int:
    """Multiply-adds x 2 of one image's forward pass through the Dense and convolution layers."""
    import numpy as np

    total = 0
    for layer in model.layers:
        for name in ("kernel", "depthwise_kernel", "pointwise_kernel"):
            weights = getattr(layer, name, None)
            if weights is None:
                continue
            size = int(np.prod(weights.shape))
            output_shape = layer.output.shape
            # A convolution applies its kernel at every output position; a Dense layer once.
            positions = int(np.prod(output_shape[1:-1])) if len(output_shape) == 4 else 1
            total += 2 * size * positions
    return total


def training_gflop(run: dict) -> float:
    """GFLOP of a training run: forward and backward (3x forward) per training image and epoch,
    plus the forward pass over the validation images each epoch."""
    per_epoch = 3 * run["train_count"] + run.get("validation_count", 0)
    return run["forward_flops_per_image"] * per_epoch * run["epochs_run"] / 1e9


def worker_matmul_peak(config: dict) -> dict:
    """Best GFLOP/s of a large square matmul in float32 and bfloat16, with the training's threads."""
    from fashion.training.tensorflow_setup import configure_tensorflow

    configure_tensorflow()
    import tensorflow as tf

    size = config.get("size", MATMUL_SIZE)
    figures = {"size": size}
    for dtype in ("float32", "bfloat16"):
        left = tf.cast(tf.random.uniform((size, size)), dtype)
        right = tf.cast(tf.random.uniform((size, size)), dtype)
        product = tf.function(lambda: tf.linalg.matmul(left, right)[0, 0])
        product().numpy()  # trace and warm up
        best = float("inf")
        for _ in range(config.get("repeats", 5)):
            started = time.perf_counter()
            product().numpy()
            best = min(best, time.perf_counter() - started)
        figures[f"{dtype}_gflops"] = 2 * size**3 / best / 1e9
    return figures


def measure_peak(run_worker) -> dict:
    """The matmul peak in a fresh process, printed."""
    peak = run_worker("matmul_peak", {})
    print(
        f"  matmul peak ({peak['size']}x{peak['size']}, best of 5): float32 {peak['float32_gflops']:.0f} "
        f"GFLOP/s, bfloat16 {peak['bfloat16_gflops']:.0f} GFLOP/s",
        flush=True,
    )
    return peak


def _gflops(run: dict) -> float:
    return training_gflop(run) / run["fit_seconds"]


def section_training(run_worker, pairs: int) -> dict:
    """Tutorial code and project defaults, interleaved pair by pair, with test accuracy and GFLOP/s."""
    print(f"Training, tutorial architecture: {pairs} interleaved pairs (tutorial code, project defaults)")
    peak = measure_peak(run_worker)
    header = f"  {'pair':<5}{'tutorial code':>22}{'project (seed)':>28}{'ratio':>8}{'GFLOP/s tut/proj':>18}"
    print(header, flush=True)
    reference, project = [], []
    for index in range(pairs):
        seed = SEEDS[index % len(SEEDS)]
        tutorial_run = run_worker("tutorial_reference", {"epochs": 10})
        project_run = run_worker("project_training", {"arch": "tutorial", "overrides": {"seed": seed}})
        reference.append(tutorial_run)
        project.append(project_run)
        print(
            f"  {index + 1:<5}{tutorial_run['seconds']:>9.1f} s, acc {tutorial_run['test_accuracy']:.4f}"
            f"{project_run['seconds']:>9.1f} s, acc {project_run['test_accuracy']:.4f} ({seed:>4})"
            f"{project_run['seconds'] / tutorial_run['seconds']:>7.3f}x"
            f"{_gflops(tutorial_run):>9.1f} /{_gflops(project_run):>6.1f}",
            flush=True,
        )
    print(
        "  Times: the tutorial code's from scaling the images to the end of fit; the project's whole "
        "train() call (split, scale, build, every epoch with its validation pass). GFLOP/s: fit only.",
        flush=True,
    )
    pairs = zip(project, reference, strict=True)
    ratios = [run["seconds"] / pair["seconds"] for run, pair in pairs]
    accuracies = [run["test_accuracy"] for run in project]
    figures = {
        "peak": peak,
        "reference_seconds": statistics.median(run["seconds"] for run in reference),
        "reference_accuracy": statistics.median(run["test_accuracy"] for run in reference),
        "reference_gflops": statistics.median(_gflops(run) for run in reference),
        "project_seconds": statistics.median(run["seconds"] for run in project),
        "project_accuracy_median": statistics.median(accuracies),
        "project_accuracy_min": min(accuracies),
        "project_gflops": statistics.median(_gflops(run) for run in project),
        "ratios": ratios,
        "ratio": statistics.median(ratios),
        "reference_runs": reference,
        "project_runs": project,
    }
    figures["target_met"] = (
        figures["ratio"] <= TRAINING_TIME_RATIO_TARGET and min(accuracies) >= TUTORIAL_ACCURACY
    )
    return figures


def section_cnn(run_worker, seeds: int) -> dict:
    """The CNN's defaults on several seeds: time, test accuracy and GFLOP/s."""
    print(f"Training, CNN: {seeds} seed(s)", flush=True)
    peak = measure_peak(run_worker)
    runs = []
    for seed in SEEDS[:seeds]:
        run = run_worker("project_training", {"arch": "cnn", "overrides": {"seed": seed}})
        runs.append(run)
        print(
            f"  seed {seed}: {run['seconds']:.1f} s (fit {run['fit_seconds']:.1f} s), "
            f"acc {run['test_accuracy']:.4f}, {_gflops(run):.1f} GFLOP/s",
            flush=True,
        )
    accuracies = [run["test_accuracy"] for run in runs]
    seconds = statistics.median(run["seconds"] for run in runs)
    return {
        "peak": peak,
        "seconds": seconds,
        "accuracy_median": statistics.median(accuracies),
        "accuracy_min": min(accuracies),
        "gflops": statistics.median(_gflops(run) for run in runs),
        "seconds_ratio_to_target": seconds / CNN_SECONDS_TARGET,
        "target_met": seconds <= CNN_SECONDS_TARGET
        and statistics.median(accuracies) >= CNN_ACCURACY_MEDIAN_TARGET
        and min(accuracies) >= CNN_ACCURACY_EACH_TARGET,
        "runs": runs,
    }


def summary_rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, ratio) rows of the training sections for the printed table."""
    rows = []
    training = results.get("training")
    if training:
        peak = training["peak"]["float32_gflops"]
        pairs = len(training["ratios"])
        rows.append((
            f"tutorial code: 10 epochs, batch 32 ({pairs} runs)",
            f"{training['reference_seconds']:.1f} s, acc {training['reference_accuracy']:.4f}, "
            f"{training['reference_gflops']:.1f} GFLOP/s ({training['reference_gflops'] / peak:.0%} of peak)",
            "-",
            "1.00x",
        ))
        rows.append((
            f"project defaults, tutorial net ({pairs} seeds)",
            f"{training['project_seconds']:.1f} s, acc {training['project_accuracy_median']:.4f} "
            f"(min {training['project_accuracy_min']:.4f}), {training['project_gflops']:.1f} GFLOP/s "
            f"({training['project_gflops'] / peak:.0%} of peak)",
            f"<= {TRAINING_TIME_RATIO_TARGET}x, each acc >= {TUTORIAL_ACCURACY}",
            f"{training['ratio']:.3f}x (pairs {min(training['ratios']):.3f}-{max(training['ratios']):.3f})",
        ))
        rows.append(("float32 matmul peak, same run", f"{peak:.0f} GFLOP/s", "-", "-"))
    cnn = results.get("cnn")
    if cnn:
        peak = cnn["peak"]["float32_gflops"]
        rows.append((
            f"CNN defaults ({len(cnn['runs'])} seeds)",
            f"{cnn['seconds']:.1f} s, acc {cnn['accuracy_median']:.4f} (min {cnn['accuracy_min']:.4f}), "
            f"{cnn['gflops']:.1f} GFLOP/s ({cnn['gflops'] / peak:.0%} of peak)",
            f"<= {CNN_SECONDS_TARGET:.0f} s, acc >= {CNN_ACCURACY_MEDIAN_TARGET} "
            f"(each >= {CNN_ACCURACY_EACH_TARGET})",
            f"{cnn['seconds_ratio_to_target']:.2f}x of budget",
        ))
    return rows
