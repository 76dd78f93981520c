"""Train an architecture with live progress to a listener and a stop event checked every batch.

Over 300 lines: a fresh run and a continued one share the listener, the split and the callbacks.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from fashion.data.fashion_mnist import Dataset, scale_images
from fashion.data.generated_negatives import generated_count, load_generated_negatives
from fashion.data.real_photos import NONE_LABEL, load_real_photos, oversampled_training_part
from fashion.errors import ConfigurationError, ModelStoreError
from fashion.i18n import _
from fashion.photos.own_photos import OWN_PHOTO_REPEATS, rendered_photos
from fashion.store import model_store as store
from fashion.training import learning
from fashion.training.augmentation import augmented_epoch, get_settings
from fashion.training.epoch_loop import fit_in_memory
from fashion.training.models import (
    MORE_EPOCHS,
    HyperParameters,
    build_model,
    custom_objects,
    get_architecture,
)
from fashion.training.tensorflow_setup import configure_tensorflow, set_op_determinism

if TYPE_CHECKING:  # annotations only: TensorFlow and Keras load when training starts
    import keras


@dataclass(frozen=True)
class BatchReport:
    """Progress within an epoch, for a progress bar with speed and time left."""

    epoch: int
    epochs: int
    step: int
    steps: int
    images_per_second: float
    epoch_seconds_left: float
    total_seconds_left: float
    loss: float
    accuracy: float


# The columns of a training history: one row per epoch in every record, table and CSV.
HISTORY_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds")


@dataclass(frozen=True)
class EpochReport:
    """The metrics of one completed epoch (epoch counts from 1)."""

    epoch: int
    epochs: int
    loss: float
    accuracy: float
    val_loss: float | None
    val_accuracy: float | None
    seconds: float

    def to_dict(self) -> dict:
        """A JSON-ready row of the training history."""
        return {column: getattr(self, column) for column in HISTORY_COLUMNS}


class TrainingListener:
    """Receives training progress; override the methods you need."""

    def on_start(self, epochs: int, steps_per_epoch: int, train_count: int) -> None:
        """Called once before the first batch."""

    def on_batch(self, report: BatchReport) -> None:
        """Called after each batch (or group of batches run together)."""

    def on_epoch(self, report: EpochReport) -> None:
        """Called after each completed epoch."""

    def on_learning(self, probes: dict, snapshot: dict) -> None:
        """Called after each completed epoch with its probe predictions and first layer (learning.py)."""


@dataclass
class TrainingResult:
    """A trained model with the history of its completed epochs."""

    model: keras.Model
    architecture: str
    hyper_parameters: HyperParameters
    history: list[dict] = field(default_factory=list)
    stopped: bool = False
    train_seconds: float = 0.0
    train_count: int = 0
    validation_count: int = 0
    parent: str | None = None
    parent_history: list[dict] = field(default_factory=list)
    learning: dict = field(default_factory=dict)  # fashion.training.learning's probes and per-epoch snapshots
    trained_on: dict = field(default_factory=dict)  # what the model learnt from (training_arrays)

    @property
    def epochs_run(self) -> int:
        """How many epochs this run completed (a continued model's parent's epochs not counted)."""
        return len(self.history)


def split_training_data(
    dataset: Dataset, hyper_parameters: HyperParameters
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seeded subset and validation hold-out of the training set, as float32 images and labels."""
    generator = np.random.default_rng(hyper_parameters.seed)
    order = generator.permutation(len(dataset.train_labels))
    if hyper_parameters.train_limit is not None:
        order = order[: hyper_parameters.train_limit]
    validation_count = int(round(len(order) * hyper_parameters.validation_fraction))
    validation_indices = np.sort(order[:validation_count])
    train_indices = np.sort(order[validation_count:])
    if len(train_indices) == 0:
        raise ConfigurationError(_("no training images left after the validation hold-out."))
    return (
        scale_images(dataset.train_images[train_indices]),
        dataset.train_labels[train_indices].astype(np.int32),
        scale_images(dataset.train_images[validation_indices]),
        dataset.train_labels[validation_indices].astype(np.int32),
    )


def training_arrays(dataset: Dataset, hyper_parameters: HyperParameters):
    """split_training_data, plus the real photos' training part when the settings ask for them.

    Returns (train images, train labels, validation images, validation labels, trained_on); the
    validation images stay Fashion-MNIST's, so val_accuracy means what it always meant.
    """
    train_images, train_labels, validation_images, validation_labels = split_training_data(
        dataset, hyper_parameters
    )
    trained_on: dict[str, object] = {"fashion_mnist": int(len(train_labels))}
    if hyper_parameters.real_photos:
        photos = load_real_photos()
        photo_images, photo_labels = oversampled_training_part(photos, hyper_parameters.seed)
        training_photo_count = int((~photos.held_out).sum())
        negatives = load_generated_negatives(generated_count(training_photo_count))
        train_images = np.concatenate([train_images, scale_images(photo_images), scale_images(negatives)])
        negative_labels = np.full(len(negatives), NONE_LABEL, np.int32)
        train_labels = np.concatenate([train_labels, photo_labels, negative_labels])
        trained_on.update(
            real_photos=training_photo_count,
            generated_negatives=int(len(negatives)),
            real_photos_held_out=int(photos.held_out.sum()),
            real_photos_summary=photos.summary(),
            real_photos_source=photos.source,
        )
    if hyper_parameters.own_photos:
        own_images, own_labels = rendered_photos(hyper_parameters.own_photos)
        repeated_images = np.repeat(scale_images(own_images), OWN_PHOTO_REPEATS, axis=0)
        train_images = np.concatenate([train_images, repeated_images])
        train_labels = np.concatenate([train_labels, np.repeat(own_labels, OWN_PHOTO_REPEATS)])
        trained_on["own_photos"] = int(len(own_labels))
    return train_images, train_labels, validation_images, validation_labels, trained_on


