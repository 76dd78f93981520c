"""Models and training with progress and stop, on small data."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from fashion.errors import ConfigurationError
from fashion.training import models
from fashion.training.models import HyperParameters, with_overrides
from fashion.training.run import TrainingListener, split_training_data, train

QUICK = HyperParameters(epochs=2, batch_size=64, learning_rate=0.003, seed=5, validation_fraction=0.2)


class RecordingListener(TrainingListener):
    def __init__(self):
        self.batches = []
        self.epochs = []

    def on_batch(self, report):
        self.batches.append(report)

    def on_epoch(self, report):
        self.epochs.append(report)


def test_tutorial_architecture_is_exactly_the_seeds():
    model = models.build_model("tutorial", models.TUTORIAL_EXACT, steps_per_epoch=10)
    layer_kinds = [type(layer).__name__ for layer in model.layers]
    assert layer_kinds == ["Flatten", "Dense", "Dense"]
    assert model.layers[1].units == 128 and model.layers[1].activation.__name__ == "relu"
    assert model.layers[2].units == 10 and model.layers[2].activation.__name__ == "softmax"
    assert model.count_params() == 101770
    assert type(model.optimizer).__name__ == "Adam"
    assert models.TUTORIAL_EXACT.batch_size == 32 and models.TUTORIAL_EXACT.epochs == 10


def test_every_architecture_has_a_description_and_valid_defaults():
    for name, architecture in models.ARCHITECTURES.items():
        assert architecture.description
        architecture.defaults.validated()
        photo_preset = [models.PHOTO_PRESET] if name == "cnn" else []
        expected = [models.RECOMMENDED_PRESET, models.EXACT_TUTORIAL_PRESET, *photo_preset]
        assert list(models.presets(name)) == expected
        assert models.presets(name)[models.EXACT_TUTORIAL_PRESET] == models.TUTORIAL_EXACT
        for preset in models.presets(name).values():
            preset.validated()


@pytest.mark.parametrize(
    "change",
    [
        {"epochs": 0},
        {"batch_size": 0},
        {"learning_rate": 0},
        {"validation_fraction": 0.95},
        {"train_limit": 3},
        {"schedule": "linear"},
    ],
)
def test_out_of_range_hyper_parameters_are_refused(change):
    with pytest.raises(ConfigurationError):
        with_overrides(HyperParameters(), **change)


@pytest.mark.parametrize("name", sorted(models.LIMITS))
def test_each_limit_is_where_validation_draws_the_line(name):
    limits = models.LIMITS[name]
    step = 1 if isinstance(limits.minimum, int) else 0.01
    assert getattr(with_overrides(HyperParameters(), **{name: limits.minimum}), name) == limits.minimum
    with pytest.raises(ConfigurationError, match=limits.label):
        with_overrides(HyperParameters(), **{name: limits.minimum - step})
    if limits.maximum is not None:
        assert getattr(with_overrides(HyperParameters(), **{name: limits.maximum}), name) == limits.maximum
        with pytest.raises(ConfigurationError, match=limits.label):
            with_overrides(HyperParameters(), **{name: limits.maximum + step})


def test_unknown_architecture_lists_the_known_ones():
    with pytest.raises(ConfigurationError, match="tutorial, cnn"):
        models.get_architecture("resnet")


def test_validation_is_held_out_of_the_training_set(small_dataset):
    train_images, train_labels, validation_images, validation_labels = split_training_data(
        small_dataset, with_overrides(QUICK, train_limit=500)
    )
    assert len(train_labels) == 400 and len(validation_labels) == 100
    assert train_images.dtype == np.float32 and train_images.max() <= 1.0
    train_rows = {image.tobytes() for image in train_images}
    assert not any(image.tobytes() in train_rows for image in validation_images)


def test_training_reports_batches_and_epochs_and_learns(small_dataset):
    listener = RecordingListener()
    result = train("tutorial", with_overrides(QUICK, epochs=3), small_dataset, listener)
    assert result.epochs_run == 3 and not result.stopped
    assert [report.epoch for report in listener.epochs] == [1, 2, 3]
    assert all(report.val_accuracy is not None for report in listener.epochs)
    assert listener.batches and listener.batches[-1].step == listener.batches[-1].steps
    assert all(report.images_per_second > 0 for report in listener.batches)
    assert listener.epochs[-1].loss < listener.epochs[0].loss
    assert result.history[-1]["accuracy"] > 0.6


def test_seeded_runs_are_reproducible(small_dataset):
    first = train("tutorial", QUICK, small_dataset)
    second = train("tutorial", QUICK, small_dataset)
    for first_weights, second_weights in zip(
        first.model.get_weights(), second.model.get_weights(), strict=True
    ):
        np.testing.assert_allclose(first_weights, second_weights, rtol=1e-5, atol=1e-6)
    assert first.history[-1]["loss"] == pytest.approx(second.history[-1]["loss"], rel=1e-5)


def test_stop_from_another_thread_keeps_completed_epochs(small_dataset):
    stop_event = threading.Event()

    class StopAfterFirstEpoch(TrainingListener):
        def on_epoch(self, report):
            if report.epoch == 1:
                stopper = threading.Thread(target=stop_event.set)
                stopper.start()
                stopper.join()

        def on_batch(self, report):
            pass

    hyper_parameters = with_overrides(QUICK, epochs=50, batch_size=16, steps_per_execution=1)
    result = train("tutorial", hyper_parameters, small_dataset, StopAfterFirstEpoch(), stop_event)
    assert result.stopped
    assert 1 <= result.epochs_run < 50
    assert [row["epoch"] for row in result.history] == list(range(1, result.epochs_run + 1))


def test_stop_mid_epoch_drops_the_partial_epoch(small_dataset):
    stop_event = threading.Event()

    class StopMidSecondEpoch(TrainingListener):
        def on_batch(self, report):
            if report.epoch == 2 and report.step == 3:
                stop_event.set()

    hyper_parameters = with_overrides(QUICK, epochs=5, batch_size=16, steps_per_execution=1)
    result = train("tutorial", hyper_parameters, small_dataset, StopMidSecondEpoch(), stop_event)
    assert result.stopped and result.epochs_run == 1
    # Watch it learn keeps the snapshots of completed epochs only
    assert [snapshot["epoch"] for snapshot in result.learning["snapshots"]] == [1]


def test_batch_progress_never_overshoots_with_grouped_steps(small_dataset):
    listener = RecordingListener()
    hyper_parameters = with_overrides(QUICK, epochs=2, batch_size=64, steps_per_execution=5)
    train("tutorial", hyper_parameters, small_dataset, listener)
    assert listener.batches
    assert all(1 <= report.step <= report.steps for report in listener.batches)
    assert all(
        report.epoch_seconds_left >= 0 and report.total_seconds_left >= 0 for report in listener.batches
    )
    assert listener.batches[-1].step == listener.batches[-1].steps
