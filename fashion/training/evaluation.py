"""Test-set evaluation: loss, accuracy, per-class accuracy and the confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fashion.data.fashion_mnist import NUM_CLASSES
from fashion.training.inference import predict_probabilities

# Keras clips probabilities to this epsilon in its cross-entropy; so do we.
EPSILON = 1e-7


@dataclass(frozen=True)
class Evaluation:
    """How a model does on labelled images."""

    loss: float
    accuracy: float
    per_class_accuracy: list[float]
    confusion_matrix: np.ndarray
    probabilities: np.ndarray

    @property
    def predicted_labels(self) -> np.ndarray:
        """The most probable class of each image."""
        return self.probabilities.argmax(axis=1)

    def to_record(self) -> dict:
        """The JSON-ready part kept in the model store."""
        return {
            "test_loss": self.loss,
            "test_accuracy": self.accuracy,
            "per_class_accuracy": self.per_class_accuracy,
            "confusion_matrix": self.confusion_matrix.tolist(),
        }


def confusion_matrix(true_labels: np.ndarray, predicted_labels: np.ndarray) -> np.ndarray:
    """Counts of (true class, predicted class) pairs, shape (10, 10)."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true_labels), np.asarray(predicted_labels)), 1)
    return matrix


def cross_entropy(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """Mean sparse categorical cross-entropy, as Keras computes it."""
    chosen = probabilities[np.arange(len(labels)), labels]
    return float(-np.mean(np.log(np.clip(chosen, EPSILON, 1.0 - EPSILON))))


def summarize(probabilities: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Evaluation figures from predicted probabilities and true labels."""
    labels = np.asarray(labels, dtype=np.int64)
    predicted = probabilities.argmax(axis=1)
    matrix = confusion_matrix(labels, predicted)
    totals = matrix.sum(axis=1)
    per_class = [
        float(matrix[label, label] / totals[label]) if totals[label] else 0.0
        for label in range(NUM_CLASSES)
    ]
    return Evaluation(
        loss=cross_entropy(probabilities, labels),
        accuracy=float(np.mean(predicted == labels)) if len(labels) else 0.0,
        per_class_accuracy=per_class,
        confusion_matrix=matrix,
        probabilities=probabilities,
    )


def evaluate(model, images: np.ndarray, labels: np.ndarray) -> Evaluation:
    """Predict every image and summarise how the model does."""
    return summarize(predict_probabilities(model, images), labels)


def misclassified_indices(
    probabilities: np.ndarray, labels: np.ndarray, order: str = "index"
) -> np.ndarray:
    """Indices of wrong predictions, by index or by most confidently wrong first."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    if order == "confidence":
        confidence = probabilities[wrong, predicted[wrong]]
        wrong = wrong[np.argsort(-confidence, kind="stable")]
    elif order != "index":
        raise ValueError(f"order must be 'index' or 'confidence', not {order!r}")
    return wrong


def filter_indices(
    probabilities: np.ndarray,
    labels: np.ndarray,
    only_wrong: bool = False,
    true_class: int | None = None,
    predicted_class: int | None = None,
) -> np.ndarray:
    """Indices of images matching every given condition, in index order."""
    predicted = probabilities.argmax(axis=1)
    keep = np.ones(len(labels), dtype=bool)
    if only_wrong:
        keep &= predicted != labels
    if true_class is not None:
        keep &= labels == true_class
    if predicted_class is not None:
        keep &= predicted == predicted_class
    return np.flatnonzero(keep)


def confusion_cells(matrix: np.ndarray) -> list[tuple[int, int, int]]:
    """The off-diagonal (true, predicted, count) cells that hold mistakes, most mistakes first."""
    matrix = np.asarray(matrix)
    cells = [
        (true_label, predicted_label, int(matrix[true_label, predicted_label]))
        for true_label in range(matrix.shape[0])
        for predicted_label in range(matrix.shape[1])
        if true_label != predicted_label and matrix[true_label, predicted_label] > 0
    ]
    return sorted(cells, key=lambda cell: (-cell[2], cell[0], cell[1]))


def page_slice(indices: np.ndarray, page: int, per_page: int) -> np.ndarray:
    """The indices shown on one page (pages count from 1); empty past the last page."""
    start = (page - 1) * per_page
    return np.asarray(indices)[start : start + per_page]


def page_count(total: int, per_page: int) -> int:
    """How many pages total items fill (at least 1)."""
    return max(1, -(-total // per_page))
