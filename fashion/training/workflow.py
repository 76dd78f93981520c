"""Train, evaluate on the test set and save: the one sequence the CLI and the Train page share."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from fashion.data.fashion_mnist import Dataset, scale_images
from fashion.data.real_photos import load_real_photos
from fashion.photos import ood
from fashion.store import model_store as store
from fashion.training.evaluation import Evaluation, evaluate
from fashion.training.models import HyperParameters
from fashion.training.run import TrainingListener, TrainingResult, continue_training, train


@dataclass
class FinishedRun:
    """What a finished (or stopped) training run produced."""

    result: TrainingResult
    evaluation: Evaluation | None
    entry: store.StoreEntry | None


def make_record(result: TrainingResult, evaluation: Evaluation, dataset: Dataset) -> dict:
    """The JSON record saved beside a model."""
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras
    import tensorflow as tf

    return {
        "architecture": result.architecture,
        "hyper_parameters": result.hyper_parameters.to_dict(),
        "history": result.parent_history + result.history,
        "epochs_run": len(result.parent_history) + result.epochs_run,
        **({"parent": result.parent, "continued_epochs": result.epochs_run} if result.parent else {}),
        "stopped_early": result.stopped,
        **evaluation.to_record(),
        "train_seconds": result.train_seconds,
        "train_count": result.train_count,
        "validation_count": result.validation_count,
        "test_count": int(len(dataset.test_labels)),
        "parameter_count": int(result.model.count_params()),
        "data_source": dataset.source,
        "tensorflow_version": tf.__version__,
        "keras_version": keras.__version__,
        **({"learning": result.learning} if result.learning.get("snapshots") else {}),
        **({"trained_on": result.trained_on} if result.trained_on else {}),
    }


def photo_calibration(model, dataset: Dataset) -> dict | None:
    """The "none of the ten" calibration of a model trained on the real photos, on their held-out part.

    None when no held-out clothing photo is there (a partial folder): the model then falls back to
    the calibration on the Fashion-MNIST test set, as any other model.
    """
    images, labels = load_real_photos().part(held_out=True)
    if not (labels >= 0).any():
        return None
    return ood.calibrate_on_photos(model, scale_images(images), labels, dataset.test_images)


def train_evaluate_save(
    architecture_name: str,
    hyper_parameters: HyperParameters,
    dataset: Dataset,
    name: str | None = None,
    listener: TrainingListener | None = None,
    stop_event: threading.Event | None = None,
    on_saving=None,
    parent: str | None = None,
) -> FinishedRun:
    """Train (or continue parent up to hyper_parameters.epochs), evaluate, save; nothing if no epoch ends."""
    if parent is None:
        result = train(architecture_name, hyper_parameters, dataset, listener, stop_event)
    else:
        parent_epochs = len(store.get_entry(parent).saved_record.get("history", []))
        more_epochs = hyper_parameters.epochs - parent_epochs
        result = continue_training(parent, more_epochs, dataset, listener, stop_event)
    if result.epochs_run == 0:
        return FinishedRun(result, None, None)
    if on_saving is not None:
        on_saving()
    evaluation = evaluate(result.model, dataset.test_images, dataset.test_labels)
    record = make_record(result, evaluation, dataset)
    calibration = photo_calibration(result.model, dataset) if result.hyper_parameters.real_photos else None
    if calibration is not None:
        record["ood"] = calibration
    entry = store.save_model(result.model, record, name)
    return FinishedRun(result, evaluation, entry)
