"""Why a model said what it said: saliency maps, nearest training images and a 2-D map of the test set.

Over 300 lines: saliency, neighbours and the map share the model's traced parts and feature cache.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fashion.data.fashion_mnist import IMAGE_SIZE, NUM_CLASSES
from fashion.errors import ExplanationError
from fashion.i18n import N_, _
from fashion.training.inference import PREDICTION_BATCH, as_model_input, predict_one

if TYPE_CHECKING:  # annotations only: Keras is imported when a model is explained
    import keras

CACHE_FOLDER = "explain-cache"
NEIGHBOUR_COUNT = 8
MAP_SAMPLE_SIZE = 3000
MAP_SEED = 0
INTEGRATED_GRADIENT_STEPS = 32


@dataclass(frozen=True)
class ModelParts:
    """A Sequential classifier cut where saliency and features are read."""

    spatial_layers: list  # up to the last layer with a 2-D feature map (empty for a dense net)
    feature_layers: list  # from there up to the penultimate layer
    classifier: keras.layers.Dense  # the final Dense layer (softmax), applied here without its activation


def model_parts(model) -> ModelParts:
    """Cut a Sequential net ending in Dense(10) into its spatial part, its features and its classifier."""
    layers = list(getattr(model, "layers", []))
    if not layers or type(layers[-1]).__name__ != "Dense" or layers[-1].units != NUM_CLASSES:
        raise ExplanationError(
            _("this model cannot be explained: it must be a Sequential network ending in Dense(10).")
        )
    body = layers[:-1]
    last_spatial = max(
        (position for position, layer in enumerate(body) if len(layer.output.shape) == 4), default=-1
    )
    return ModelParts(body[: last_spatial + 1], body[last_spatial + 1 :], layers[-1])


def saliency_method(model) -> str:
    """The saliency method for this model: Grad-CAM for a convolutional net, else integrated gradients."""
    return "Grad-CAM" if model_parts(model).spatial_layers else N_("integrated gradients")


def _apply(layers: list, values):
    for layer in layers:
        values = layer(values, training=False)
    return values


def _logits(parts: ModelParts, features):
    # The class scores before the softmax: their gradients never vanish on a confident prediction.
    # deferred: TensorFlow takes seconds to import
    import tensorflow as tf

    return tf.matmul(features, parts.classifier.kernel) + parts.classifier.bias


# Traced functions per loaded model; the weak keys let a dropped model be freed.
_traced: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_traced_lock = threading.Lock()


def _traced_functions(model) -> dict:
    with _traced_lock:
        functions = _traced.get(model)
        if functions is None:
            functions = _trace(model)
            _traced[model] = functions
    return functions


def _trace(model) -> dict:
    # deferred: TensorFlow takes seconds to import
    import tensorflow as tf

    parts = model_parts(model)
    image_spec = tf.TensorSpec((None, IMAGE_SIZE, IMAGE_SIZE), tf.float32)

    @tf.function(input_signature=[image_spec])
    def features(images):
        return _apply(parts.feature_layers, _apply(parts.spatial_layers, images))

    @tf.function(
        input_signature=[tf.TensorSpec((IMAGE_SIZE, IMAGE_SIZE), tf.float32), tf.TensorSpec((), tf.int32)]
    )
    def grad_cam(image, class_index):
        # The element-wise form of Grad-CAM (HiResCAM): our nets flatten the last map into a dense
        # layer, and averaging the gradients over positions (classic Grad-CAM) would credit places
        # the classifier never reads.
        activations = _apply(parts.spatial_layers, image[tf.newaxis])
        with tf.GradientTape() as tape:
            tape.watch(activations)
            score = _logits(parts, _apply(parts.feature_layers, activations))[0, class_index]
        gradients = tape.gradient(score, activations)
        heat = tf.nn.relu(tf.reduce_sum(gradients * activations, axis=-1))[..., tf.newaxis]
        return tf.image.resize(heat, (IMAGE_SIZE, IMAGE_SIZE), method="bilinear")[0, :, :, 0]

    @tf.function(
        input_signature=[tf.TensorSpec((IMAGE_SIZE, IMAGE_SIZE), tf.float32), tf.TensorSpec((), tf.int32)]
    )
    def integrated_gradients(image, class_index):
        # From a black image (the data's background) to the image in equal steps (midpoint rule).
        fractions = (tf.range(INTEGRATED_GRADIENT_STEPS, dtype=tf.float32) + 0.5) / INTEGRATED_GRADIENT_STEPS
        path = fractions[:, tf.newaxis, tf.newaxis] * image[tf.newaxis]
        with tf.GradientTape() as tape:
            tape.watch(path)
            scores = _logits(parts, _apply(parts.feature_layers, path))[:, class_index]
        gradients = tape.gradient(scores, path)
        return tf.nn.relu(image * tf.reduce_mean(gradients, axis=0))

    return {"features": features, "saliency": grad_cam if parts.spatial_layers else integrated_gradients}


def saliency_map(model, image: np.ndarray, class_index: int) -> np.ndarray:
    """Where the image holds evidence for class_index: a (28, 28) map in [0, 1] (all 0 when none)."""
    if not 0 <= int(class_index) < NUM_CLASSES:
        raise ExplanationError(
            _("the class must be between 0 and {last_class}, not {class_index}.").format(
                last_class=NUM_CLASSES - 1, class_index=class_index
            )
        )
    image = as_model_input(image)[0]
    heat = np.asarray(_traced_functions(model)["saliency"](image, np.int32(class_index)), dtype=np.float32)
    peak = float(heat.max())
    return heat / peak if peak > 0 else np.zeros_like(heat)


def penultimate_features(model, images: np.ndarray, dtype=np.float32, progress=None) -> np.ndarray:
    """The penultimate layer's values (N, D) for a batch of images, computed in chunks.

    progress, if given, is called as progress(images_done, images_total) after each chunk.
    """
    images = np.asarray(images)
    if images.ndim == 2:
        images = images[np.newaxis]
    forward = _traced_functions(model)["features"]
    features = None
    # Filled in place: a list of chunks joined at the end would hold the whole array twice.
    for start in range(0, len(images), PREDICTION_BATCH):
        chunk = np.asarray(forward(as_model_input(images[start : start + PREDICTION_BATCH])))
        if features is None:
            features = np.empty((len(images), chunk.shape[1]), dtype=dtype)
        features[start : start + len(chunk)] = chunk
        if progress is not None:
            progress(start + len(chunk), len(images))
    return features if features is not None else np.zeros((0, 0), dtype=dtype)


def cache_key(model_directory: Path, images: np.ndarray) -> str:
    """A fingerprint of the saved model file and the images: a cache made for others is never used."""
    model_file = Path(model_directory) / "model.keras"
    try:
        status = model_file.stat()
    except OSError as error:
        raise ExplanationError(
            _("cannot read the saved model {model_file}: {reason}.").format(
                model_file=model_file, reason=error.strerror
            )
        ) from None
    digest = hashlib.sha256(f"{status.st_size}-{status.st_mtime_ns}-{images.shape}".encode())
    digest.update(np.ascontiguousarray(images[:: max(1, len(images) // 512)]).tobytes())
    return digest.hexdigest()[:16]


def _cached_arrays(model_directory: Path, kind: str, key: str, build) -> dict:
    """Arrays from explain-cache/<kind>-<key>.npz, built and written (atomically) when absent."""
    folder = Path(model_directory) / CACHE_FOLDER
    path = folder / f"{kind}-{key}.npz"
    try:
        with np.load(path) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, ValueError, EOFError):
        pass
    arrays = build()
    try:
        folder.mkdir(exist_ok=True)
        for stale in folder.glob(f"{kind}-*.npz"):
            stale.unlink(missing_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".incomplete-", suffix=".npz", dir=folder)
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
        os.replace(temporary, path)
    except OSError:
        pass  # A read-only store: the arrays still serve this process, only the disk copy is missing.
    return arrays


def training_features(model, model_directory: Path, train_images: np.ndarray, progress=None) -> np.ndarray:
    """The penultimate features (float16) of every training image, cached beside the saved model.

    progress, if given, hears progress(images_done, images_total) while they are computed.
    """
    key = cache_key(model_directory, train_images)
    arrays = _cached_arrays(
        model_directory,
        "train-features",
        key,
        lambda: {"features": penultimate_features(model, train_images, np.float16, progress)},
    )
    return arrays["features"]


class NeighbourIndex:
    """Nearest training images by cosine distance between penultimate features."""

    def __init__(self, features: np.ndarray):
        self.unit_features = np.array(features, dtype=np.float32)  # a copy, normalised in place
        norms = np.linalg.norm(self.unit_features, axis=1, keepdims=True)
        self.unit_features /= np.maximum(norms, 1e-12)

    def query(self, features: np.ndarray, count: int = NEIGHBOUR_COUNT) -> tuple[np.ndarray, np.ndarray]:
        """The indices (closest first) and cosine distances of the count nearest training images."""
        query = np.asarray(features, dtype=np.float32).reshape(-1)
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        distances = 1.0 - self.unit_features @ query
        count = min(count, len(distances))
        nearest = np.argpartition(distances, count - 1)[:count]
        nearest = nearest[np.lexsort((nearest, distances[nearest]))]
        return nearest, distances[nearest]


def neighbour_index(model, model_directory: Path, train_images: np.ndarray, progress=None) -> NeighbourIndex:
    """A model's nearest-neighbour index over the training images (features cached beside the model).

    The one way the app (on a background thread, with progress) and the CLI build it.
    """
    return NeighbourIndex(training_features(model, model_directory, train_images, progress))


@dataclass(frozen=True)
class EmbeddingMap:
    """A stratified sample of the test set placed in 2-D by PCA of the penultimate features."""

    indices: np.ndarray  # test-set indices of the points
    coordinates: np.ndarray  # (N, 2)
    mean: np.ndarray  # (D,) feature mean removed before projecting
    components: np.ndarray  # (2, D) the two principal directions
    explained_variance: np.ndarray  # (2,) share of the variance along each direction

    def project(self, features: np.ndarray) -> np.ndarray:
        """Where other images' features (N, D) land on this map, (N, 2)."""
        return (np.asarray(features, dtype=np.float32) - self.mean) @ self.components.T


