"""'None of the ten': an out-of-distribution score for a photo, calibrated on the Fashion-MNIST test set."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fashion.inference import as_model_input, predict_probabilities

# The threshold lets this fraction of calibration images through as in-distribution.
CALIBRATION_QUANTILE = 0.96
# Class statistics come from this many training images (seeded), enough for 128 features.
FEATURE_FIT_COUNT = 10_000
FEATURE_BATCH = 1024
# The threshold is set on this many even-indexed test images; the odd ones stay out for measuring.
CALIBRATION_COUNT = 2500


@dataclass(frozen=True)
class OodCalibration:
    """Class means and shared precision of the penultimate features, and the score threshold."""

    class_means: np.ndarray  # (10, D)
    precision: np.ndarray  # (D, D)
    threshold: float
    calibration_count: int


def feature_model(model):
    """A Keras model giving the penultimate features (the last layer's input) and the probabilities."""
    import keras

    return keras.Model(model.inputs, [model.layers[-1].input, model.outputs[0]])


def _outputs(features_of, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features (N, D) float64 and probabilities (N, 10) of images, in chunks."""
    feature_chunks, probability_chunks = [], []
    for start in range(0, len(images), FEATURE_BATCH):
        features, probabilities = features_of(
            [as_model_input(images[start : start + FEATURE_BATCH])], training=False
        )
        feature_chunks.append(np.asarray(features))
        probability_chunks.append(np.asarray(probabilities))
    return np.concatenate(feature_chunks).astype(np.float64), np.concatenate(probability_chunks)


def _features(features_of, images: np.ndarray) -> np.ndarray:
    return _outputs(features_of, images)[0]


def _distances(calibration_means: np.ndarray, precision: np.ndarray, features: np.ndarray) -> np.ndarray:
    """The smallest Mahalanobis distance of each feature row to a class mean."""
    differences = features[:, None, :] - calibration_means[None, :, :]
    squared = np.einsum("ncd,de,nce->nc", differences, precision, differences)
    return np.sqrt(np.maximum(squared.min(axis=1), 0.0))


def calibrate(model, dataset, batch_of) -> OodCalibration:
    """Fit class statistics on training images; set the threshold on the even test images.

    batch_of maps one 28x28 float image to the batch a photo would get (e.g. its TTA batch), so the
    test images are scored exactly as photos are; the odd test images stay out for measuring.
    """
    features_of = feature_model(model)
    generator = np.random.default_rng(0)
    chosen = generator.permutation(len(dataset.train_labels))[:FEATURE_FIT_COUNT]
    train_features = _features(features_of, dataset.train_images[chosen])
    train_labels = dataset.train_labels[chosen]
    classes = np.unique(train_labels)
    class_means = np.stack([train_features[train_labels == label].mean(axis=0) for label in classes])
    centred = train_features - class_means[np.searchsorted(classes, train_labels)]
    covariance = centred.T @ centred / len(centred)
    covariance += np.eye(len(covariance)) * 1e-3 * np.trace(covariance) / len(covariance)
    precision = np.linalg.inv(covariance)
    calibration_images = dataset.test_images[0::2][:CALIBRATION_COUNT]
    scores = scores_of_images(features_of, class_means, precision, calibration_images, batch_of)
    return OodCalibration(
        class_means, precision, float(np.quantile(scores, CALIBRATION_QUANTILE)), len(scores)
    )


def scores_of_images(features_of, class_means, precision, images: np.ndarray, batch_of) -> np.ndarray:
    """OOD scores of 28x28 images, each through batch_of and its features averaged."""
    scaled = as_model_input(images)
    batches = [batch_of(image) for image in scaled]
    size = len(batches[0])
    features = _features(features_of, np.concatenate(batches)).reshape(len(images), size, -1).mean(axis=1)
    return _distances(class_means, precision, features)


_feature_models: dict[int, tuple[object, object]] = {}


def feature_model_cached(model):
    """The feature model of a loaded model, built once per model object."""
    entry = _feature_models.get(id(model))
    if entry is None or entry[0] is not model:
        entry = (model, feature_model(model))
        _feature_models[id(model)] = entry
    return entry[1]


def model_file_key(model_path, tta: bool) -> str:
    """A calibration cache key from the model file's content (copies share it) and the TTA switch."""
    import hashlib
    from pathlib import Path

    return f"{hashlib.sha256(Path(model_path).read_bytes()).hexdigest()}|tta={tta}"


def cached_calibration(model, model_key: str, dataset, batch_of) -> OodCalibration:
    """The calibration of a model, read from the cache folder or computed once and written there."""
    import hashlib
    import os
    import tempfile

    from fashion.data import cache_directory

    digest = hashlib.sha256(
        f"{model_key}|{dataset.source}|{CALIBRATION_QUANTILE}|{CALIBRATION_COUNT}".encode()
    ).hexdigest()[:24]
    path = cache_directory() / f"ood-{digest}.npz"
    try:
        with np.load(path) as saved:
            return OodCalibration(
                saved["class_means"], saved["precision"], float(saved["threshold"]), int(saved["count"])
            )
    except (OSError, ValueError, KeyError):
        pass
    calibration = calibrate(model, dataset, batch_of)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".incomplete-", suffix=".npz", dir=path.parent)
        with os.fdopen(handle, "wb") as output:
            np.savez(
                output,
                class_means=calibration.class_means,
                precision=calibration.precision,
                threshold=calibration.threshold,
                count=calibration.calibration_count,
            )
        os.replace(temporary, path)
    except OSError:
        pass  # A cache that cannot be written is skipped; the next run calibrates again.
    return calibration


@dataclass(frozen=True)
class PhotoPrediction:
    """The mean class probabilities of a photo's batch and whether it is none of the ten."""

    probabilities: np.ndarray
    ood_score: float | None
    ood_threshold: float | None

    @property
    def out_of_distribution(self) -> bool:
        """True when the score is above the calibrated threshold."""
        return self.ood_score is not None and self.ood_score > self.ood_threshold


def predict_photo(model, batch: np.ndarray, calibration: OodCalibration | None) -> PhotoPrediction:
    """Class probabilities averaged over the batch (one call), with the OOD score when calibrated."""
    if calibration is None:
        return PhotoPrediction(predict_probabilities(model, batch).mean(axis=0), None, None)
    features, probabilities = _outputs(feature_model_cached(model), batch)
    score = _distances(calibration.class_means, calibration.precision, features.mean(axis=0, keepdims=True))
    return PhotoPrediction(probabilities.mean(axis=0), float(score[0]), calibration.threshold)
