"""The command line: python -m fashion train | predict | evaluate | models | export | explain | photos."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
from pathlib import Path
from typing import Any

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.errors import FashionError
from fashion.store.export import FORMATS, QUANTIZATIONS
from fashion.training.augmentation import AUGMENTATIONS
from fashion.training.models import (
    ARCHITECTURES,
    EXACT_TUTORIAL_PRESET,
    RECOMMENDED_PRESET,
    preset_named,
    with_overrides,
)
from fashion.training.run import BatchReport, EpochReport, TrainingListener

EXIT_ERROR = 2


class ConsoleListener(TrainingListener):
    """Keras' progress bar on stderr (when it is a terminal) and a line per epoch."""

    def __init__(self, output, show_bar: bool):
        self.output = output
        self.show_bar = show_bar
        self.progress_bar: Any = None  # keras.utils.Progbar, made at the first batch
        self.bar_epoch: int | None = None
        self.bar_unfinished = False

    def on_batch(self, report: BatchReport) -> None:
        if not self.show_bar:
            return
        import keras

        # Progbar writes to stdout, which carries the results: send it to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            if self.bar_epoch != report.epoch:
                self.progress_bar = keras.utils.Progbar(report.steps, stateful_metrics=["loss"])
                self.bar_epoch = report.epoch
            self.progress_bar.update(report.step, [("loss", report.loss)])
        self.bar_unfinished = report.step < report.steps

    def on_epoch(self, report: EpochReport) -> None:
        if self.bar_unfinished:
            sys.stderr.write("\n")  # A bar left unfinished (stopped mid-epoch) ends its line.
            self.bar_unfinished = False
        line = (
            f"Epoch {report.epoch}/{report.epochs} - {report.seconds:.1f}s - "
            f"loss: {report.loss:.4f} - accuracy: {report.accuracy:.4f}"
        )
        if report.val_loss is not None:
            line += f" - val_loss: {report.val_loss:.4f} - val_accuracy: {report.val_accuracy:.4f}"
        print(line, file=self.output, flush=True)


def continued_settings(arguments):
    """(architecture, hyper-parameters) of train --from NAME --epochs N: the parent's own, N more epochs."""
    from fashion.store import model_store as store
    from fashion.training.run import continued_hyper_parameters

    if arguments.epochs is None:
        raise FashionError("--from needs --epochs N: how many more epochs to train.")
    others = ("arch", "batch_size", "learning_rate", "seed", "limit", "validation_fraction")
    others += ("exact_tutorial", "deterministic", "augmentation", "preset")
    given = [name for name in others if getattr(arguments, name) not in (None, False, "tutorial")]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise FashionError(f"--from continues with the parent's own settings; drop {option}.")
    record = store.get_entry(arguments.from_model).record
    return record.get("architecture", "tutorial"), continued_hyper_parameters(record, arguments.epochs)


