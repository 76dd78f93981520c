"""python -m fashion train: train, evaluate on the test set and save, or continue a saved model."""

from __future__ import annotations

import contextlib
import json
import sys
import threading
from typing import Any

from fashion.data.fashion_mnist import load_dataset
from fashion.errors import FashionError
from fashion.i18n import _
from fashion.store import model_store as store
from fashion.training.augmentation import AUGMENTATIONS
from fashion.training.models import (
    ARCHITECTURES,
    EXACT_TUTORIAL_PRESET,
    RECOMMENDED_PRESET,
    preset_named,
    with_overrides,
)
from fashion.training.run import BatchReport, EpochReport, TrainingListener, continued_hyper_parameters
from fashion.training.workflow import train_evaluate_save

EXIT_ERROR = 2  # the CLI's exit status for an error (fashion.cli.main's too)


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
        # deferred: Keras (TensorFlow) takes seconds to import
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
    if arguments.epochs is None:
        raise FashionError(_("--from needs --epochs N: how many more epochs to train."))
    others = ("arch", "batch_size", "learning_rate", "seed", "limit", "validation_fraction")
    others += ("exact_tutorial", "deterministic", "augmentation", "preset")
    given = [name for name in others if getattr(arguments, name) not in (None, False, "tutorial")]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise FashionError(
            _("--from continues with the parent's own settings; drop {option}.").format(option=option)
        )
    record = store.get_entry(arguments.from_model).record
    return record.get("architecture", "tutorial"), continued_hyper_parameters(record, arguments.epochs)


def run(arguments) -> int:
    """Train on the real data, evaluate on the test set and save to the store."""
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
        print(_("Interrupted; nothing was saved."), file=sys.stderr)
        return 130
    if finished.entry is None or finished.evaluation is None:
        print(_("error: training stopped before the first epoch; nothing was saved."), file=sys.stderr)
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
            _("Test accuracy: {accuracy}  test loss: {loss}  trained in {seconds}s").format(
                accuracy=f"{summary['test_accuracy']:.4f}",
                loss=f"{summary['test_loss']:.4f}",
                seconds=f"{summary['train_seconds']:.1f}",
            )
        )
        print(_("Saved as {name} in {path}").format(name=summary["name"], path=summary["path"]))
    return 0


def add_parser(commands) -> None:
    """The command's arguments, under python -m fashion."""
    train_parser = commands.add_parser("train", help=_("train a model and save it"))
    train_parser.add_argument("--arch", choices=sorted(ARCHITECTURES), default="tutorial")
    train_parser.add_argument("--epochs", type=int)
    train_parser.add_argument("--batch-size", type=int)
    train_parser.add_argument("--learning-rate", type=float)
    train_parser.add_argument("--seed", type=int)
    train_parser.add_argument("--limit", type=int, help=_("train on a random subset of this many images"))
    train_parser.add_argument("--validation-fraction", type=float)
    train_parser.add_argument(
        "--deterministic",
        action="store_true",
        help=_("exactly reproducible: TensorFlow op determinism, slower"),
    )
    train_parser.add_argument(
        "--exact-tutorial",
        action="store_true",
        help=_("the tutorial's settings (batch 32, 10 epochs, Adam 1e-3) on the chosen architecture"),
    )
    train_parser.add_argument(
        "--augmentation", choices=sorted(AUGMENTATIONS), help=_("photo: train on photo-like variants")
    )
    train_parser.add_argument("--preset", help=_("a preset of the architecture, e.g. 'Photo-robust CNN'"))
    train_parser.add_argument("--name")
    train_parser.add_argument(
        "--from", dest="from_model", metavar="NAME", help=_("continue a saved model for --epochs more epochs")
    )
    train_parser.add_argument("--json", action="store_true")
    train_parser.set_defaults(handler=run)
