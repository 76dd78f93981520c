"""fashion.store.comparison on synthetic predictions: model counts, differing settings, deltas, disagreements.
"""

from __future__ import annotations

import numpy as np
import pytest

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.errors import ConfigurationError
from fashion.store import comparison


def one_hot(predicted: list[int]) -> np.ndarray:
    """Probabilities that predict the given classes with certainty."""
    probabilities = np.zeros((len(predicted), len(CLASS_NAMES)), dtype=np.float32)
    probabilities[np.arange(len(predicted)), predicted] = 1.0
    return probabilities


# Ten test images: the true classes, and what two models predict for them
LABELS = np.array([0, 0, 1, 1, 2, 2, 3, 3, 0, 1])
FIRST_PREDICTED = [0, 0, 1, 5, 2, 7, 3, 3, 4, 1]  # wrong on 3, 5, 8
SECOND_PREDICTED = [0, 6, 1, 1, 9, 7, 3, 2, 0, 1]  # wrong on 1, 4, 5, 7


def test_disagreements_split_by_which_model_is_right():
    only_first_right, only_second_right = comparison.disagreements(
        one_hot(FIRST_PREDICTED), one_hot(SECOND_PREDICTED), LABELS
    )
    assert only_first_right.tolist() == [1, 4, 7]
    # Image 5 is wrong for both, so it is in neither list
    assert only_second_right.tolist() == [3, 8]


def test_disagreements_of_one_true_class_keep_only_that_class():
    first, second = one_hot(FIRST_PREDICTED), one_hot(SECOND_PREDICTED)
    all_first, all_second = comparison.disagreements(first, second, LABELS)
    for true_class in range(len(CLASS_NAMES)):
        only_first_right, only_second_right = comparison.disagreements(first, second, LABELS, true_class)
        assert only_first_right.tolist() == [index for index in all_first if LABELS[index] == true_class]
        assert only_second_right.tolist() == [index for index in all_second if LABELS[index] == true_class]
    assert comparison.disagreements(first, second, LABELS, 0)[1].tolist() == [8]
    assert [len(side) for side in comparison.disagreements(first, second, LABELS, 9)] == [0, 0]


def test_identical_models_never_disagree():
    probabilities = one_hot(FIRST_PREDICTED)
    assert [len(side) for side in comparison.disagreements(probabilities, probabilities, LABELS)] == [0, 0]


def test_mistake_position_counts_mistakes_in_index_order():
    probabilities = one_hot(FIRST_PREDICTED)
    assert [comparison.mistake_position(probabilities, LABELS, index) for index in (3, 5, 8)] == [1, 2, 3]
    with pytest.raises(ConfigurationError, match="gets test image #2 right"):
        comparison.mistake_position(probabilities, LABELS, 2)


def test_accuracy_table_gives_deltas_from_the_first_model():
    first_per_class = [0.5 + index / 100 for index in range(10)]
    second_per_class = [0.4 + index / 50 for index in range(10)]
    rows = comparison.accuracy_table({"a": (0.8, first_per_class), "b": (0.75, second_per_class)})
    assert [row[""] for row in rows] == ["all test images", *CLASS_NAMES]
    assert rows[0]["a"] == 0.8 and rows[0]["b"] == 0.75
    assert rows[0]["b − a"] == pytest.approx(-0.05)
    for position in range(10):
        row = rows[position + 1]
        assert row["b − a"] == pytest.approx(second_per_class[position] - first_per_class[position])
        # The first model is the reference: no delta column of its own
        assert "a − a" not in row


def test_accuracy_table_of_three_models_has_two_delta_columns():
    per_class = [0.5] * 10
    rows = comparison.accuracy_table({"a": (0.5, per_class), "b": (0.6, per_class), "c": (0.4, per_class)})
    assert list(rows[0]) == ["", "a", "b", "b − a", "c", "c − a"]
    assert rows[0]["c − a"] == pytest.approx(-0.1)


def record(**changes) -> dict:
    """A stored record with tutorial settings, changed where given."""
    base = {
        "architecture": "tutorial",
        "epochs_run": 3,
        "hyper_parameters": {"epochs": 3, "batch_size": 32, "learning_rate": 0.001, "seed": 7},
        "parameter_count": 101770,
    }
    hyper_parameters = {**base["hyper_parameters"], **changes.pop("hyper_parameters", {})}
    return {**base, **changes, "hyper_parameters": hyper_parameters}


def test_differing_settings_lists_only_what_differs():
    records = {
        "first": record(),
        "second": record(hyper_parameters={"seed": 99, "epochs": 10}),
        "third": record(epochs_run=5, parent="first"),
    }
    differing = comparison.differing_settings(records)
    # epochs (what was asked) is not a setting of its own: epochs run says what was trained
    assert list(differing) == ["epochs run", "seed", "continued from"]
    assert differing["seed"] == {"first": 7, "second": 99, "third": 7}
    assert differing["epochs run"] == {"first": 3, "second": 3, "third": 5}
    assert differing["continued from"] == {"first": None, "second": None, "third": "first"}


def test_differing_settings_of_identical_records_is_empty():
    assert comparison.differing_settings({"first": record(), "second": record()}) == {}


@pytest.mark.parametrize("names", [["a"], ["a", "b", "c", "d", "e"], ["a", "a"]])
def test_check_model_count_refuses_too_few_too_many_or_repeated(names):
    with pytest.raises(ConfigurationError):
        comparison.check_model_count(names)


def test_check_model_count_accepts_two_to_four():
    for names in (["a", "b"], ["a", "b", "c"], ["a", "b", "c", "d"]):
        comparison.check_model_count(names)
