"""Cached loaders: the data set, saved models and their test-set predictions, and the training jobs."""

from __future__ import annotations

import streamlit as st

from fashion import settings
from fashion.data.fashion_mnist import load_dataset
from fashion.errors import FashionError
from fashion.i18n import N_, _
from fashion.jobs import default_jobs, job_database_location
from fashion.photos import ood
from fashion.photos import pipeline as photo
from fashion.store import model_store as store
from fashion.training.inference import predict_probabilities
from fashion.training.tensorflow_setup import configure_tensorflow
from ui.startup import exempt_imports_from_garbage_collection

ACTIVE_MODEL_KEY = "active_model"

# Why a model a page was showing may be gone: every notice of a model gone says it with these words.
MODEL_GONE_REASON = N_("renamed or deleted, perhaps in another session")


def data_key() -> str:
    """What decides which data set is loaded (FASHION_MNIST_DIR), used as a cache key."""
    return settings.MNIST_DIR.text() or ""


def store_key() -> str:
    """The model store folder in use, used as a cache key."""
    return str(store.store_directory())


# The spinners are the callers' (st.spinner with the run's language): a decorator's text is fixed at import.
@st.cache_resource(show_spinner=False)
def cached_dataset(source: str):
    """The data set for this FASHION_MNIST_DIR value, loaded once per server."""
    return load_dataset()


def dataset_or_error():
    """The data set, or None after showing the data error as st.error."""
    try:
        with st.spinner(_("Loading Fashion-MNIST…")):
            return cached_dataset(data_key())
    except FashionError as error:
        st.error(_("Fashion-MNIST could not be loaded: {error}").format(error=error))
        return None


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_model(name: str, created: str, store_folder: str):
    """A saved Keras model, loaded once per name and creation time."""
    configure_tensorflow()
    # deferred: Keras (TensorFlow) takes seconds to import
    import keras  # noqa: F401 - imported here so that its objects are frozen before the first model loads

    exempt_imports_from_garbage_collection()
    return store.load_model(name)


@st.cache_data(show_spinner=False, max_entries=8)
def test_probabilities(name: str, created: str, store_folder: str, source: str):
    """The model's class probabilities for every test image, shape (N, 10)."""
    model = cached_model(name, created, store_folder)
    return predict_probabilities(model, cached_dataset(source).test_images)


def predicting_spinner():
    """The spinner shown while a model is loaded and predicts the test set (a cache miss)."""
    return st.spinner(_("Loading the model and predicting the test set…"))


def training_jobs():
    """The training jobs (local worker processes or a Ray cluster, chosen once from the environment)."""
    return _training_jobs(job_database_location(), settings.RAY_ADDRESS.text())


@st.cache_resource
def _training_jobs(database: str, ray_address: str | None):
    """Kept across the file watcher's module reloads; one per job database (a SQLite path or a URL)."""
    return default_jobs()


def model_directory(identity: tuple):
    """The store folder of a model given by its identity (name, created, store folder)."""
    return store.get_entry(identity[0]).path


def model_identity(entry) -> tuple[str, str, str]:
    """(name, created time, store folder): what the model caches are keyed by."""
    return entry.name, str((entry.record or {}).get("created", "")), store_key()


def saved_models() -> list:
    """The readable saved models, newest first."""
    return store.list_models()


def active_entry():
    """The model chosen on Predictions, else the newest saved one; None when the store is empty."""
    models = saved_models()
    chosen = st.session_state.get(ACTIVE_MODEL_KEY)
    for entry in models:
        if entry.name == chosen:
            return entry
    return models[0] if models else None


@st.cache_resource(show_spinner=False, max_entries=8)
def ood_calibration(name: str, created: str, store_folder: str, source: str, tta: bool):
    """The model's out-of-distribution calibration (also kept on disk), once per model and TTA switch."""
    entry = store.get_entry(name)
    saved = ood.saved_calibration(entry.record, tta)  # set on held-out real photos when trained on them
    if saved is not None:
        return saved
    model = cached_model(name, created, store_folder)
    model_key = ood.model_file_key(entry.model_path, tta)
    batch_of = photo.tta_batch if tta else (lambda image: image[None])
    return ood.cached_calibration(model, model_key, cached_dataset(source), batch_of)