def stratified_sample(labels: np.ndarray, size: int, seed: int = MAP_SEED) -> np.ndarray:
    """Up to size indices (sorted), the same number from each class where the classes allow."""
    generator = np.random.default_rng(seed)
    per_class = -(-size // NUM_CLASSES)
    chosen = [
        generator.permutation(np.flatnonzero(labels == label))[:per_class] for label in range(NUM_CLASSES)
    ]
    return np.sort(np.concatenate(chosen))[:size] if size < len(labels) else np.arange(len(labels))


def principal_components(features: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mean, the two leading principal directions (2, D) and their shares of the variance."""
    mean = features.mean(axis=0)
    _, singular_values, directions = np.linalg.svd(features - mean, full_matrices=False)
    # A direction's sign is arbitrary: fix it so the map does not flip between rebuilds.
    directions = directions[:2] * np.sign(directions[:2].sum(axis=1, keepdims=True) + 1e-12)
    variance = singular_values**2
    return mean, directions.astype(np.float32), (variance[:2] / max(variance.sum(), 1e-12)).astype(np.float32)


def embedding_map(
    model,
    model_directory: Path,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    size: int = MAP_SAMPLE_SIZE,
) -> EmbeddingMap:
    """The 2-D map of a stratified test sample, cached beside the saved model."""

    def build() -> dict:
        indices = stratified_sample(test_labels, size)
        features = penultimate_features(model, test_images[indices])
        mean, components, explained = principal_components(features)
        coordinates = (features - mean) @ components.T
        return {
            "indices": indices,
            "coordinates": coordinates.astype(np.float32),
            "mean": mean.astype(np.float32),
            "components": components,
            "explained_variance": explained,
        }

    key = cache_key(model_directory, test_images) + f"-{size}"
    return EmbeddingMap(**_cached_arrays(model_directory, "map", key, build))


@dataclass(frozen=True)
class Explanation:
    """What "Why?" shows: probabilities, saliency per class and the nearest training images."""

    probabilities: np.ndarray
    true_label: int | None
    method: str
    saliency_maps: dict  # class label -> (28, 28) map in [0, 1]
    neighbour_indices: np.ndarray
    neighbour_distances: np.ndarray
    features: np.ndarray

    @property
    def predicted_label(self) -> int:
        """The class the model chose."""
        return int(np.argmax(self.probabilities))


def explain_image(
    model, image: np.ndarray, neighbours: NeighbourIndex, true_label: int | None = None
) -> Explanation:
    """Saliency for the predicted class (and the true one when it differs) and the nearest training images."""
    probabilities = predict_one(model, image)
    predicted = int(np.argmax(probabilities))
    classes = [predicted] + (
        [int(true_label)] if true_label is not None and int(true_label) != predicted else []
    )
    features = penultimate_features(model, image)[0]
    nearest, distances = neighbours.query(features)
    return Explanation(
        probabilities=probabilities,
        true_label=None if true_label is None else int(true_label),
        method=saliency_method(model),
        saliency_maps={label: saliency_map(model, image, label) for label in classes},
        neighbour_indices=nearest,
        neighbour_distances=distances,
        features=features,
    )