def _make_progress_callback(listener, stop_event, hyper_parameters, steps_per_epoch, history, first_epoch=0):
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    epochs = hyper_parameters.epochs
    batch_size = hyper_parameters.batch_size

    class ProgressCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.partial_epoch = False
            self.epoch_started = 0.0
            self.training_started = 0.0
            self.steps_done_total = 0

        def on_train_begin(self, logs=None):
            self.training_started = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_started = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            # With steps_per_execution, Keras reports the last step of a group, which can overshoot.
            step = min(batch + 1, steps_per_epoch)
            now = time.perf_counter()
            epoch_elapsed = now - self.epoch_started
            seconds_per_step = epoch_elapsed / step
            completed_steps = len(history) * steps_per_epoch + step
            total_elapsed = now - self.training_started
            total_steps = epochs * steps_per_epoch
            overall_seconds_per_step = total_elapsed / max(1, completed_steps)
            logs = logs or {}
            listener.on_batch(
                BatchReport(
                    epoch=first_epoch + len(history) + 1,
                    epochs=first_epoch + epochs,
                    step=step,
                    steps=steps_per_epoch,
                    images_per_second=step * batch_size / epoch_elapsed if epoch_elapsed else 0.0,
                    epoch_seconds_left=(steps_per_epoch - step) * seconds_per_step,
                    total_seconds_left=(total_steps - completed_steps) * overall_seconds_per_step,
                    loss=float(logs.get("loss", math.nan)),
                    accuracy=float(logs.get("accuracy", math.nan)),
                )
            )
            if stop_event is not None and stop_event.is_set():
                self.model.stop_training = True
                if step < steps_per_epoch:
                    self.partial_epoch = True

        def on_epoch_end(self, epoch, logs=None):
            if self.partial_epoch:
                return
            logs = logs or {}
            report = EpochReport(
                epoch=epoch + 1,
                epochs=first_epoch + epochs,
                loss=float(logs["loss"]),
                accuracy=float(logs["accuracy"]),
                val_loss=float(logs["val_loss"]) if "val_loss" in logs else None,
                val_accuracy=float(logs["val_accuracy"]) if "val_accuracy" in logs else None,
                seconds=time.perf_counter() - self.epoch_started,
            )
            history.append(report.to_dict())
            listener.on_epoch(report)
            if stop_event is not None and stop_event.is_set():
                self.model.stop_training = True

    return ProgressCallback()


def fit_epochs(model, images, labels, hyper_parameters: HyperParameters, seed: int, **arguments) -> None:
    """Run the epochs in the in-memory loop, on new photo-like variants of the images each epoch when the
    settings ask for an augmentation."""
    settings = get_settings(hyper_parameters.augmentation)
    augmented = None if settings is None else partial(augmented_epoch, images, labels, settings, seed)
    fit_in_memory(
        model,
        images,
        labels,
        batch_size=hyper_parameters.batch_size,
        steps_per_execution=hyper_parameters.steps_per_execution,
        images_for_epoch=augmented,
        **arguments,
    )


def train(
    architecture_name: str,
    hyper_parameters: HyperParameters,
    dataset: Dataset,
    listener: TrainingListener | None = None,
    stop_event: threading.Event | None = None,
) -> TrainingResult:
    """Train a fresh model; returns early, with the completed epochs, once stop_event is set."""
    get_architecture(architecture_name)
    hyper_parameters = hyper_parameters.validated()
    configure_tensorflow()
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    listener = listener or TrainingListener()
    train_images, train_labels, validation_images, validation_labels, trained_on = training_arrays(
        dataset, hyper_parameters
    )
    steps_per_epoch = math.ceil(len(train_labels) / hyper_parameters.batch_size)
    set_op_determinism(hyper_parameters.deterministic)
    keras.utils.set_random_seed(hyper_parameters.seed)
    model = build_model(architecture_name, hyper_parameters, steps_per_epoch)
    history: list[dict] = []
    result = TrainingResult(
        model=model,
        architecture=architecture_name,
        hyper_parameters=hyper_parameters,
        history=history,
        train_count=len(train_labels),
        validation_count=len(validation_labels),
        trained_on=trained_on,
    )
    listener.on_start(hyper_parameters.epochs, steps_per_epoch, len(train_labels))
    if stop_event is not None and stop_event.is_set():
        result.stopped = True
        return result
    callback = _make_progress_callback(
        listener, stop_event, hyper_parameters, steps_per_epoch, history
    )
    probes = learning.probe_set(dataset.test_images, dataset.test_labels)
    learning_recorder = learning.recorder(probes, history, listener, result.learning)
    validation_data = (
        (validation_images, validation_labels) if len(validation_labels) else None
    )
    started = time.perf_counter()
    fit_epochs(
        model,
        train_images,
        train_labels,
        hyper_parameters,
        hyper_parameters.seed,
        epochs=hyper_parameters.epochs,
        validation_data=validation_data,
        callbacks=[callback, learning_recorder],
    )
    result.train_seconds = time.perf_counter() - started
    result.stopped = stop_event is not None and stop_event.is_set()
    return result


