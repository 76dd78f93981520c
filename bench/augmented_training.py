"""Epoch time of the augmented CNN recipe: the app's in-memory loop against Keras fit over a PyDataset.

python -m bench.augmented_training [--rounds 2] [--epochs 2] [--limit N]

The Photo-robust preset's settings (batch, rate, schedule, steps per execution, the "photo"
augmentation) on Fashion-MNIST's training split. "app" is what fashion.training.run does: each
epoch's augmented images made at once, then the in-memory loop (run.fit_epochs). "fit" is the
exported script's way: keras model.fit over make_batches, a PyDataset that augments batch by batch
in two threads. Each measurement is a fresh process, the two interleaved, so a noisy machine
shows in both columns; the printed ratio is per round.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time

WAYS = ("app", "fit")


def measure(way: str, epochs: int, limit: int | None) -> dict:
    """Seconds per epoch of one way, in this process."""
    from fashion.data.fashion_mnist import load_dataset
    from fashion.training.augmentation import get_settings, make_batches
    from fashion.training.models import PHOTO_ROBUST, build_model
    from fashion.training.run import fit_epochs, split_training_data
    from fashion.training.tensorflow_setup import configure_tensorflow

    configure_tensorflow()
    import keras

    hyper_parameters = PHOTO_ROBUST
    images, labels, _, _ = split_training_data(load_dataset(allow_download=False), hyper_parameters)
    if limit:
        images, labels = images[:limit], labels[:limit]
    settings = get_settings(hyper_parameters.augmentation)
    keras.utils.set_random_seed(hyper_parameters.seed)
    model = build_model("cnn", hyper_parameters, math.ceil(len(labels) / hyper_parameters.batch_size))
    started = time.perf_counter()
    seed = hyper_parameters.seed
    if way == "app":
        fit_epochs(model, images, labels, hyper_parameters, seed, epochs=epochs)
    else:
        batches = make_batches(images, labels, hyper_parameters.batch_size, settings, seed)
        model.fit(batches, epochs=epochs, verbose=0)
    return {"way": way, "images": len(labels), "seconds_per_epoch": (time.perf_counter() - started) / epochs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--one", choices=WAYS, help=argparse.SUPPRESS)  # a single measurement (internal)
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(measure(arguments.one, arguments.epochs, arguments.limit)))
        return
    extra = ["--epochs", str(arguments.epochs)]
    if arguments.limit:
        extra += ["--limit", str(arguments.limit)]
    for round_number in range(1, arguments.rounds + 1):
        seconds = {}
        for way in WAYS:
            command = [sys.executable, "-m", "bench.augmented_training", "--one", way, *extra]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            result = json.loads(output.strip().splitlines()[-1])
            seconds[way] = result["seconds_per_epoch"]
            per_epoch, images = result["seconds_per_epoch"], result["images"]
            print(f"round {round_number} {way}: {per_epoch:.1f} s an epoch of {images:,} images")
        print(f"round {round_number}: fit / app = {seconds['fit'] / seconds['app']:.2f}")


if __name__ == "__main__":
    main()
