"""Measure Fashion-MNIST Studio against the tutorial's own code on this machine.

Run `python -m bench.benchmark`
(add `--quick`, `--repeats N`, `--pairs N`, `--only training|cnn|inference|startup|memory|explain|runs`).
Every figure is printed with its target and ratio and written as JSON to bench/results/;
nothing is asserted. Each measurement runs in a fresh Python process so compiles and caches count.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import training_bench
from bench.bench_explain import explain_rows, section_explain, worker_explain
from bench.bench_inference import INFERENCE_MS_TARGET, section_inference, worker_inference
from bench.bench_pages import (
    PREDICTIONS_SECONDS_TARGET,
    SERVER_RSS_MB_TARGET,
    SESSION_MB_TARGET,
    START_SECONDS_TARGET,
    section_memory,
    section_startup,
    worker_memory,
    worker_prepare_models,
    worker_startup,
)
from bench.bench_runs import runs_rows, section_runs, worker_runs

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
SECTIONS = ("training", "cnn", "inference", "startup", "memory", "explain", "runs")


# ---------------------------------------------------------------- workers (one per process)


def worker_tutorial_reference(config: dict) -> dict:
    """The tutorial's code as written: float64 /255.0, Sequential, Adam, model.fit(epochs=10)."""
    import numpy as np
    import tensorflow as tf
    from tensorflow import keras

    from fashion.data.fashion_mnist import load_dataset

    dataset = load_dataset(allow_download=False)
    started, cpu_started = time.perf_counter(), time.process_time()
    train_images = np.array(dataset.train_images) / 255.0
    test_images = np.array(dataset.test_images) / 255.0
    train_labels = np.array(dataset.train_labels)
    test_labels = np.array(dataset.test_labels)
    keras.utils.set_random_seed(config.get("seed", 42))
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    fit_started = time.perf_counter()
    model.fit(train_images, train_labels, epochs=config.get("epochs", 10), verbose=0)
    fit_seconds = time.perf_counter() - fit_started
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    _, test_accuracy = model.evaluate(test_images, test_labels, verbose=0)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "fit_seconds": fit_seconds,
        "test_accuracy": float(test_accuracy),
        "tf": tf.__version__,
        "forward_flops_per_image": training_bench.forward_flops_per_image(model),
        "train_count": len(train_labels),
        "epochs_run": config.get("epochs", 10),
    }


def worker_project_training(config: dict) -> dict:
    """fashion.training.run.train with an architecture's defaults (plus overrides), then the test set."""
    from fashion.data.fashion_mnist import load_dataset
    from fashion.training.evaluation import evaluate
    from fashion.training.models import RECOMMENDED_PRESET, presets, with_overrides
    from fashion.training.run import train
    from fashion.training.tensorflow_setup import configure_tensorflow

    # TensorFlow's import is process start-up, outside the timer as in the tutorial's reference.
    configure_tensorflow()
    architecture = config["arch"]
    base = presets(architecture)[config.get("preset") or RECOMMENDED_PRESET]
    hyper_parameters = with_overrides(base, **config.get("overrides", {}))
    dataset = load_dataset(allow_download=False)
    _apply_experiment(config)
    started, cpu_started = time.perf_counter(), time.process_time()
    result = train(architecture, hyper_parameters, dataset)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    evaluation = evaluate(result.model, dataset.test_images, dataset.test_labels)
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "fit_seconds": result.train_seconds,
        "test_accuracy": evaluation.accuracy,
        "hyper_parameters": hyper_parameters.to_dict(),
        "parameter_count": int(result.model.count_params()),
        "forward_flops_per_image": training_bench.forward_flops_per_image(result.model),
        "train_count": result.train_count,
        "validation_count": result.validation_count,
        "epochs_run": result.epochs_run,
    }


