"""Class probabilities from a model: in batches, one image at a time, the top classes, an unsure warning."""

from __future__ import annotations

import threading
import weakref

import numpy as np

from fashion.data.fashion_mnist import CLASS_NAMES, IMAGE_SIZE, scale_images
from fashion.i18n import _, format_percent

UNSURE_BELOW = 0.5
PREDICTION_BATCH = 512


def as_model_input(images: np.ndarray) -> np.ndarray:
    """float32 images in [0, 1] of shape (N, 28, 28), from uint8 or float input."""
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[np.newaxis]
    if images.dtype == np.uint8:
        return scale_images(images)
    return images.astype(np.float32, copy=False)


def predict_probabilities(model, images: np.ndarray) -> np.ndarray:
    """Class probabilities (N, 10) for a batch of images, computed in chunks."""
    images = np.asarray(images)
    if len(images) == 0:
        return np.zeros((0, len(CLASS_NAMES)), dtype=np.float32)
    forward = _forward_pass(model)
    chunks = [
        forward(as_model_input(images[start : start + PREDICTION_BATCH])).numpy()
        for start in range(0, len(images), PREDICTION_BATCH)
    ]
    return np.concatenate(chunks).astype(np.float32, copy=False)


# One traced forward pass per loaded model; the weak keys let a model that is dropped be freed.
_forward_passes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_forward_passes_lock = threading.Lock()


def _forward_pass(model):
    """The model's inference call as a tf.function, traced once per model and then reused."""
    with _forward_passes_lock:
        forward = _forward_passes.get(model)
        if forward is None:
            # deferred: TensorFlow takes seconds to import
            import tensorflow as tf

            model_reference = weakref.ref(model)
            forward = tf.function(
                lambda images: model_reference()(images, training=False),
                input_signature=[tf.TensorSpec((None, IMAGE_SIZE, IMAGE_SIZE), tf.float32)],
            )
            _forward_passes[model] = forward
    return forward


def predict_one(model, image: np.ndarray) -> np.ndarray:
    """Class probabilities (10,) for one 28x28 image, through the model's cached traced call."""
    return np.asarray(_forward_pass(model)(as_model_input(image)))[0]


def top_classes(probabilities: np.ndarray, count: int = 3) -> list[tuple[int, str, float]]:
    """The most probable classes as (label, name, probability), best first."""
    order = np.argsort(-np.asarray(probabilities), kind="stable")[:count]
    return [(int(label), CLASS_NAMES[label], float(probabilities[label])) for label in order]


def unsure_warning(probabilities: np.ndarray) -> str | None:
    """A warning when the model's top probability is below UNSURE_BELOW, else None."""
    top = float(np.max(probabilities))
    if top < UNSURE_BELOW:
        return _(
            "The model is unsure: its best guess has only {percent} confidence. "
            "Fashion-MNIST photos are single items, centred, on a plain background."
        ).format(percent=format_percent(top, decimals=0))
    return None
