"""Recipes: settings to a link and back, bad links refused, and the reproducible mode reproduces."""

from __future__ import annotations

import numpy as np
import pytest

from fashion.errors import ConfigurationError
from fashion.training import recipes
from fashion.training.models import HyperParameters, get_architecture
from fashion.training.run import train
from fashion.training.workflow import train_evaluate_save


def test_a_recipe_goes_to_a_link_and_back():
    settings = HyperParameters(
        epochs=4,
        batch_size=100,
        learning_rate=0.002,
        seed=5,
        train_limit=600,
        schedule="cosine",
        deterministic=True,
    )
    query = recipes.recipe_query("cnn", settings)
    assert query["arch"] == "cnn" and query["deterministic"] == "1" and query["train_limit"] == "600"
    assert recipes.recipe_from_query(query) == ("cnn", settings)
    link = recipes.recipe_link("http://127.0.0.1:8501/", query)
    assert link.startswith("http://127.0.0.1:8501/train?arch=cnn&epochs=4&")


def test_missing_values_come_from_the_architecture_defaults():
    architecture, settings = recipes.recipe_from_query({"arch": "tutorial", "seed": "9"})
    defaults = get_architecture("tutorial").defaults
    assert architecture == "tutorial" and settings.seed == 9 and settings.batch_size == defaults.batch_size
    assert recipes.recipe_from_query({"model": "x"}) is None


@pytest.mark.parametrize(
    "query, message",
    [
        ({"arch": "resnet"}, "unknown architecture"),
        ({"arch": "tutorial", "epochs": "ten"}, "epochs 'ten' is not a valid value"),
        ({"arch": "tutorial", "epochs": "0"}, "epochs must be between"),
        ({"arch": "tutorial", "deterministic": "maybe"}, "deterministic 'maybe'"),
        ({"arch": "tutorial", "schedule": "linear"}, "schedule must be one of"),
    ],
)
def test_bad_recipes_are_refused_clearly(query, message):
    with pytest.raises(ConfigurationError, match=message):
        recipes.recipe_from_query(query)


def test_the_record_of_a_saved_model_gives_its_recipe(store_with_model):
    from fashion.store import model_store as store

    query = recipes.recipe_of_record(store.get_entry("small-tutorial").record)
    assert query["seed"] == "7" and query["epochs"] == "3" and query["deterministic"] == "0"


def test_the_reproducible_mode_gives_the_same_accuracy_twice(models_dir, small_dataset):
    settings = HyperParameters(epochs=2, batch_size=64, learning_rate=0.003, seed=3, deterministic=True)
    first = train_evaluate_save("tutorial", settings, small_dataset, name="first")
    second = train_evaluate_save("tutorial", settings, small_dataset, name="second")
    assert first.evaluation.accuracy == second.evaluation.accuracy
    assert first.evaluation.loss == second.evaluation.loss
    assert first.result.history == [
        {**row, "seconds": first.result.history[position]["seconds"]}
        for position, row in enumerate(second.result.history)
    ]
    for first_weights, second_weights in zip(
        first.result.model.get_weights(), second.result.model.get_weights(), strict=True
    ):
        np.testing.assert_array_equal(first_weights, second_weights)


def test_op_determinism_follows_each_run(small_dataset):
    from tensorflow.python.framework import config

    train(
        "tutorial",
        HyperParameters(epochs=1, batch_size=256, train_limit=300, deterministic=True),
        small_dataset,
    )
    assert config.is_op_determinism_enabled()
    train("tutorial", HyperParameters(epochs=1, batch_size=256, train_limit=300), small_dataset)
    assert not config.is_op_determinism_enabled()
