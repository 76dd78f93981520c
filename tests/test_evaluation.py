"""Evaluation: accuracy, loss, the confusion matrix, the gallery's filters and pages, from known numbers."""

from __future__ import annotations

import numpy as np
import pytest

from fashion.store import model_store as store
from fashion.training.evaluation import (
    confusion_cells,
    confusion_matrix,
    evaluate,
    filter_indices,
    misclassified_indices,
    page_count,
    page_slice,
    summarize,
)


def test_evaluation_figures_from_known_probabilities():
    labels = np.array([0, 1, 1, 2])
    probabilities = np.full((4, 10), 0.01, dtype=np.float32)
    probabilities[[0, 1, 2, 3], [0, 1, 0, 2]] = 0.91
    evaluation = summarize(probabilities, labels)
    assert evaluation.accuracy == 0.75
    assert evaluation.per_class_accuracy[:3] == [1.0, 0.5, 1.0]
    assert evaluation.confusion_matrix[1, 0] == 1 and evaluation.confusion_matrix.sum() == 4
    assert evaluation.loss == pytest.approx(-np.log(np.array([0.91, 0.91, 0.01, 0.91])).mean(), rel=1e-5)
    np.testing.assert_array_equal(misclassified_indices(probabilities, labels), [2])
    np.testing.assert_array_equal(filter_indices(probabilities, labels, true_class=1), [1, 2])
    np.testing.assert_array_equal(filter_indices(probabilities, labels, predicted_class=0), [0, 2])
    np.testing.assert_array_equal(confusion_matrix(labels, labels).diagonal()[:3], [1, 2, 1])


def test_most_confidently_wrong_first():
    labels = np.array([0, 0, 0])
    probabilities = np.zeros((3, 10), dtype=np.float32)
    probabilities[0, 3], probabilities[0, 0] = 0.6, 0.4
    probabilities[1, 0] = 1.0
    probabilities[2, 5], probabilities[2, 0] = 0.95, 0.05
    np.testing.assert_array_equal(misclassified_indices(probabilities, labels, "confidence"), [2, 0])


def test_confusion_cells_and_pages():
    matrix = np.zeros((10, 10), dtype=int)
    matrix[6, 0], matrix[2, 4], matrix[3, 3] = 7, 9, 50
    assert confusion_cells(matrix) == [(2, 4, 9), (6, 0, 7)]
    assert page_count(31, 15) == 3 and page_count(0, 15) == 1
    assert list(page_slice(np.arange(31), 3, 15)) == [30]


def test_evaluating_the_reloaded_model_gives_its_saved_figures(loaded_model, small_dataset):
    record = store.get_entry("small-tutorial").record
    evaluation = evaluate(loaded_model, small_dataset.test_images, small_dataset.test_labels)
    assert evaluation.accuracy == pytest.approx(record["test_accuracy"], abs=1e-6)
    assert evaluation.loss == pytest.approx(record["test_loss"], rel=1e-4)
    np.testing.assert_array_equal(evaluation.confusion_matrix, record["confusion_matrix"])
    assert evaluation.confusion_matrix.sum() == len(small_dataset.test_labels)
