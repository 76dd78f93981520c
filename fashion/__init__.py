"""Fashion-MNIST Studio core, in rooms: data, training, jobs, store, photos, explain, figures, lesson, cli."""

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