def command_train(arguments) -> int:
    """Train on the real data, evaluate on the test set and save to the store."""
    from fashion.data.fashion_mnist import load_dataset
    from fashion.training.workflow import train_evaluate_save

    if arguments.from_model:
        architecture, hyper_parameters = continued_settings(arguments)
    else:
        architecture = arguments.arch
        preset = arguments.preset or (
            EXACT_TUTORIAL_PRESET if arguments.exact_tutorial else RECOMMENDED_PRESET
        )
        hyper_parameters = with_overrides(
            preset_named(arguments.arch, preset),
            epochs=arguments.epochs,
            batch_size=arguments.batch_size,
            learning_rate=arguments.learning_rate,
            seed=arguments.seed,
            train_limit=arguments.limit,
            validation_fraction=arguments.validation_fraction,
            deterministic=True if arguments.deterministic else None,
            augmentation=arguments.augmentation,
        )
    dataset = load_dataset()
    progress_output = sys.stderr if arguments.json else sys.stdout
    listener = ConsoleListener(progress_output, show_bar=sys.stderr.isatty())
    stop_event = threading.Event()
    try:
        finished = train_evaluate_save(
            architecture,
            hyper_parameters,
            dataset,
            arguments.name,
            listener,
            stop_event,
            parent=arguments.from_model,
        )
    except KeyboardInterrupt:
        print("Interrupted; nothing was saved.", file=sys.stderr)
        return 130
    if finished.entry is None or finished.evaluation is None:
        print("error: training stopped before the first epoch; nothing was saved.", file=sys.stderr)
        return EXIT_ERROR
    summary = {
        "name": finished.entry.name,
        "arch": architecture,
        "epochs_run": finished.result.epochs_run,
        "parent": finished.result.parent,
        "total_epochs": len(finished.entry.saved_record["history"]),
        "test_accuracy": finished.evaluation.accuracy,
        "test_loss": finished.evaluation.loss,
        "train_seconds": round(finished.result.train_seconds, 3),
        "path": str(finished.entry.path),
        "hyper_parameters": hyper_parameters.to_dict(),
    }
    if arguments.json:
        print(json.dumps(summary))
    else:
        print(
            f"Test accuracy: {summary['test_accuracy']:.4f}  test loss: {summary['test_loss']:.4f}  "
            f"trained in {summary['train_seconds']:.1f}s"
        )
        print(f"Saved as {summary['name']} in {summary['path']}")
    return 0


def read_photo(file_name: str, switches: dict[str, bool] | None = None):
    """Read one image file and run it through the photo pipeline; FashionError naming the file."""
    from fashion.photos.pipeline import prepare_photo
    from fashion.training.inference import MAX_FILE_BYTES

    path = Path(file_name)
    try:
        # One byte past the cap is enough for the pipeline to refuse a file that is too large.
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise FashionError(f"{file_name}: is a folder, not an image file.") from None
    except OSError as error:
        raise FashionError(f"{file_name}: cannot be read ({error.strerror}).") from None
    try:
        return prepare_photo(data, switches)
    except FashionError as error:
        raise FashionError(f"{file_name}: {error}") from None


def command_predict(arguments) -> int:
    """Top 3 classes of each image file, through the photo pipeline, and whether it is none of the ten."""
    from fashion.data.fashion_mnist import load_dataset
    from fashion.photos import ood
    from fashion.photos import pipeline as photo
    from fashion.store import model_store as store
    from fashion.training.inference import top_classes

    name = arguments.model or store.newest_model_name()
    entry = store.get_entry(name)
    switches = {step: not getattr(arguments, f"no_{step}") for step in photo.STEP_NAMES}
    photos = [(file_name, read_photo(file_name, switches)) for file_name in arguments.images]
    model = store.load_model(name)
    batch_of = photo.tta_batch if switches["tta"] else (lambda image: image[None])
    # A model trained on the real photos carries its own calibration, set on held-out photos.
    calibration = ood.saved_calibration(entry.saved_record, switches["tta"])
    try:
        dataset = None if calibration is not None else load_dataset()
    except FashionError as error:
        # Without the data set there is nothing to calibrate on: classify, and say so once.
        print(f"warning: no 'none of the ten' score ({error})", file=sys.stderr)
        calibration = None
    if dataset is not None:
        model_key = ood.model_file_key(entry.model_path, switches["tta"])
        calibration = ood.cached_calibration(model, model_key, dataset, batch_of)
    for file_name, prepared in photos:
        prediction = ood.predict_photo(model, prepared.batch, calibration)
        probabilities = prediction.probabilities
        best = top_classes(probabilities, 3)
        if arguments.json:
            print(
                json.dumps(
                    {
                        "file": file_name,
                        "label": best[0][0],
                        "class_name": best[0][1],
                        "probabilities": [round(float(value), 6) for value in probabilities],
                        "top3": [
                            {"label": label, "class_name": class_name, "probability": probability}
                            for label, class_name, probability in best
                        ],
                        "model": name,
                        "ood": None if calibration is None else {
                            "flagged": prediction.out_of_distribution,
                            "score": None if prediction.ood_score is None else round(prediction.ood_score, 4),
                            "threshold": round(calibration.threshold, 4),
                        },
                        "steps": switches,
                        "segmented": prepared.segmented,
                        "warnings": prepared.warnings,
                    }
                )
            )
        else:
            ranked = ", ".join(f"{class_name} {probability:.1%}" for _, class_name, probability in best)
            verdict = " (none of the ten, it seems)" if prediction.out_of_distribution else ""
            print(f"{file_name}: {ranked}{verdict}")
    return 0


