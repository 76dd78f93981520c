"""'None of the ten': an out-of-distribution score for a photo, calibrated on the Fashion-MNIST test set.

The score is the entropy of the class probabilities averaged over the photo's TTA batch. Chosen by
measurement on real photos (BENCHMARKS.md, "Real photos"): the Mahalanobis distance of the
penultimate features flagged none of the out-of-distribution photos for the photo-robust model.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashion.data.fashion_mnist import cache_directory
from fashion.i18n import N_, _, format_percent
from fashion.photos.pipeline import tta_batch
from fashion.training.inference import as_model_input, predict_probabilities

# The threshold lets this fraction of calibration images through as in-distribution.
CALIBRATION_QUANTILE = 0.95
# What a threshold was set on, ending the Try page's doubt help ("... the level that <this> stay under").
# Translators: {quantile} is a percentage such as "95%"
CALIBRATED_ON_TEST_IMAGES = N_("{quantile} of the Fashion-MNIST test images")
# Translators: {quantile} is a percentage such as "95%"
CALIBRATED_ON_PHOTOS = N_("most held-out real photos of clothes and {quantile} of Fashion-MNIST")
# The threshold is set on this many even-indexed test images; the odd ones stay out for measuring.
CALIBRATION_COUNT = 2500


@dataclass(frozen=True)
class OodCalibration:
    """The score above which a photo is called none of the ten, and how many images set it."""

    threshold: float
    calibration_count: int
    # What the threshold was set on: one of the CALIBRATED_ON_ messages, translated by calibrated_on_text().
    calibrated_on: str = CALIBRATED_ON_TEST_IMAGES

    def calibrated_on_text(self) -> str:
        """What the threshold was set on, in the current language ("95% of the Fashion-MNIST test images")."""
        return _(self.calibrated_on).format(quantile=format_percent(CALIBRATION_QUANTILE, decimals=0))


def entropy(probabilities: np.ndarray) -> np.ndarray:
    """The entropy (nats) of each row of class probabilities."""
    probabilities = np.clip(np.asarray(probabilities, np.float64), 1e-12, 1.0)
    return -(probabilities * np.log(probabilities)).sum(axis=-1)


def scores_of_images(model, images: np.ndarray, batch_of) -> np.ndarray:
    """OOD scores of 28x28 images, each through batch_of (e.g. its TTA batch) as a photo would be."""
    batches = np.stack([batch_of(image) for image in as_model_input(images)])
    count, size = batches.shape[:2]
    probabilities = predict_probabilities(model, batches.reshape(count * size, *batches.shape[2:]))
    return entropy(probabilities.reshape(count, size, -1).mean(axis=1))


def calibrate(model, dataset, batch_of) -> OodCalibration:
    """The threshold at CALIBRATION_QUANTILE of the scores of the even test images (odd ones held out)."""
    scores = scores_of_images(model, dataset.test_images[0::2][:CALIBRATION_COUNT], batch_of)
    return OodCalibration(float(np.quantile(scores, CALIBRATION_QUANTILE)), len(scores))


# A model trained on the real photos is calibrated on its held-out photos (never trained on) and on
# the even Fashion-MNIST test images: the threshold is the higher of the two quantiles, so at most
# about 8 % of real clothing photos and 5 % of Fashion-MNIST images are called none of the ten.
PHOTO_QUANTILE = 0.92


def calibrate_on_photos(model, photo_images, photo_labels, fashion_test_images) -> dict:
    """Thresholds (with and without TTA) from held-out real photos and Fashion-MNIST, and their rates."""
    clothing = photo_images[photo_labels >= 0]
    outliers = photo_images[photo_labels < 0]
    fashion_images = fashion_test_images[0::2][:CALIBRATION_COUNT]
    saved = {
        "score": "entropy",
        "photo_quantile": PHOTO_QUANTILE,
        "fashion_quantile": CALIBRATION_QUANTILE,
        "held_out_photos": int(len(clothing)),
        "held_out_none": int(len(outliers)),
    }
    for name, batch_of in (("tta", tta_batch), ("single", lambda image: image[np.newaxis])):
        clothing_scores = scores_of_images(model, clothing, batch_of)
        fashion_scores = scores_of_images(model, fashion_images, batch_of)
        threshold = max(
            float(np.quantile(clothing_scores, PHOTO_QUANTILE)),
            float(np.quantile(fashion_scores, CALIBRATION_QUANTILE)),
        )
        outlier_scores = scores_of_images(model, outliers, batch_of) if len(outliers) else np.zeros(0)
        saved[name] = {
            "threshold": threshold,
            "held_out_photos_flagged": float((clothing_scores > threshold).mean()),
            "held_out_none_flagged": float((outlier_scores > threshold).mean()) if len(outliers) else None,
            "fashion_flagged": float((fashion_scores > threshold).mean()),
        }
    return saved


def saved_calibration(record: dict, tta: bool) -> OodCalibration | None:
    """The calibration a photo-trained model's record carries, or None when it has none."""
    try:
        saved = record["ood"]
        threshold = float(saved["tta" if tta else "single"]["threshold"])
        count = int(saved["held_out_photos"]) + int(saved["held_out_none"])
    except (KeyError, TypeError, ValueError):
        return None
    return OodCalibration(threshold, count, CALIBRATED_ON_PHOTOS)


def model_file_key(model_path, tta: bool) -> str:
    """A calibration cache key from the model file's content (copies share it) and the TTA switch."""
    return f"{hashlib.sha256(Path(model_path).read_bytes()).hexdigest()}|tta={tta}"


def cached_calibration(model, model_key: str, dataset, batch_of) -> OodCalibration:
    """The calibration of a model, read from the cache folder or computed once and written there."""

    settings = f"{model_key}|{dataset.source}|entropy|{CALIBRATION_QUANTILE}|{CALIBRATION_COUNT}"
    path = cache_directory() / f"ood-{hashlib.sha256(settings.encode()).hexdigest()[:24]}.json"
    try:
        saved = json.loads(path.read_text())
        return OodCalibration(float(saved["threshold"]), int(saved["calibration_count"]))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    calibration = calibrate(model, dataset, batch_of)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=".incomplete-", suffix=".json", dir=path.parent)
        with os.fdopen(handle, "w") as output:
            saved = {"threshold": calibration.threshold, "calibration_count": calibration.calibration_count}
            json.dump(saved, output)
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
        if self.ood_score is None or self.ood_threshold is None:
            return False
        return self.ood_score > self.ood_threshold


def predict_photo(model, batch: np.ndarray, calibration: OodCalibration | None) -> PhotoPrediction:
    """Class probabilities averaged over the batch (one model call), with the OOD score when calibrated."""
    probabilities = predict_probabilities(model, batch).mean(axis=0)
    if calibration is None:
        return PhotoPrediction(probabilities, None, None)
    return PhotoPrediction(probabilities, float(entropy(probabilities)), calibration.threshold)
