"""The in-memory training loop keeps model.fit's contract with callbacks and learns."""

from __future__ import annotations

import numpy as np

from fashion.training.epoch_loop import fit_in_memory
from fashion.training.models import HyperParameters, build_model
from fashion.training.run import configure_tensorflow, split_training_data


def _recorder():
    import keras

    class Recorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.events = []

        def on_train_begin(self, logs=None):
            self.events.append(("train_begin",))

        def on_train_batch_end(self, batch, logs=None):
            self.events.append(("batch", batch, dict(logs)))

        def on_epoch_end(self, epoch, logs=None):
            self.events.append(("epoch", epoch, dict(logs)))

        def on_train_end(self, logs=None):
            self.events.append(("train_end",))

    return Recorder()


def test_callbacks_see_grouped_batches_and_epochs_with_keras_validation_figures(small_dataset):
    configure_tensorflow()
    import keras

    hyper_parameters = HyperParameters(epochs=3, batch_size=64, learning_rate=0.003, seed=3)
    train_images, train_labels, validation_images, validation_labels = split_training_data(
        small_dataset, hyper_parameters
    )
    steps = int(np.ceil(len(train_labels) / 64))
    keras.utils.set_random_seed(3)
    model = build_model("tutorial", hyper_parameters, steps)
    recorder = _recorder()
    fit_in_memory(
        model, train_images, train_labels, batch_size=64, epochs=3,
        validation_data=(validation_images, validation_labels), callbacks=[recorder],
        steps_per_execution=4,
    )
    kinds = [event[0] for event in recorder.events]
    assert kinds[0] == "train_begin" and kinds[-1] == "train_end" and kinds.count("epoch") == 3
    batches = [event[1] for event in recorder.events if event[0] == "batch"]
    # Groups of 4 batches report their last batch's index, and each epoch ends on its last batch.
    assert batches[:2] == [3, 7] and batches.count(steps - 1) == 3 and max(batches) == steps - 1
    epochs = [event[2] for event in recorder.events if event[0] == "epoch"]
    assert epochs[-1]["loss"] < epochs[0]["loss"]
    # The validation figures agree with Keras's own evaluation of the trained model.
    keras_loss, keras_accuracy = model.evaluate(validation_images, validation_labels, verbose=0)
    assert abs(epochs[-1]["val_accuracy"] - keras_accuracy) < 1e-6
    assert abs(epochs[-1]["val_loss"] - keras_loss) < 1e-4


def test_stop_training_ends_after_the_current_group(small_dataset):
    configure_tensorflow()
    import keras

    hyper_parameters = HyperParameters(epochs=5, batch_size=32, seed=4)
    train_images, train_labels, _, _ = split_training_data(small_dataset, hyper_parameters)
    model = build_model("tutorial", hyper_parameters, 10)

    class StopAfterTwoGroups(keras.callbacks.Callback):
        groups = 0

        def on_train_batch_end(self, batch, logs=None):
            self.groups += 1
            if self.groups == 2:
                self.model.stop_training = True

    stopper = StopAfterTwoGroups()
    fit_in_memory(model, train_images, train_labels, batch_size=32, epochs=5, callbacks=[stopper],
                  steps_per_execution=2)
    assert stopper.groups == 2
    assert int(model.optimizer.iterations.numpy()) == 4
