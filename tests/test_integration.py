"""On the real files: the tutorial model, trained with the project's defaults, behaves as in the tutorial."""

from __future__ import annotations

import numpy as np
import pytest

from fashion.data.fashion_mnist import CLASS_NAMES
from fashion.figures.plots import RIGHT_COLOUR, prediction_pair
from fashion.store import model_store as store
from fashion.training.inference import predict_one
from fashion.training.models import ARCHITECTURES
from fashion.training.workflow import train_evaluate_save


@pytest.fixture(scope="module")
def tutorial_run(real_dataset, tmp_path_factory):
    directory = tmp_path_factory.mktemp("integration-store")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FASHION_MODELS_DIR", str(directory))
        finished = train_evaluate_save(
            "tutorial", ARCHITECTURES["tutorial"].defaults, real_dataset, name="tutorial-real"
        )
        reloaded = store.load_model("tutorial-real")
    return finished, reloaded


def test_tutorial_model_reaches_the_tutorials_accuracy(tutorial_run):
    finished, _ = tutorial_run
    assert finished.result.epochs_run == ARCHITECTURES["tutorial"].defaults.epochs
    assert finished.evaluation.accuracy >= 0.87
    assert finished.entry.record["test_count"] == 10000


def test_test_image_0_is_an_ankle_boot(tutorial_run, real_dataset):
    _, model = tutorial_run
    probabilities = predict_one(model, real_dataset.test_images[0])
    assert int(np.argmax(probabilities)) == 9 == int(real_dataset.test_labels[0])
    assert CLASS_NAMES[int(np.argmax(probabilities))] == "Ankle boot"
    figure = prediction_pair(real_dataset.test_images[0], probabilities, 9)
    assert figure.axes[0].xaxis.label.get_color() == RIGHT_COLOUR
    assert "Ankle boot" in figure.axes[0].get_xlabel()


def test_reloaded_model_gives_the_saved_accuracy(tutorial_run, real_dataset):
    finished, model = tutorial_run
    from fashion.training.evaluation import evaluate

    again = evaluate(model, real_dataset.test_images, real_dataset.test_labels)
    assert again.accuracy == pytest.approx(finished.evaluation.accuracy, abs=1e-4)
    assert again.confusion_matrix.sum() == 10000
    # Shirt is the tutorial model's hardest class.
    assert int(np.argmin(again.per_class_accuracy)) == CLASS_NAMES.index("Shirt")
