"""One exception type per kind of failure; every message says what to do."""


class FashionError(Exception):
    """Base class of every error the core raises on purpose."""


class DatasetError(FashionError):
    """The Fashion-MNIST files are missing, truncated or corrupt."""


class ModelStoreError(FashionError):
    """A saved model cannot be written, read or found."""


class ModelNotFoundError(ModelStoreError):
    """No saved model has the requested name, or the store is empty."""


class ImageError(FashionError):
    """An uploaded file is not an image the app can use."""


class JobLimitError(FashionError):
    """The server already runs as many training jobs as it allows."""


class JobStateError(FashionError):
    """A training job is not in a state that allows what was asked (such as retrying a finished job)."""


class ConfigurationError(FashionError):
    """A hyper-parameter or setting is out of range."""


class ExportError(FashionError):
    """A saved model cannot be exported, or its export does not agree with the Keras model."""


class ExplanationError(FashionError):
    """A model or an input cannot be explained (saliency, neighbours, map)."""


class JobDatabaseError(FashionError):
    """The job database cannot be reached or used (a PostgreSQL server that is down or refuses us)."""


class PhotoDatasetError(FashionError):
    """The real photos or their label file are missing, unreadable or fail their checksum."""


class OwnPhotoError(FashionError):
    """A photo of the user's own cannot be kept, found or deleted (caps, ownership, class)."""
