"""Fashion-MNIST Studio core: data, models, training, model store, inference, plots and CLI."""

from fashion.errors import (
    ConfigurationError,
    DatasetError,
    FashionError,
    ImageError,
    JobLimitError,
    ModelNotFoundError,
    ModelStoreError,
)

__all__ = [
    "ConfigurationError",
    "DatasetError",
    "FashionError",
    "ImageError",
    "JobLimitError",
    "ModelNotFoundError",
    "ModelStoreError",
]
