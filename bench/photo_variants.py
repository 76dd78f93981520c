"""Train augmentation variants of the CNN in parallel and write .keras files to $OUT (how the GPU rows of
BENCHMARKS.md "Real photos" were made; then `python -m bench.photos --model-file $OUT/NAME.keras`).

Ran on a lent H200 with Keras' JAX backend (KERAS_BACKEND=jax, keras/namex/optree wheels carried,
FASHION_MNIST_DIR pointing at the four .gz files): `python -m bench.photo_variants [NAME...]`.
The first run's variants (v-*) changed the recipe's strength on every image; the second (w-*) augmented
a fraction of the images. The recipe's defaults have since become the light settings below.
"""

import json
import math
import multiprocessing as mp
import os
import sys
import time
from dataclasses import replace

STRONGISH = dict(
    rotation_degrees=10,
    scale_range=0.15,
    aspect_range=0.15,
    gamma_range=0.5,
    contrast_low=0.6,
    blur_probability=0.3,
    noise_std=0.03,
    erase_probability=0.25,
    texture_probability=0.25,
)
LIGHT = dict(fraction=1.0)  # the light settings are the recipe's defaults now
VARIANTS = {
    "v-none-7": ("none", 7, {}),
    "v-photo-7": ("photo", 7, {**STRONGISH, "fraction": 1.0}),
    "v-photo-12": ("photo", 12, {**STRONGISH, "fraction": 1.0}),
    "v-light-10": ("photo", 10, LIGHT),
    "v-strong-12": (
        "photo",
        12,
        dict(
            rotation_degrees=15,
            scale_range=0.2,
            aspect_range=0.25,
            gamma_range=0.6,
            contrast_low=0.5,
            blur_probability=0.4,
            noise_std=0.05,
            erase_probability=0.35,
            texture_probability=0.35,
            fraction=1.0,
        ),
    ),
    "v-noerase-10": (
        "photo",
        10,
        {**STRONGISH, "erase_probability": 0.0, "texture_probability": 0.0, "fraction": 1.0},
    ),
    "w-light-f50-12": ("photo", 12, {"fraction": 0.5}),
    "w-light-f70-12": ("photo", 12, {"fraction": 0.7}),
    "w-light-15": ("photo", 15, LIGHT),
    "w-photo-f50-12": ("photo", 12, {**STRONGISH, "fraction": 0.5}),
    "w-photo-f50-15": ("photo", 15, {**STRONGISH, "fraction": 0.5}),
    "w-light-f50-9": ("photo", 9, {"fraction": 0.5}),
}
# The third run (x-*): the recipe with and without its footwear pairs and turns, over three seeds each,
# to tell the change from the seed-to-seed spread.
NO_FOOTWEAR = {"pair_probability": 0.0, "turn_probability": 0.0}
STRONGER_FOOTWEAR = {"pair_probability": 0.6, "turn_probability": 0.5}
for seed in (42, 7, 1):
    VARIANTS[f"x-foot-s{seed}"] = ("photo", 12, {}, seed)
    VARIANTS[f"x-nofoot-s{seed}"] = ("photo", 12, NO_FOOTWEAR, seed)
VARIANTS["x-footmore-s42"] = ("photo", 12, STRONGER_FOOTWEAR, 42)


def compiled_cnn(layers, hp, train_count: int):
    """The CNN's layers compiled as the project trains them: Adam on a cosine schedule, XLA."""
    import keras

    steps = math.ceil(train_count / hp.batch_size)
    model = keras.Sequential(layers, name="cnn")
    model.compile(
        optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(hp.learning_rate, steps * hp.epochs)
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=True,
    )
    return model


def run(name):
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] = "false"
    import keras

    from fashion.data.fashion_mnist import load_dataset, scale_images
    from fashion.training import augmentation
    from fashion.training.models import ARCHITECTURES, cnn_layers
    from fashion.training.run import split_training_data

    recipe, epochs, changes, *seed = VARIANTS[name]
    hp = replace(ARCHITECTURES["cnn"].defaults, epochs=epochs, augmentation=recipe)
    if seed:
        hp = replace(hp, seed=seed[0])
    dataset = load_dataset(allow_download=False)
    ti, tl, vi, vl = split_training_data(dataset, hp)
    keras.utils.set_random_seed(hp.seed)
    model = compiled_cnn(cnn_layers(), hp, len(tl))
    started = time.time()
    if recipe == "none":
        model.fit(ti, tl, batch_size=hp.batch_size, epochs=epochs, validation_data=(vi, vl), verbose=2)
    else:
        settings = replace(augmentation.AUGMENTATIONS[recipe], **changes)
        model.fit(
            augmentation.make_batches(ti, tl, hp.batch_size, settings, hp.seed),
            epochs=epochs,
            validation_data=(vi, vl),
            verbose=2,
        )
    loss, accuracy = model.evaluate(scale_images(dataset.test_images), dataset.test_labels, verbose=0)
    model.save(os.path.join(os.environ.get("OUT", "."), name + ".keras"))
    return {
        "name": name,
        "test_accuracy": float(accuracy),
        "seconds": time.time() - started,
        "changes": changes,
        "epochs": epochs,
        "seed": hp.seed,
    }


if __name__ == "__main__":
    names = sys.argv[1:] or list(VARIANTS)
    with mp.get_context("spawn").Pool(len(names)) as pool:
        results = pool.map(run, names)
    print(json.dumps(results, indent=1))
    with open(os.path.join(os.environ.get("OUT", "."), "results.json"), "w") as handle:
        json.dump(results, handle, indent=1)
