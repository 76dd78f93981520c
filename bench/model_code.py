"""The code of a model against the app (issue 22): the generated standalone script and the app's training,
same architecture, settings and seed, on the full data, interleaved in one run; the table goes into
BENCHMARKS.md.

    python -m bench.model_code                      # the tutorial network and the CNN, recommended presets
    python -m bench.model_code --arch tutorial      # one architecture
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RESULTS_FILE = ROOT / "bench" / "results" / "model_code.json"
BENCHMARKS_FILE = ROOT / "BENCHMARKS.md"
SECTION_START = "<!-- model-code: written by bench/model_code.py -->"
SECTION_END = "<!-- /model-code -->"
TARGET_POINTS = 0.5  # the script's test accuracy within this many points of the app's


def run_app(architecture: str, data_dir: str, models_dir: str) -> dict:
    """The app's training of the architecture's recommended preset (python -m fashion train), timed."""
    environment = {**os.environ, "FASHION_MNIST_DIR": data_dir, "FASHION_MODELS_DIR": models_dir}
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "fashion", "train", "--arch", architecture, "--json"],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=True,
    )
    wall = time.perf_counter() - started
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return {
        "test_accuracy": result["test_accuracy"],
        "train_seconds": result["train_seconds"],
        "wall_seconds": wall,
        "name": result["name"],
    }


def run_script(script_path: Path, data_dir: str, work_dir: Path) -> dict:
    """The generated script in its own process, outside the project, timed."""
    results_path = work_dir / f"{script_path.stem}-results.json"
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, str(script_path), "--data-dir", data_dir, "--results-json", str(results_path)],
        cwd=work_dir, env=environment, capture_output=True, text=True, check=True,
    )
    wall = time.perf_counter() - started
    results = json.loads(results_path.read_text())
    return {
        "test_accuracy": results["test_accuracy"],
        "train_seconds": results["train_seconds"],
        "wall_seconds": wall,
    }


def table(rows: list[dict]) -> str:
    """The Markdown table of the runs."""
    lines = [
        "| model (recommended preset, seed 42) | app test accuracy | script test accuracy "
        "| difference (points) | app training s | script training s | app wall s | script wall s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        app, script = row["app"], row["script"]
        difference = 100 * (script["test_accuracy"] - app["test_accuracy"])
        lines.append(
            f"| {row['architecture']} | {app['test_accuracy']:.4f} | {script['test_accuracy']:.4f} | "
            f"{difference:+.2f} | {app['train_seconds']:.1f} | {script['train_seconds']:.1f} | "
            f"{app['wall_seconds']:.1f} | {script['wall_seconds']:.1f} |"
        )
    return "\n".join(lines)


def write_section(rows: list[dict], load_before: float) -> None:
    """Put the table into BENCHMARKS.md, replacing an earlier one."""
    worst = max(abs(100 * (row["script"]["test_accuracy"] - row["app"]["test_accuracy"])) for row in rows)
    verdict = "met" if worst <= TARGET_POINTS else "NOT met"
    section = "\n".join(
        [
            SECTION_START,
            f"## The code of a model: the generated script vs the app (issue 22), "
            f"{datetime.now(timezone.utc):%Y-%m-%d}",
            "",
            "`python -m bench.model_code`: `python -m fashion train --arch A --json` (the app's training:",
            "the in-memory epoch loop) and the script `fashion/lesson/model_code.py` writes for the same",
            "architecture and settings (Keras' `model.fit`, run in its own process outside the project), on",
            "the full data (60,000 training images less the 10 % validation hold-out, 10,000 test images),",
            "one seed each, interleaved app, script, app, script in one run. Both split the data the same",
            "way and start from the same seed; their shuffles differ (the app shuffles with TensorFlow",
            "inside its loop, `fit` with its own), so the accuracies agree within the seed-to-seed spread,",
            "not exactly.",
            "Shared 2-core machine, other engineers' work running "
            f"(load average {load_before:.1f} at the start):",
            "compare the two columns of a row, not the times with other sections.",
            "",
            table(rows),
            "",
            f"Target: the script within {TARGET_POINTS} points of the app's test accuracy: {verdict} "
            f"(largest difference {worst:.2f} points).",
            SECTION_END,
        ]
    )
    text = BENCHMARKS_FILE.read_text(encoding="utf-8")
    if SECTION_START in text:
        before, _, rest = text.partition(SECTION_START)
        _, _, after = rest.partition(SECTION_END)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    temporary = BENCHMARKS_FILE.with_name(BENCHMARKS_FILE.name + ".incomplete")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, BENCHMARKS_FILE)


def main() -> int:
    """Run the pairs, print and record them."""
    from fashion.data.fashion_mnist import DEBIAN_DIR
    from fashion.lesson import model_code
    from fashion.training.models import ARCHITECTURES, RECOMMENDED_PRESET, presets

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=sorted(ARCHITECTURES))
    parser.add_argument("--data-dir", default=os.environ.get("FASHION_MNIST_DIR", str(DEBIAN_DIR)))
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md as it is")
    arguments = parser.parse_args()
    architectures = arguments.arch or ["tutorial", "cnn"]
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-model-code-") as work:
        work_dir = Path(work)
        for architecture in architectures:
            settings = presets(architecture)[RECOMMENDED_PRESET]
            script_path = work_dir / f"{architecture}.py"
            script_path.write_text(
                model_code.script_text(model_code.script_steps(architecture, settings)), encoding="utf-8"
            )
            app = run_app(architecture, arguments.data_dir, str(work_dir / "models"))
            print(f"{architecture} app: {app}", flush=True)
            script = run_script(script_path, arguments.data_dir, work_dir)
            print(f"{architecture} script: {script}", flush=True)
            rows.append(
                {"architecture": architecture, "settings": settings.to_dict(), "app": app, "script": script}
            )
    print(table(rows))
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    summary = {"load_before": load_before, "rows": rows}
    RESULTS_FILE.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    if not arguments.no_write:
        write_section(rows, load_before)
    return 0


if __name__ == "__main__":
    sys.exit(main())