def command_evaluate(arguments) -> int:
    """Test accuracy, loss and per-class accuracy of a saved model."""
    from fashion.data.fashion_mnist import load_dataset
    from fashion.store import model_store as store
    from fashion.training.evaluation import evaluate

    name = arguments.model or store.newest_model_name()
    model = store.load_model(name)
    dataset = load_dataset()
    evaluation = evaluate(model, dataset.test_images, dataset.test_labels)
    if arguments.json:
        print(
            json.dumps(
                {
                    "model": name,
                    "test_accuracy": evaluation.accuracy,
                    "test_loss": evaluation.loss,
                    "per_class_accuracy": dict(zip(CLASS_NAMES, evaluation.per_class_accuracy, strict=True)),
                }
            )
        )
    else:
        print(f"Model {name}: test accuracy {evaluation.accuracy:.4f}, loss {evaluation.loss:.4f}")
        for class_name, accuracy in zip(CLASS_NAMES, evaluation.per_class_accuracy, strict=True):
            print(f"  {class_name:<12} {accuracy:.4f}")
    return 0


def command_models(arguments) -> int:
    """The store's entries, newest first."""
    from fashion.store import model_store as store

    entries = store.list_entries()
    if arguments.json:
        print(
            json.dumps(
                [
                    {
                        "name": entry.name,
                        "readable": entry.readable,
                        "error": entry.error,
                        "arch": (entry.record or {}).get("architecture"),
                        "test_accuracy": (entry.record or {}).get("test_accuracy"),
                        "created": (entry.record or {}).get("created"),
                        "path": str(entry.path),
                    }
                    for entry in entries
                ]
            )
        )
        return 0
    if not entries:
        print(f"No saved models in {store.store_directory()}.")
        return 0
    for entry in entries:
        if entry.readable:
            record = entry.saved_record
            print(
                f"{entry.name:<36} {record.get('architecture', '?'):<9} "
                f"accuracy {record.get('test_accuracy', float('nan')):.4f}  {record.get('created', '')}"
            )
        else:
            print(f"{entry.name:<36} UNREADABLE: {entry.error}")
    return 0


def command_export(arguments) -> int:
    """Export a saved model (checked against the Keras model) or its history or record."""
    from fashion.store import export
    from fashion.store import model_store as store

    store.get_entry(arguments.name)
    check_images = None
    if arguments.format in ("keras", "tflite", "savedmodel"):
        from fashion.data.fashion_mnist import load_dataset

        check_images = load_dataset().test_images
    result = export.export_model(arguments.name, arguments.format, check_images, arguments.quantize)
    path = export.write_export(result, Path(arguments.output))
    if arguments.json:
        print(
            json.dumps(
                {
                    "model": result.model_name,
                    "format": result.format,
                    "quantization": result.quantization,
                    "path": str(path),
                    "size_bytes": result.size_bytes,
                    "seconds": round(result.seconds, 3),
                    "agreement": result.agreement,
                    "checked_images": result.checked_images,
                }
            )
        )
    else:
        print(f"Wrote {path} ({result.summary()})")
    return 0


