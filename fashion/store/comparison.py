"""Saved models side by side: the settings that differ, accuracy with deltas, where they disagree."""

from __future__ import annotations

import numpy as np

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.errors import ConfigurationError
from fashion.i18n import N_, _
from fashion.training.evaluation import misclassified_indices
from fashion.training.models import preset_label

MIN_MODELS, MAX_MODELS = 2, 4
# The settings a record holds, in the order a reader expects them, with their labels.
SETTING_LABELS = {
    "architecture": N_("architecture"),
    "preset": N_("preset"),
    "augmentation": N_("augmentation"),
    "epochs_run": N_("epochs run"),
    "batch_size": N_("batch size"),
    "learning_rate": N_("learning rate"),
    "schedule": N_("learning-rate schedule"),
    "seed": N_("seed"),
    "validation_fraction": N_("validation fraction"),
    "train_limit": N_("training subset"),
    "steps_per_execution": N_("batches per step"),
    "deterministic": N_("exactly reproducible"),
    "parent": N_("continued from"),
    "train_count": N_("training images"),
    "parameter_count": N_("parameters"),
}


def check_model_count(names: list[str]) -> None:
    """ConfigurationError unless 2 to 4 different models are chosen."""
    if len(set(names)) != len(names):
        raise ConfigurationError(_("choose each model once."))
    if not MIN_MODELS <= len(names) <= MAX_MODELS:
        raise ConfigurationError(
            _("choose {min_models} to {max_models} models to compare, not {count}.").format(
                min_models=MIN_MODELS, max_models=MAX_MODELS, count=len(names)
            )
        )


def settings_of(record: dict) -> dict:
    """The settings of one record, flattened: architecture, hyper-parameters, lineage, sizes."""
    hyper_parameters = record.get("hyper_parameters") or {}
    merged = {**hyper_parameters, **{key: record.get(key) for key in SETTING_LABELS if key in record}}
    merged.pop("epochs", None)  # epochs_run says what was trained; epochs is only what was asked
    merged["preset"] = preset_label(record)
    merged.setdefault("augmentation", "none")  # records from before augmentation trained without it
    return {label: merged.get(key) for key, label in SETTING_LABELS.items()}


def differing_settings(records: dict[str, dict]) -> dict[str, dict[str, object]]:
    """{setting: {model name: value}} for the settings whose values are not all the same."""
    settings = {name: settings_of(record) for name, record in records.items()}
    differing = {}
    for label in SETTING_LABELS.values():
        values = {name: settings[name][label] for name in records}
        if len({repr(value) for value in values.values()}) > 1:
            differing[label] = values
    return differing


def accuracy_table(accuracies: dict[str, tuple[float, list[float]]]) -> list[dict]:
    """Rows (overall, then each class) of each model's accuracy and its delta from the first model."""
    names = list(accuracies)
    first = names[0]
    rows = []
    labels = [_("all test images"), *(_(name) for name in CLASS_NAMES)]
    for position, label in enumerate(labels):
        row: dict[str, str | float] = {"": label}
        for name in names:
            overall, per_class = accuracies[name]
            value = overall if position == 0 else per_class[position - 1]
            row[name] = value
            if name != first:
                reference = accuracies[first][0] if position == 0 else accuracies[first][1][position - 1]
                row[f"{name} − {first}"] = value - reference
        rows.append(row)
    return rows


def disagreements(
    first_probabilities: np.ndarray,
    second_probabilities: np.ndarray,
    labels: np.ndarray,
    true_class: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Test indices (only_first_right, only_second_right), optionally of one true class, ascending."""
    labels = np.asarray(labels)
    first_right = np.asarray(first_probabilities).argmax(axis=1) == labels
    second_right = np.asarray(second_probabilities).argmax(axis=1) == labels
    chosen = np.ones(len(labels), dtype=bool) if true_class is None else labels == true_class
    return (
        np.flatnonzero(first_right & ~second_right & chosen),
        np.flatnonzero(second_right & ~first_right & chosen),
    )


def mistake_position(probabilities: np.ndarray, labels: np.ndarray, index: int) -> int:
    """The 1-based position of a test image among a model's mistakes in index order (the mistake view)."""
    wrong = misclassified_indices(probabilities, labels, "index")
    found = np.flatnonzero(wrong == index)
    if len(found) == 0:
        raise ConfigurationError(
            _("the model gets test image #{index} right; it is not one of its mistakes.").format(index=index)
        )
    return int(found[0]) + 1
