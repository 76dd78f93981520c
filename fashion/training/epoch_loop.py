"""Train a compiled Keras model with the data resident in memory and groups of batches in one graph call.

Keras's `model.fit` takes the same settings, but feeds each batch through its data adapter and
metrics: on the tutorial network that cost 0.59 CPU-seconds an epoch against 0.34 here (bench/,
BENCHMARKS.md). The contract is the part of `fit` this project uses: the callbacks see
`on_train_begin`, `on_epoch_begin`, `on_train_batch_end` after each group of `steps_per_execution`
batches (with the last batch's index), `on_epoch_end` with loss, accuracy and the validation
figures (also after a stop mid-epoch, as fit does, without them), and `on_train_end`;
`model.stop_training` is checked after every group.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

# Validation images per forward call: large enough to be fast, small enough to stay light.
VALIDATION_CHUNK = 2048


class EpochLoop:
    """A model's training and validation steps traced once over memory-resident tensors."""

    def __init__(self, model, train_labels, batch_size: int):
        # deferred: TensorFlow takes seconds to import
        import tensorflow as tf

        self.model = model
        self.batch_size = batch_size
        self.train_count = len(train_labels)
        self.steps_per_epoch = math.ceil(self.train_count / batch_size)
        self.labels = tf.constant(np.asarray(train_labels, dtype=np.int32))
        self.run_steps = tf.function(self._run_steps, reduce_retracing=True)
        self.evaluate_chunk = tf.function(self._evaluate_chunk, reduce_retracing=True)

    def _run_steps(self, images, order, first_step, step_count):
        """Train on batches first_step .. first_step + step_count - 1 of this epoch's order of images."""
        # deferred: TensorFlow takes seconds to import
        import tensorflow as tf

        model = self.model
        loss_sum = tf.constant(0.0)
        correct = tf.constant(0.0)
        for step in tf.range(first_step, first_step + step_count):
            begin = step * self.batch_size
            indices = order[begin : tf.minimum(begin + self.batch_size, self.train_count)]
            batch = tf.gather(images, indices)
            labels = tf.gather(self.labels, indices)
            with tf.GradientTape() as tape:
                predictions = model(batch, training=True)
                loss = model.compute_loss(x=batch, y=labels, y_pred=predictions, training=True)
            gradients = tape.gradient(loss, model.trainable_weights)
            model.optimizer.apply_gradients(zip(gradients, model.trainable_weights, strict=True))
            count = tf.cast(tf.shape(indices)[0], tf.float32)
            loss_sum += tf.cast(loss, tf.float32) * count
            correct += _correct_count(predictions, labels)
        return loss_sum, correct

    def _evaluate_chunk(self, images, labels):
        """Summed loss and correct predictions of one chunk, inference mode."""
        # deferred: TensorFlow takes seconds to import
        import tensorflow as tf

        predictions = self.model(images, training=False)
        loss = self.model.compute_loss(x=images, y=labels, y_pred=predictions, training=False)
        count = tf.cast(tf.shape(labels)[0], tf.float32)
        return tf.cast(loss, tf.float32) * count, _correct_count(predictions, labels)

    def evaluate(self, images, labels) -> tuple[float, float]:
        """Mean loss and accuracy over a held-out set."""
        loss_sum, correct = 0.0, 0.0
        for begin in range(0, len(labels), VALIDATION_CHUNK):
            chunk_loss, chunk_correct = self.evaluate_chunk(
                images[begin : begin + VALIDATION_CHUNK],
                np.asarray(labels[begin : begin + VALIDATION_CHUNK], dtype=np.int32),
            )
            loss_sum += float(chunk_loss)
            correct += float(chunk_correct)
        return loss_sum / len(labels), correct / len(labels)


def _correct_count(predictions, labels):
    # deferred: TensorFlow takes seconds to import
    import tensorflow as tf

    predicted = tf.argmax(predictions, axis=-1, output_type=tf.int32)
    return tf.reduce_sum(tf.cast(tf.equal(predicted, labels), tf.float32))


def fit_in_memory(
    model,
    train_images,
    train_labels,
    batch_size: int,
    epochs: int,
    initial_epoch: int = 0,
    validation_data=None,
    callbacks=(),
    steps_per_execution: int = 1,
    images_for_epoch: Callable[[int], np.ndarray] | None = None,
) -> None:
    """Train like model.fit(..., shuffle=True, verbose=0) on in-memory arrays, with callbacks; with
    images_for_epoch, each epoch trains on the images it returns for that epoch (augmented variants)."""
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras
    import tensorflow as tf

    loop = EpochLoop(model, train_labels, batch_size)
    # An augmented run makes each epoch's images as it starts; the originals then never go to TensorFlow
    fixed_images = tf.constant(train_images) if images_for_epoch is None else None
    steps = loop.steps_per_epoch
    callback_list = keras.callbacks.CallbackList(
        list(callbacks), model=model, epochs=epochs, steps=steps, verbose=0
    )
    model.stop_training = False
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        callback_list.on_epoch_begin(epoch)
        images = fixed_images if images_for_epoch is None else tf.constant(images_for_epoch(epoch))
        order = tf.random.shuffle(tf.range(loop.train_count))
        loss_sum, correct, seen = 0.0, 0.0, 0
        for first_step in range(0, steps, steps_per_execution):
            step_count = min(steps_per_execution, steps - first_step)
            group_loss, group_correct = loop.run_steps(
                images, order, tf.constant(first_step), tf.constant(step_count)
            )
            loss_sum += float(group_loss)
            correct += float(group_correct)
            seen = min((first_step + step_count) * batch_size, loop.train_count)
            logs = {"loss": loss_sum / seen, "accuracy": correct / seen}
            callback_list.on_train_batch_end(first_step + step_count - 1, logs)
            if model.stop_training:
                break
        epoch_logs = {"loss": loss_sum / max(1, seen), "accuracy": correct / max(1, seen)}
        # As in fit, a stop in the last group still completes the epoch with its validation pass.
        if validation_data is not None and seen == loop.train_count:
            validation_loss, validation_accuracy = loop.evaluate(*validation_data)
            epoch_logs.update(val_loss=validation_loss, val_accuracy=validation_accuracy)
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