def _apply_experiment(config: dict) -> None:
    """Variants the sweep tries that are not hyper-parameters: precision policy, XLA, the model."""
    import fashion.training.models
    from bench import bench_variants

    if config.get("policy"):
        import keras

        keras.mixed_precision.set_global_policy(config["policy"])
    if "jit_compile" in config or "layers" in config:
        original_build = fashion.training.models.build_model

        def build_model(name, hyper_parameters, steps_per_epoch):
            if "layers" in config:
                architecture = fashion.training.models.ARCHITECTURES[name]
                fashion.training.models.ARCHITECTURES[name] = fashion.training.models.replace(
                    architecture, build_layers=getattr(bench_variants, config["layers"])
                )
            model = original_build(name, hyper_parameters, steps_per_epoch)
            if "jit_compile" in config:
                model.compile(
                    optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"],
                    steps_per_execution=hyper_parameters.steps_per_execution,
                    jit_compile=config["jit_compile"],
                )
            return model

        fashion.training.models.build_model = build_model
        import fashion.training.run

        fashion.training.run.build_model = build_model


WORKERS = {
    "tutorial_reference": worker_tutorial_reference,
    "project_training": worker_project_training,
    "inference": worker_inference,
    "matmul_peak": training_bench.worker_matmul_peak,
    "explain": worker_explain,
    "runs": worker_runs,
    "startup": worker_startup,
    "memory": worker_memory,
    "prepare_models": worker_prepare_models,
}


def run_worker(kind: str, config: dict, environment: dict | None = None, timeout: float = 900) -> dict:
    """Run one worker in a fresh Python process and return its JSON result."""
    command = [
        sys.executable,
        "-m",
        "bench.benchmark",
        "--worker",
        kind,
        "--config",
        json.dumps(config),
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO_ROOT), **(environment or {})}
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"worker {kind} failed ({completed.returncode}): {completed.stderr[-2000:]}")
    return json.loads(lines[-1])


# ---------------------------------------------------------------- the model store the app sections share


def prepared_models_dir() -> tuple[str, list[str]]:
    """A temporary model store holding one model of each architecture (for the app sections)."""
    import tempfile

    folder = tempfile.mkdtemp(prefix="fashion-bench-models-")
    result = run_worker("prepare_models", {}, {"FASHION_MODELS_DIR": folder})
    return folder, result["model_names"]


# ---------------------------------------------------------------- sections


def machine_description() -> dict:
    """CPU model, cores, RAM, load and library versions."""
    model = ""
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = re.search(r"Model name:\s+(.+)", lscpu).group(1).strip()
    except (OSError, AttributeError):
        pass
    memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    versions = run_worker_inline_versions()
    return {
        "cpu": model or platform.processor(),
        "cores": len(os.sched_getaffinity(0)),
        "ram_gib": round(memory_kb / 1024 / 1024, 1),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        **versions,
    }


def run_worker_inline_versions() -> dict:
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json,tensorflow as t,keras as k;"
            "print(json.dumps({'tensorflow':t.__version__,'keras':k.__version__}))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def repeated(kind: str, config: dict, repeats: int, label: str) -> list[dict]:
    """Run a worker several times, printing each run."""
    runs = []
    for index in range(repeats):
        result = run_worker(kind, config)
        runs.append(result)
        shown = {key: round(value, 4) for key, value in result.items() if isinstance(value, float)}
        print(f"  {label} run {index + 1}/{repeats}: {shown}", flush=True)
    return runs


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def section_training(repeats: int, quick: bool, pairs: int = len(training_bench.SEEDS)) -> dict:
    """Tutorial architecture: the tutorial's code and the project's defaults, interleaved in pairs."""
    return training_bench.section_training(run_worker, 1 if quick else pairs)


def section_cnn(repeats: int, quick: bool) -> dict:
    """The CNN's defaults on 3 seeds (1 with --quick): time, test accuracy and GFLOP/s."""
    return training_bench.section_cnn(run_worker, 1 if quick else 3)


SECTION_FUNCTIONS = {
    "training": section_training,
    "cnn": section_cnn,
    "inference": lambda repeats, quick: section_inference(repeats, quick, repeated),
    "startup": lambda repeats, quick: section_startup(repeats, quick, repeated, prepared_models_dir),
    "memory": lambda repeats, quick: section_memory(repeats, quick, repeated, prepared_models_dir),
    "explain": lambda repeats, quick: section_explain(repeats, quick, repeated, prepared_models_dir),
    "runs": lambda repeats, quick: section_runs(repeats, quick, run_worker),
}


