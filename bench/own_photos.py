"""What the user's own photos are worth: k photos a class from one half of photos-dev, scored on the other.

python -m bench.own_photos --k 1 3 5 [--baseline-model NAME] [--epochs N] [--dev-dir DIR] [--label LABEL]

The only place ../shared/photos-dev is trained on, and only its own half: the labelled photos are split
per class into two halves by a fixed seed (stratified); for each k, k photos of each class from the
first half ("the user's photos") are kept in a fresh store as one browser's own photos, exactly as the
Try page keeps them, and the Photo-robust preset is trained with "include my photos" on. Each model is
scored on the second half (never trained on) and on ood/. k = 0 is --baseline-model (a Photo-robust
model from FASHION_MODELS_DIR trained without own photos), scored on the same half; without it, k = 0
is trained like the others. Writes bench/results/own-photos-<label>.json and prints the table rows.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from bench.photos import DEFAULT_DEV_DIR, read_rows  # noqa: E402
from fashion import settings  # noqa: E402
from fashion.data.fashion_mnist import CLASS_NAMES, load_dataset  # noqa: E402
from fashion.photos import ood, own_photos  # noqa: E402
from fashion.photos import pipeline as photo  # noqa: E402
from fashion.store import model_store as store  # noqa: E402
from fashion.training.models import PHOTO_PRESET, preset_named, with_overrides  # noqa: E402
from fashion.training.workflow import train_evaluate_save  # noqa: E402

SPLIT_SEED = 19  # fixed: the same two halves on every run and machine
BENCH_OWNER = "bench-0000000000000019"  # an owner id as the Try page's browsers have


def split_halves(rows: list[dict], seed: int = SPLIT_SEED) -> tuple[list[dict], list[dict]]:
    """The labelled rows split per class into (the user's half, the scored half), in a seeded order."""
    generator = np.random.default_rng(seed)
    users_half, scored_half = [], []
    for label in range(len(CLASS_NAMES)):
        members = [row for row in rows if row["label_index"] == label]
        order = generator.permutation(len(members))
        half = len(members) // 2
        users_half += [members[index] for index in order[:half]]
        scored_half += [members[index] for index in order[half:]]
    return users_half, scored_half


def first_per_class(rows: list[dict], k: int) -> list[dict]:
    """The first k rows of each class (so the k = 1 photos are among the k = 3 ones, and so on)."""
    chosen = []
    for label in range(len(CLASS_NAMES)):
        chosen += [row for row in rows if row["label_index"] == label][:k]
    return chosen


def score(model, record: dict, scored: list[dict], outliers: list[dict]) -> dict:
    """Top-1 overall, on other backgrounds and per class on the scored half; ood/ and in-class flagged."""
    calibration = ood.saved_calibration(record, tta=True)
    switches = photo.switches_with()

    def classify(row):
        prediction = ood.predict_photo(model, photo.prepare_photo(row["data"], switches).batch, calibration)
        return int(np.argmax(prediction.probabilities)), prediction.out_of_distribution

    answers = [(row, *classify(row)) for row in scored]
    right = [predicted == row["label_index"] for row, predicted, _ in answers]
    figures = {
        "top1": float(np.mean(right)),
        "top1_other": float(
            np.mean(
                [ok for ok, (row, _, _) in zip(right, answers, strict=True) if row["background"] == "other"]
            )
        ),
        "per_class": {
            name: float(
                np.mean(
                    [
                        ok
                        for ok, (row, _, _) in zip(right, answers, strict=True)
                        if row["label_index"] == index
                    ]
                )
            )
            for index, name in enumerate(CLASS_NAMES)
        },
        "in_class_flagged": float(np.mean([flagged for _, _, flagged in answers])),
    }
    if calibration is not None and outliers:
        figures["ood_flagged"] = float(np.mean([classify(row)[1] for row in outliers]))
    return figures


def train_with_own_photos(k_rows: list[dict], epochs: int | None, train_limit: int | None, dataset) -> tuple:
    """Keep the rows as one browser's photos in a fresh store, train the preset with them; (model, record)."""
    with tempfile.TemporaryDirectory(prefix="own-photos-bench-") as directory:
        previous = os.environ.get(settings.MODELS_DIR.name)
        os.environ[settings.MODELS_DIR.name] = directory
        try:
            for row in k_rows:
                own_photos.keep_photo(BENCH_OWNER, row["data"], row["label_index"])
            recipe = with_overrides(
                preset_named("cnn", PHOTO_PRESET),
                epochs=epochs,
                train_limit=train_limit,
                own_photos=BENCH_OWNER if k_rows else "",
            )
            finished = train_evaluate_save("cnn", recipe, dataset, name=f"own-photos-k{len(k_rows)}")
            model = store.load_model(finished.entry.name)
            return model, finished.entry.record
        finally:
            if previous is None:
                os.environ.pop(settings.MODELS_DIR.name, None)
            else:
                os.environ[settings.MODELS_DIR.name] = previous


def run_figures(k: int, model_name: str, record: dict, figures: dict) -> dict:
    """One row of the table: k, the model, how it was trained (from its record) and its scores."""
    return {
        "k": k,
        "model": model_name,
        "epochs": record.get("epochs_run"),
        "train_seconds": record.get("train_seconds"),
        "fashion_test_accuracy": record.get("test_accuracy"),
        "trained_on": record.get("trained_on"),
        **figures,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, nargs="+", default=[1, 3, 5], help="photos per class to add")
    parser.add_argument("--baseline-model", help="the k = 0 model: a saved Photo-robust model (else trained)")
    parser.add_argument("--epochs", type=int, help="shorter trainings than the preset's (labelled as such)")
    parser.add_argument("--train-limit", type=int, help="Fashion-MNIST images (a smoke run, not a result)")
    parser.add_argument("--dev-dir", type=Path, default=DEFAULT_DEV_DIR)
    parser.add_argument("--label", default="k", help="name of this run in bench/results/")
    arguments = parser.parse_args()
    if any(k < 0 for k in arguments.k):
        print("own_photos.py: --k must be 0 or more photos per class.", file=sys.stderr)
        return 2

    rows = read_rows(arguments.dev_dir)
    labelled = [row for row in rows if row["label_index"] >= 0]
    outliers = [row for row in rows if row["label_index"] < 0]
    users_half, scored_half = split_halves(labelled)
    smallest_half = min(sum(row["label_index"] == label for row in users_half) for label in range(10))
    if max(arguments.k) > smallest_half:
        print(f"own_photos.py: --k may be at most {smallest_half} (the user's half).", file=sys.stderr)
        return 2
    dataset = load_dataset(allow_download=False)
    print(f"user's half {len(users_half)} photos, scored half {len(scored_half)}, ood/ {len(outliers)}")

    runs = []
    if arguments.baseline_model:
        model = store.load_model(arguments.baseline_model)
        record = store.get_entry(arguments.baseline_model).record
        runs.append(
            run_figures(0, arguments.baseline_model, record, score(model, record, scored_half, outliers))
        )
        print(runs[-1])
    for k in sorted(set(arguments.k) - ({0} if arguments.baseline_model else set())):
        k_rows = first_per_class(users_half, k)
        started = time.perf_counter()
        model, record = train_with_own_photos(k_rows, arguments.epochs, arguments.train_limit, dataset)
        figures = score(model, record, scored_half, outliers)
        figures["wall_seconds"] = time.perf_counter() - started
        runs.append(run_figures(k, f"trained here ({len(k_rows)} own photos)", record, figures))
        print(runs[-1])

    output = ROOT / "bench" / "results" / f"own-photos-{arguments.label}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "split_seed": SPLIT_SEED,
        "scored": [row["file"] for row in scored_half],
        "users_half": [row["file"] for row in users_half],
        "runs": runs,
    }
    output.write_text(json.dumps(summary, indent=1))
    print(
        "| k per class | own photos | epochs | FMNIST test | top-1 (scored half) | other | worst class | "
        "ood/ flagged | in-class flagged |"
    )
    for run in runs:
        worst = min(run["per_class"], key=run["per_class"].get)
        flagged = f"{run['ood_flagged']:.0%}" if "ood_flagged" in run else "-"
        print(
            f"| {run['k']} | {run['k'] * 10} | {run['epochs']} | {run['fashion_test_accuracy']:.4f} | "
            f"{run['top1']:.3f} | {run['top1_other']:.3f} | {worst} {run['per_class'][worst]:.2f} | "
            f"{flagged} | {run['in_class_flagged']:.0%} |"
        )
    print(f"written to {output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
