"""Settings for the tests' short trainings on the small data set, importable by any test module."""

import os
from pathlib import Path

from fashion.training.models import HyperParameters

QUICK_HYPER_PARAMETERS = HyperParameters(
    epochs=3, batch_size=64, learning_rate=0.003, seed=7, validation_fraction=0.1
)
# A one-epoch tutorial model with another seed: it disagrees with the quick model on some test images.
ONE_EPOCH_OTHER_SEED = HyperParameters(
    epochs=1, batch_size=128, learning_rate=0.002, seed=11, validation_fraction=0.1
)


def train_into_store(directory: Path, hyper_parameters: HyperParameters, dataset, name: str) -> None:
    """Train, evaluate and save one tutorial model into the store at directory (the store in use kept)."""
    from fashion.training.workflow import train_evaluate_save

    previous = os.environ.get("FASHION_MODELS_DIR")
    os.environ["FASHION_MODELS_DIR"] = str(directory)
    try:
        train_evaluate_save("tutorial", hyper_parameters, dataset, name=name)
    finally:
        if previous is None:
            os.environ.pop("FASHION_MODELS_DIR", None)
        else:
            os.environ["FASHION_MODELS_DIR"] = previous
