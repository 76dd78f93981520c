"""Real photos benchmark: a pipeline + model over ../shared/photos-dev (measuring only, never training).

python -m bench.photos --model NAME [--no-segment --no-sharpen --no-invert --no-tta]
                       [--no-ood] [--label LABEL] [--dev-dir DIR]

Prints top-1 overall, per background and per class, the most frequent confusions, the
out-of-distribution figures (with the calibration a photo-trained model's record carries, else one
set on the even Fashion-MNIST test images), the Fashion-MNIST test accuracy and the median
milliseconds per photo; writes the figures as JSON to bench/results/photos-<label>.json and prints
the BENCHMARKS.md table row.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from fashion.data.fashion_mnist import CLASS_NAMES, load_dataset  # noqa: E402
from fashion.photos import ood  # noqa: E402
from fashion.photos import pipeline as photo  # noqa: E402
from fashion.store import model_store as store  # noqa: E402
from fashion.training.evaluation import evaluate  # noqa: E402

DEFAULT_DEV_DIR = ROOT.parent / "shared" / "photos-dev"


def read_rows(dev_dir: Path) -> list[dict]:
    """The rows of labels.csv with the photo bytes."""
    with open(dev_dir / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["data"] = (dev_dir / row["file"]).read_bytes()
        row["label_index"] = int(row["label_index"])
    return rows


scores: list = []  # the OOD score of each photo classified, in order


def make_classifier(model, arguments, calibration):
    """A function from photo bytes to (probabilities, out_of_distribution or None)."""
    switches = photo.switches_with(
        **{name: not getattr(arguments, f"no_{name}") for name in photo.STEP_NAMES}
    )

    def classify(data: bytes):
        prepared = photo.prepare_photo(data, switches)
        prediction = ood.predict_photo(model, prepared.batch, calibration)
        flagged = prediction.out_of_distribution if calibration is not None else None
        scores.append(prediction.ood_score)
        return prediction.probabilities, flagged

    return classify


def held_out_photo_accuracy(model, tta: bool) -> float | None:
    """Top-1 on the held-out real clothing photos (never trained on): where recipe choices are made."""
    from fashion.data.fashion_mnist import scale_images
    from fashion.data.real_photos import load_real_photos
    from fashion.errors import PhotoDatasetError
    from fashion.training.inference import predict_probabilities

    try:
        images, labels = load_real_photos().part(held_out=True)
    except PhotoDatasetError:
        return None
    clothing = scale_images(images[labels >= 0])
    batches = np.stack([photo.tta_batch(image) if tta else image[np.newaxis] for image in clothing])
    count, size = batches.shape[:2]
    probabilities = predict_probabilities(model, batches.reshape(count * size, *batches.shape[2:]))
    predicted = probabilities.reshape(count, size, -1).mean(axis=1).argmax(axis=1)
    return float((predicted == labels[labels >= 0]).mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a saved model (default: the newest)")
    parser.add_argument("--model-file", type=Path, help="a .keras file instead of a saved model")
    for step in photo.STEPS:
        parser.add_argument(f"--no-{step.name}", action="store_true", help=f"skip: {step.description}")
    parser.add_argument("--no-ood", action="store_true", help="no out-of-distribution score")
    parser.add_argument("--label", help="name of this run in bench/results/")
    parser.add_argument("--dev-dir", type=Path, default=DEFAULT_DEV_DIR)
    arguments = parser.parse_args()

    record: dict = {}
    if arguments.model_file:
        import keras

        name = arguments.model_file.stem
        model = keras.saving.load_model(arguments.model_file, safe_mode=True, compile=False)
    else:
        name = arguments.model or store.newest_model_name()
        model = store.load_model(name)
        record = store.get_entry(name).record
    rows = read_rows(arguments.dev_dir)
    calibration = None
    fashion_flagged = None
    dataset = load_dataset(allow_download=False)
    fashion_accuracy = evaluate(model, dataset.test_images, dataset.test_labels).accuracy
    if not arguments.no_ood:
        batch_of = photo.tta_batch if not arguments.no_tta else (lambda image: image[np.newaxis])
        started = time.perf_counter()
        calibration = ood.saved_calibration(record, not arguments.no_tta)
        if calibration is None:
            calibration = ood.calibrate(model, dataset, batch_of)
        calibration_seconds = time.perf_counter() - started
        held_out = ood.scores_of_images(model, dataset.test_images[1::2], batch_of)
        fashion_flagged = float((held_out > calibration.threshold).mean())
    held_out_top1 = held_out_photo_accuracy(model, not arguments.no_tta) if record.get("trained_on") else None
    classify = make_classifier(model, arguments, calibration)
    classify(rows[0]["data"])  # warm-up: traces the model's call

    results, milliseconds = [], []
    for row in rows:
        started = time.perf_counter()
        probabilities, flagged = classify(row["data"])
        milliseconds.append((time.perf_counter() - started) * 1000)
        results.append(
            {
                **{key: row[key] for key in ("file", "label_index", "background")},
                "predicted": int(np.argmax(probabilities)),
                "flagged": flagged,
                "probabilities": [round(float(value), 5) for value in probabilities],
                "ood_score": scores[-1] if scores else None,
            }
        )

    in_class = [result for result in results if result["label_index"] >= 0]
    out_of_class = [result for result in results if result["label_index"] < 0]

    def accuracy(selected):
        return (
            float(np.mean([r["predicted"] == r["label_index"] for r in selected]))
            if selected
            else float("nan")
        )

    figures = {
        "model": name,
        "pipeline": "+".join(n for n in photo.STEP_NAMES if not getattr(arguments, f"no_{n}")) or "none",
        "top1": accuracy(in_class),
        "top1_white": accuracy([r for r in in_class if r["background"] == "white"]),
        "top1_other": accuracy([r for r in in_class if r["background"] == "other"]),
        "per_class": {
            CLASS_NAMES[c]: accuracy([r for r in in_class if r["label_index"] == c]) for c in range(10)
        },
        "confusions": Counter(
            f"{CLASS_NAMES[r['label_index']]} -> {CLASS_NAMES[r['predicted']]}"
            for r in in_class
            if r["predicted"] != r["label_index"]
        ).most_common(10),
        "fashion_test_accuracy": fashion_accuracy,
        "held_out_real_photos_top1": held_out_top1,
        "trained_on": record.get("trained_on"),
        "ms_per_photo_median": float(np.median(milliseconds)),
        "ms_per_photo_p90": float(np.percentile(milliseconds, 90)),
        "results": results,
    }
    if calibration is not None:
        figures.update(
            ood_threshold=calibration.threshold,
            ood_calibrated_on=calibration.calibrated_on_text(),
            ood_calibration_seconds=calibration_seconds,
            ood_flagged=float(np.mean([r["flagged"] for r in out_of_class])),
            in_class_flagged=float(np.mean([r["flagged"] for r in in_class])),
            fashion_test_flagged=fashion_flagged,
            top1_unflagged=accuracy([r for r in in_class if not r["flagged"]]),
        )
    label = arguments.label or f"{name}-{figures['pipeline']}"
    output = ROOT / "bench" / "results" / f"photos-{label}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(figures, indent=1))
    if calibration is not None:
        np.savez(output.with_suffix(".npz"), held_out_scores=held_out)

    print(
        f"{label}: top-1 {figures['top1']:.3f} (white {figures['top1_white']:.3f}, "
        f"other {figures['top1_other']:.3f}), "
        f"{figures['ms_per_photo_median']:.0f} ms/photo median"
    )
    print(f"Fashion-MNIST test accuracy {fashion_accuracy:.4f}")
    if held_out_top1 is not None:
        print(f"held-out real photos (never trained on, not photos-dev) top-1 {held_out_top1:.3f}")
    print("per class: " + ", ".join(f"{k} {v:.2f}" for k, v in figures["per_class"].items()))
    print("confusions: " + ", ".join(f"{pair} x{count}" for pair, count in figures["confusions"]))
    if calibration is not None:
        print(
            f"OOD: ood/ flagged {figures['ood_flagged']:.0%}, "
            f"in-class flagged {figures['in_class_flagged']:.0%}, "
            f"Fashion-MNIST test (odd half) flagged {figures['fashion_test_flagged']:.1%}; "
            f"threshold {calibration.threshold:.3f} set on {calibration.calibrated_on_text()} "
            f"({calibration_seconds:.1f} s)"
        )
    ood_cells = (
        f"{figures['ood_flagged']:.0%} | {figures['in_class_flagged']:.0%} | "
        f"{figures['fashion_test_flagged']:.1%}"
        if calibration is not None
        else "- | - | -"
    )
    print(
        f"| {label} | {figures['pipeline']} | {fashion_accuracy:.4f} | {figures['top1']:.3f} | "
        f"{figures['top1_white']:.3f} | {figures['top1_other']:.3f} | "
        f"{min(figures['per_class'].values()):.2f} | {ood_cells} | {figures['ms_per_photo_median']:.0f} |"
    )
    print(f"written to {output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