def command_explain(arguments) -> int:
    """Top classes, nearest training images and a saliency PNG for a test image or an image file."""
    from fashion.data.fashion_mnist import load_dataset
    from fashion.explain import explanation_plots
    from fashion.explain import explanations as explain
    from fashion.figures import plots
    from fashion.store import model_store as store
    from fashion.training.inference import top_classes

    name = arguments.model or store.newest_model_name()
    entry = store.get_entry(name)
    dataset = load_dataset()
    target = arguments.image
    if target.isdigit():
        index = int(target)
        if index >= len(dataset.test_labels):
            raise FashionError(
                f"test index {index} is out of range; the test set has {len(dataset.test_labels):,} images."
            )
        image, true_label = dataset.test_images[index], int(dataset.test_labels[index])
        source = f"test-{index}"
    else:
        image, true_label, source = read_photo(target).image, None, Path(target).stem
    model = store.load_model(name)
    neighbours = explain.NeighbourIndex(explain.training_features(model, entry.path, dataset.train_images))
    explanation = explain.explain_image(model, image, neighbours, true_label)
    output = Path(arguments.output or f"saliency-{source}.png")
    figure = explanation_plots.saliency_figure(
        image, explanation.probabilities, true_label, explanation.saliency_maps, explanation.method
    )
    try:
        output.write_bytes(plots.figure_to_png(figure))
    except OSError as error:
        raise FashionError(f"cannot write {output}: {error.strerror}.") from None
    best = top_classes(explanation.probabilities, 3)
    neighbour_rows = [
        {
            "index": int(index),
            "label": int(dataset.train_labels[index]),
            "class_name": CLASS_NAMES[dataset.train_labels[index]],
            "distance": round(float(distance), 4),
        }
        for index, distance in zip(
            explanation.neighbour_indices, explanation.neighbour_distances, strict=True
        )
    ]
    if arguments.json:
        print(
            json.dumps(
                {
                    "model": name,
                    "image": target,
                    "true_label": true_label,
                    "top3": [
                        {"label": label, "class_name": class_name, "probability": probability}
                        for label, class_name, probability in best
                    ],
                    "saliency_method": explanation.method,
                    "saliency_png": str(output),
                    "neighbours": neighbour_rows,
                }
            )
        )
    else:
        ranked = ", ".join(f"{class_name} {probability:.1%}" for _, class_name, probability in best)
        print(f"{target}: {ranked}")
        nearest = ", ".join(f"#{row['index']} {row['class_name']}" for row in neighbour_rows)
        print(f"Nearest training images: {nearest}")
        print(f"Saliency ({explanation.method}) written to {output}")
    return 0


def command_code(arguments) -> int:
    """The standalone TensorFlow/Keras script that reproduces a saved model, to stdout or a file."""
    from fashion.lesson import model_code

    text = model_code.model_script(arguments.name)
    if arguments.output:
        path = model_code.write_script(text, Path(arguments.output))
        print(f"Wrote {path}")
    else:
        sys.stdout.write(text)
    return 0


