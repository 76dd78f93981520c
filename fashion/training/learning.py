"""Watching a model learn: after each epoch, its predictions for fixed probe images and its first layer.

A run keeps {"probes": ..., "snapshots": [...]} in the model's record, so a saved model replays its own
training. Arrays travel as base64 of uint8 so that the record and the worker's reports stay small.
"""

from __future__ import annotations

import base64

import numpy as np

from fashion.data.fashion_mnist import IMAGE_SIZE, NUM_CLASSES
from fashion.explain.explanations import stratified_sample
from fashion.training.inference import as_model_input

PROBES_PER_CLASS = 2
PROBE_SEED = 0
TEMPLATE_COUNT = 8  # the dense net's first hidden units shown as 28x28 templates


def encode(array: np.ndarray) -> str:
    """uint8 array bytes as base64 text."""
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.uint8).tobytes()).decode("ascii")


def decode(text: str, shape) -> np.ndarray:
    """The uint8 array of this shape from base64 text."""
    return np.frombuffer(base64.b64decode(text), dtype=np.uint8).reshape(shape)


def probe_set(test_images: np.ndarray, test_labels: np.ndarray) -> dict:
    """The fixed probe images of a run: PROBES_PER_CLASS test images of each class."""
    indices = stratified_sample(test_labels, PROBES_PER_CLASS * NUM_CLASSES, PROBE_SEED)
    return {
        "indices": [int(index) for index in indices],
        "labels": [int(label) for label in test_labels[indices]],
        "images": encode(test_images[indices]),
    }


def probe_images(probes: dict) -> np.ndarray:
    """The probe images (P, 28, 28) as uint8."""
    return decode(probes["images"], (len(probes["indices"]), IMAGE_SIZE, IMAGE_SIZE))


def first_layer_weights(model) -> np.ndarray:
    """The first kernel as images (K, h, w) in [-1, 1]: a dense net's templates or a CNN's filters."""
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        weights = np.asarray(kernel)
        if weights.ndim == 2:  # Dense on the flattened image: one 28x28 template per unit
            images = weights[:, :TEMPLATE_COUNT].T.reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
        else:  # Conv2D (h, w, 1, filters): one small filter per output channel
            images = np.transpose(weights[:, :, 0, :], (2, 0, 1))
        peaks = np.abs(images).max(axis=(1, 2), keepdims=True)
        return images / np.where(peaks > 0, peaks, 1)
    return np.zeros((0, 1, 1), dtype=np.float32)


def take_snapshot(model, epoch: int, images: np.ndarray) -> dict:
    """One epoch's probe probabilities and first-layer images, encoded for the record."""
    probabilities = np.asarray(model(as_model_input(images), training=False))
    weights = first_layer_weights(model)
    return {
        "epoch": int(epoch),
        "probabilities": encode(np.round(probabilities * 255)),
        "first_layer": encode(np.round((weights + 1) * 127.5)),
        "first_layer_shape": list(weights.shape),
    }


def decode_snapshot(snapshot: dict, probe_count: int) -> tuple[np.ndarray, np.ndarray]:
    """(probabilities (P, 10) in [0, 1], first-layer images (K, h, w) in [-1, 1]) of one snapshot."""
    probabilities = decode(snapshot["probabilities"], (probe_count, NUM_CLASSES)).astype(np.float32) / 255
    weights = decode(snapshot["first_layer"], snapshot["first_layer_shape"]).astype(np.float32) / 127.5 - 1
    return probabilities, weights


def recorder(probes: dict, history: list, listener, learning: dict, parent_learning: dict | None = None):
    """A Keras callback that snapshots each completed epoch into learning and tells the listener.

    A continued run starts from its parent's snapshots when the parent watched the same probes.
    """
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras

    images = probe_images(probes)
    parent_learning = parent_learning or {}
    same_probes = parent_learning.get("probes", {}).get("indices") == probes["indices"]
    earlier = list(parent_learning.get("snapshots", [])) if same_probes else []
    learning.update({"probes": probes, "snapshots": earlier})

    class LearningRecorder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            # Only epochs the history kept: a run stopped mid-epoch records nothing for that epoch.
            if not history or history[-1]["epoch"] != epoch + 1:
                return
            snapshot = take_snapshot(self.model, epoch + 1, images)
            learning["snapshots"].append(snapshot)
            on_learning = getattr(listener, "on_learning", None)
            if on_learning is not None:
                on_learning(probes, snapshot)

    return LearningRecorder()
