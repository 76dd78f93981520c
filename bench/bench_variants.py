"""Candidate CNN layer stacks the sweep compared (the winner lives in fashion/training/models.py)."""

import keras

SIZE = 28


def _block(filters, strides=1, separable=False):
    convolution = keras.layers.SeparableConv2D if separable else keras.layers.Conv2D
    return [
        convolution(filters, 3, strides=strides, padding="same", use_bias=False),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
    ]


def _head(dense=128, dropout=0.3):
    layers = [keras.layers.Flatten(), keras.layers.Dropout(dropout)]
    if dense:
        layers += [keras.layers.Dense(dense, activation="relu")]
    return layers + [keras.layers.Dense(10), keras.layers.Activation("softmax", dtype="float32")]


def _input():
    return [keras.Input(shape=(SIZE, SIZE)), keras.layers.Reshape((SIZE, SIZE, 1))]


def cnn_current():
    return (
        _input()
        + _block(32)
        + [keras.layers.MaxPooling2D()]
        + _block(64)
        + [keras.layers.MaxPooling2D()]
        + _head()
    )


def cnn_16_32():
    return (
        _input()
        + _block(16)
        + [keras.layers.MaxPooling2D()]
        + _block(32)
        + [keras.layers.MaxPooling2D()]
        + _head()
    )


def cnn_strided():
    return _input() + _block(32, strides=2) + _block(64, strides=2) + _head()


def cnn_16_32_64():
    return (
        _input() + _block(16) + [keras.layers.MaxPooling2D()] + _block(32)
        + [keras.layers.MaxPooling2D()] + _block(64) + _head(dense=0, dropout=0.3)
    )


def cnn_strided3():
    return _input() + _block(32, strides=1) + _block(32, strides=2) + _block(64, strides=2) + _head()


def cnn_pool_strided():
    return _input() + _block(32) + [keras.layers.MaxPooling2D()] + _block(64, strides=2) + _head()


def cnn_strided_extra():
    return _input() + _block(32, strides=2) + _block(64, strides=2) + _block(64) + _head()