def command_photos_download(arguments) -> int:
    """Download the real photos' originals at the pinned commit, each checked by SHA-256."""
    from fashion.data import real_photos

    destination = Path(arguments.to) if arguments.to else real_photos.download_destination()

    def progress(number: int, total: int) -> None:
        if number % 200 == 0 or number == total:
            print(f"{number:,}/{total:,} photos", file=sys.stderr, flush=True)

    fetched = real_photos.download_photos(destination, base_url=arguments.base_url, progress=progress)
    print(f"{fetched:,} photos downloaded into {destination} (the others were already there and checked).")
    if arguments.to and real_photos.find_photos_directory() != destination:
        print(f"Set {real_photos.ENVIRONMENT_VARIABLE}={destination} so the app finds them.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of python -m fashion."""
    parser = argparse.ArgumentParser(
        prog="python -m fashion", description="Fashion-MNIST Studio on the command line."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    train_parser = commands.add_parser("train", help="train a model and save it")
    train_parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="tutorial")
    train_parser.add_argument("--epochs", type=int)
    train_parser.add_argument("--batch-size", type=int)
    train_parser.add_argument("--learning-rate", type=float)
    train_parser.add_argument("--seed", type=int)
    train_parser.add_argument("--limit", type=int, help="train on a random subset of this many images")
    train_parser.add_argument("--validation-fraction", type=float)
    train_parser.add_argument(
        "--deterministic", action="store_true", help="exactly reproducible: TensorFlow op determinism, slower"
    )
    train_parser.add_argument(
        "--exact-tutorial",
        action="store_true",
        help="the tutorial's settings (batch 32, 10 epochs, Adam 1e-3) on the chosen architecture",
    )
    train_parser.add_argument(
        "--augmentation", choices=sorted(AUGMENTATIONS), help="photo: train on photo-like variants"
    )
    train_parser.add_argument("--preset", help="a preset of the architecture, e.g. 'Photo-robust CNN'")
    train_parser.add_argument("--name")
    train_parser.add_argument(
        "--from", dest="from_model", metavar="NAME", help="continue a saved model for --epochs more epochs"
    )
    train_parser.add_argument("--json", action="store_true")
    train_parser.set_defaults(handler=command_train)

    predict_parser = commands.add_parser("predict", help="classify image files")
    predict_parser.add_argument("images", nargs="+", metavar="IMAGE")
    predict_parser.add_argument("--model")
    predict_parser.add_argument("--json", action="store_true")
    from fashion.photos.pipeline import STEPS

    for step in STEPS:
        predict_parser.add_argument(
            f"--no-{step.name}", action="store_true", help=f"skip this step: {step.description}"
        )
    predict_parser.set_defaults(handler=command_predict)

    evaluate_parser = commands.add_parser("evaluate", help="evaluate a saved model on the test set")
    evaluate_parser.add_argument("--model")
    evaluate_parser.add_argument("--json", action="store_true")
    evaluate_parser.set_defaults(handler=command_evaluate)

    models_parser = commands.add_parser("models", help="list saved models")
    models_parser.add_argument("--json", action="store_true")
    models_parser.set_defaults(handler=command_models)

    export_parser = commands.add_parser("export", help="export a saved model, its history or its record")
    export_parser.add_argument("name", metavar="NAME")
    export_parser.add_argument("--format", choices=FORMATS, required=True)
    export_parser.add_argument("--output", required=True, help="a file, or a folder to write into")
    export_parser.add_argument("--quantize", choices=QUANTIZATIONS, default="none", help="TFLite only")
    export_parser.add_argument("--json", action="store_true")
    export_parser.set_defaults(handler=command_export)

    explain_parser = commands.add_parser(
        "explain", help="saliency and nearest training images of one image"
    )
    explain_parser.add_argument("image", metavar="IMAGE_OR_TEST_INDEX")
    explain_parser.add_argument("--model")
    explain_parser.add_argument(
        "--output", help="where to write the saliency PNG (default saliency-<image>.png)"
    )
    explain_parser.add_argument("--json", action="store_true")
    explain_parser.set_defaults(handler=command_explain)

    code_parser = commands.add_parser("code", help="the standalone Keras script reproducing a saved model")
    code_parser.add_argument("name", metavar="NAME")
    code_parser.add_argument("--output", help="write the script to this file (default: stdout)")
    code_parser.set_defaults(handler=command_code)


    photos_parser = commands.add_parser("photos", help="the real labelled photos (CC0 clothing-dataset)")
    photos_commands = photos_parser.add_subparsers(dest="photos_command", required=True)
    download_parser = photos_commands.add_parser(
        "download", help="download the originals at a pinned commit, each checked by SHA-256"
    )
    download_parser.add_argument(
        "--to", help="the folder to fill (default: FASHION_PHOTOS_DIR, else real-photos in the cache folder)"
    )
    download_parser.add_argument("--base-url", help=argparse.SUPPRESS)
    download_parser.set_defaults(handler=command_photos_download)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors become one line on stderr and exit status 2."""
    arguments = build_parser().parse_args(argv)
    try:
        return arguments.handler(arguments)
    except FashionError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError:
        print("error: out of memory.", file=sys.stderr)
        return EXIT_ERROR