def continued_hyper_parameters(parent_record: dict, more_epochs: int) -> HyperParameters:
    """A parent's own settings with epochs counting its epochs and the more_epochs to come."""
    parent_epochs = len(parent_record.get("history", []))
    hyper_parameters = HyperParameters.from_dict(parent_record.get("hyper_parameters", {}))
    MORE_EPOCHS.check(more_epochs)
    # Whose photos the parent learnt from is not handed on: anyone may continue a saved model.
    return replace(hyper_parameters, epochs=parent_epochs + more_epochs, own_photos="").validated()


def _restart_schedule(model, hyper_parameters: HyperParameters, total_steps: int) -> None:
    """A new cosine decay over the continued steps, from the optimizer's restored step count on."""
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    if hyper_parameters.schedule != "cosine":
        return  # A constant rate was restored with the optimizer.
    optimizer = model.optimizer
    # Before warmup_steps (the parent's steps) it would warm up; the restored step count is past them.
    optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(
        hyper_parameters.learning_rate,
        max(1, total_steps),
        warmup_target=hyper_parameters.learning_rate,
        warmup_steps=int(optimizer.iterations.numpy()),
    )


def continue_training(
    parent_name: str,
    more_epochs: int,
    dataset: Dataset,
    listener: TrainingListener | None = None,
    stop_event: threading.Event | None = None,
) -> TrainingResult:
    """Train a saved model for more epochs with its own settings and its optimizer's saved state."""
    entry = store.get_entry(parent_name)
    parent_history = list(entry.saved_record.get("history", []))
    first_epoch = len(parent_history)
    total = continued_hyper_parameters(entry.saved_record, more_epochs)
    run_hyper_parameters = replace(total, epochs=more_epochs)
    architecture_name = entry.saved_record.get("architecture", "")
    get_architecture(architecture_name)
    configure_tensorflow()
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    listener = listener or TrainingListener()
    train_images, train_labels, validation_images, validation_labels, trained_on = training_arrays(
        dataset, total
    )
    steps_per_epoch = math.ceil(len(train_labels) / total.batch_size)
    # Another shuffle order than the parent's first epochs, the same on every continuation.
    set_op_determinism(total.deterministic)
    keras.utils.set_random_seed(total.seed + first_epoch)
    try:
        # compile=True restores the optimizer with its variables (Adam's moments, the step count).
        model = keras.saving.load_model(
            entry.model_path, safe_mode=True, compile=True, custom_objects=custom_objects()
        )
    except Exception as error:  # noqa: BLE001 - any failure to load means an unreadable model

        raise ModelStoreError(
            _("the saved model {parent_name!r} cannot be trained on ({error}).").format(
                parent_name=parent_name, error=error
            )
        ) from None
    _restart_schedule(model, total, steps_per_epoch * more_epochs)
    history: list[dict] = []
    result = TrainingResult(
        model=model,
        architecture=architecture_name,
        hyper_parameters=total,
        history=history,
        train_count=len(train_labels),
        validation_count=len(validation_labels),
        parent=entry.name,
        parent_history=parent_history,
        trained_on=trained_on,
    )
    listener.on_start(more_epochs, steps_per_epoch, len(train_labels))
    if stop_event is not None and stop_event.is_set():
        result.stopped = True
        return result
    callback = _make_progress_callback(
        listener, stop_event, run_hyper_parameters, steps_per_epoch, history, first_epoch
    )
    probes = learning.probe_set(dataset.test_images, dataset.test_labels)
    learning_recorder = learning.recorder(
        probes, history, listener, result.learning, entry.saved_record.get("learning")
    )
    validation_data = (validation_images, validation_labels) if len(validation_labels) else None
    started = time.perf_counter()
    fit_epochs(
        model,
        train_images,
        train_labels,
        total,
        total.seed + first_epoch,
        epochs=first_epoch + more_epochs,
        initial_epoch=first_epoch,
        validation_data=validation_data,
        callbacks=[callback, learning_recorder],
    )
    result.train_seconds = time.perf_counter() - started
    result.stopped = stop_event is not None and stop_event.is_set()
    return result
