"""Settings for the tests' short trainings on the small data set, importable by any test module."""

from fashion.models import HyperParameters

QUICK_HYPER_PARAMETERS = HyperParameters(
    epochs=3, batch_size=64, learning_rate=0.003, seed=7, validation_fraction=0.1
)
