"""Train CNN variants for issue 12 in parallel (Keras' JAX backend on a lent GPU) and print their test
accuracy: whether a random mirror image in training and more epochs lift the CNN's defaults to 0.93.

Ran on a lent H200 like bench/photo_variants.py (KERAS_BACKEND=jax, keras/namex/optree wheels carried,
FASHION_MNIST_DIR pointing at the four .gz files): `python -m bench.cnn_variants [NAME...]`.
Accuracy only: CPU time on this machine is measured by bench/benchmark.py.
"""

import json
import multiprocessing as mp
import os
import sys
import time
from dataclasses import replace

# name: (epochs, mirror in training, learning rate or None for the default, seed)
VARIANTS = {
    "c-e7-s42": (7, False, None, 42),
    "c-e7-flip-s42": (7, True, None, 42),
    "c-e7-flip-s7": (7, True, None, 7),
    "c-e7-flip-s2024": (7, True, None, 2024),
    "c-e9-flip-s42": (9, True, None, 42),
    "c-e9-flip-s7": (9, True, None, 7),
    "c-e9-s42": (9, False, None, 42),
    "c-e7-flip-lr5-s42": (7, True, 0.005, 42),
}


def run(name):
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    import keras

    from bench.photo_variants import compiled_cnn
    from fashion.data.fashion_mnist import load_dataset, scale_images
    from fashion.training.models import ARCHITECTURES, cnn_layers
    from fashion.training.run import split_training_data

    epochs, mirror, rate, seed = VARIANTS[name]
    hp = replace(ARCHITECTURES["cnn"].defaults, epochs=epochs, seed=seed)
    if rate:
        hp = replace(hp, learning_rate=rate)
    dataset = load_dataset(allow_download=False)
    train_images, train_labels, validation_images, validation_labels = split_training_data(dataset, hp)
    keras.utils.set_random_seed(hp.seed)
    layers = cnn_layers()
    if mirror:
        # After the Reshape to (28, 28, 1): a random left-right mirror image while training only
        layers.insert(2, keras.layers.RandomFlip("horizontal", seed=hp.seed))
    model = compiled_cnn(layers, hp, len(train_labels))
    started = time.time()
    model.fit(
        train_images,
        train_labels,
        batch_size=hp.batch_size,
        epochs=epochs,
        validation_data=(validation_images, validation_labels),
        verbose=0,
    )
    _, accuracy = model.evaluate(scale_images(dataset.test_images), dataset.test_labels, verbose=0)
    return {
        "name": name,
        "test_accuracy": round(float(accuracy), 4),
        "seconds": round(time.time() - started, 1),
    }


if __name__ == "__main__":
    names = sys.argv[1:] or list(VARIANTS)
    with mp.get_context("spawn").Pool(len(names)) as pool:
        results = pool.map(run, names)
    for result in results:
        print(json.dumps(result))