def summary_rows(results: dict) -> list[tuple[str, str, str, str]]:
    """(figure, measured, target, ratio) rows for the printed table."""
    rows = training_bench.summary_rows(results)
    inference = results.get("inference")
    if inference:
        for architecture in ("tutorial", "cnn"):
            predict = inference[f"{architecture}_model_predict_ms"]
            total = inference[f"{architecture}_photo_to_prediction_ms"]
            rows.append((f"{architecture}: model.predict, one image", f"{predict:.1f} ms", "-", "1.00x"))
            rows.append(
                (
                    f"{architecture}: predict_one",
                    f"{inference[f'{architecture}_predict_one_ms']:.2f} ms",
                    "-",
                    f"{inference[f'{architecture}_predict_one_ms'] / predict:.3f}x",
                )
            )
            rows.append(
                (
                    f"{architecture}: photo -> prediction",
                    f"{total:.1f} ms",
                    f"<= {INFERENCE_MS_TARGET:.0f} ms",
                    f"{total / INFERENCE_MS_TARGET:.2f}x of target",
                )
            )
        rows.append(("prepare_photo (1000x1000 JPEG)", f"{inference['preprocess_ms']:.1f} ms", "-", "-"))
    startup = results.get("startup")
    if startup and "skipped" not in startup:
        rows.append(
            (
                "start -> Explore drawn",
                f"{startup['start_to_explore_seconds']:.2f} s",
                f"<= {START_SECONDS_TARGET} s",
                f"{startup['start_to_explore_seconds'] / START_SECONDS_TARGET:.2f}x of target",
            )
        )
        rows.append(
            (
                "Predictions page, warm",
                f"{startup['predictions_warm_seconds']:.2f} s",
                f"<= {PREDICTIONS_SECONDS_TARGET} s",
                f"{startup['predictions_warm_seconds'] / PREDICTIONS_SECONDS_TARGET:.2f}x of target",
            )
        )
    elif startup:
        rows.append(("app start", startup["skipped"], "", ""))
    memory = results.get("memory")
    if memory and "skipped" not in memory:
        rows.append(
            (
                "server RSS, data + models",
                f"{memory['server_rss_mb']:.0f} MB",
                f"<= {SERVER_RSS_MB_TARGET:.0f} MB",
                f"{memory['server_rss_mb'] / SERVER_RSS_MB_TARGET:.2f}x of target",
            )
        )
        rows.append(
            (
                "extra RSS per idle session",
                f"{memory['per_session_mb']:.1f} MB",
                f"<= {SESSION_MB_TARGET:.0f} MB",
                f"{memory['per_session_mb'] / SESSION_MB_TARGET:.2f}x of target",
            )
        )
    elif memory:
        rows.append(("memory", memory["skipped"], "", ""))
    if results.get("explain"):
        rows += explain_rows(results["explain"])
    if results.get("runs"):
        rows += runs_rows(results["runs"])
    return rows


def print_table(rows) -> None:
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    header = ("figure", "measured (median)", "target", "ratio")
    widths = [max(width, len(title)) for width, title in zip(widths, header, strict=True)]
    for row in (header, tuple("-" * width for width in widths), *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run of each, fewer calls")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument(
        "--only", choices=SECTIONS, action="append", help="run only this section (repeatable)"
    )
    parser.add_argument(
        "--pairs", type=int, default=len(training_bench.SEEDS),
        help="interleaved (tutorial code, project) training pairs, one seed each (default 5)",
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--config", default="{}", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)

    if arguments.worker:
        print(json.dumps(WORKERS[arguments.worker](json.loads(arguments.config))))
        return 0
    if arguments.repeats < 1 or arguments.pairs < 1:
        parser.error("--repeats and --pairs must be at least 1")

    machine = machine_description()
    print(
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gib']} GiB, "
        f"TensorFlow {machine.get('tensorflow')}, Keras {machine.get('keras')}, "
        f"load {machine['load_average']}"
    )
    results = {"machine": machine, "started": time.strftime("%Y-%m-%dT%H:%M:%S")}
    for section in arguments.only or SECTIONS:
        if section == "training":
            results[section] = section_training(arguments.repeats, arguments.quick, arguments.pairs)
        else:
            results[section] = SECTION_FUNCTIONS[section](arguments.repeats, arguments.quick)
    print()
    print_table(summary_rows(results))
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    output = RESULTS_DIR / f"benchmark-{time.strftime('%Y%m%d-%H%M%S')}.json"
    output.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nWritten to {output.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
