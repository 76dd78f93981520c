"""Cached loaders: the data set, saved models and their test-set predictions, and the training jobs."""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from contextlib import contextmanager

import streamlit as st

from ui.startup import exempt_imports_from_garbage_collection

ACTIVE_MODEL_KEY = "active_model"


def data_key() -> str:
    """What decides which data set is loaded (FASHION_MNIST_DIR), used as a cache key."""
    return os.environ.get("FASHION_MNIST_DIR", "")


def store_key() -> str:
    """The model store folder in use, used as a cache key."""
    from fashion import store

    return str(store.store_directory())


@st.cache_resource(show_spinner="Loading Fashion-MNIST…")
def cached_dataset(source: str):
    """The data set for this FASHION_MNIST_DIR value, loaded once per server."""
    from fashion.data import load_dataset

    return load_dataset()


def dataset_or_error():
    """The data set, or None after showing the data error as st.error."""
    from fashion.errors import FashionError

    try:
        return cached_dataset(data_key())
    except FashionError as error:
        st.error(f"Fashion-MNIST could not be loaded: {error}")
        return None


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def cached_model(name: str, created: str, store_folder: str):
    """A saved Keras model, loaded once per name and creation time."""
    from fashion import store
    from fashion.training import configure_tensorflow

    configure_tensorflow()
    import keras  # noqa: F401 - imported here so that its objects are frozen before the first model loads

    exempt_imports_from_garbage_collection()
    return store.load_model(name)


@st.cache_data(show_spinner="Predicting the test set…", max_entries=8)
def test_probabilities(name: str, created: str, store_folder: str, source: str):
    """The model's class probabilities for every test image, shape (N, 10)."""
    from fashion.inference import predict_probabilities

    model = cached_model(name, created, store_folder)
    return predict_probabilities(model, cached_dataset(source).test_images)


def training_jobs():
    """The training jobs (local worker processes or a Ray cluster, chosen once from the environment)."""
    from fashion.job_database import database_path
    from fashion.jobs import RAY_ADDRESS_VARIABLE

    return _training_jobs(str(database_path()), os.environ.get(RAY_ADDRESS_VARIABLE))


@st.cache_resource
def _training_jobs(database: str, ray_address: str | None):
    """Kept across the file watcher's module reloads; one per job database."""
    from fashion.jobs import default_jobs

    return default_jobs()


def model_identity(entry) -> tuple[str, str, str]:
    """(name, created time, store folder): what the model caches are keyed by."""
    return entry.name, str((entry.record or {}).get("created", "")), store_key()


def saved_models() -> list:
    """The readable saved models, newest first."""
    from fashion import store

    return store.list_models()


def active_entry():
    """The model chosen on Predictions, else the newest saved one; None when the store is empty."""
    models = saved_models()
    chosen = st.session_state.get(ACTIVE_MODEL_KEY)
    for entry in models:
        if entry.name == chosen:
            return entry
    return models[0] if models else None


@st.cache_resource(show_spinner="Calibrating the 'none of the ten' score on the test set…", max_entries=8)
def ood_calibration(name: str, created: str, store_folder: str, source: str, tta: bool):
    """The model's out-of-distribution calibration (also kept on disk), once per model and TTA switch."""
    from fashion import ood, photo, store

    model = cached_model(name, created, store_folder)
    model_key = ood.model_file_key(store.get_entry(name).model_path, tta)
    batch_of = photo.tta_batch if tta else (lambda image: image[None])
    return ood.cached_calibration(model, model_key, cached_dataset(source), batch_of)


# One background build computes at a time: two would only share the same two cores.
_BUILD_SLOT = threading.Lock()
# Pages come first: a build computes its next chunk once no page script has run for IDLE_SECONDS (the
# browser is still drawing the last one), unless a page waits for it, and never waits longer than
# BUILD_WAIT_SECONDS, so pages drawn back to back cannot starve it.
IDLE_SECONDS = 2.0
BUILD_WAIT_SECONDS = 3.0


class _PageActivity:
    """Page scripts running now, those waiting for a build, and when the last one ended."""

    def __init__(self):
        self.running = 0
        self.waiting = 0
        self.last_end = 0.0
        self.condition = threading.Condition()

    def change(self, running: int, waiting: int = 0) -> None:
        with self.condition:
            self.running += running
            self.waiting += waiting
            if running < 0 and not waiting:
                self.last_end = time.monotonic()
            self.condition.notify_all()

    def wait_for_quiet(self) -> None:
        deadline = time.monotonic() + BUILD_WAIT_SECONDS
        with self.condition:
            while self.waiting <= 0:
                now = time.monotonic()
                quiet_for = now - self.last_end if self.running <= 0 else 0.0
                if quiet_for >= IDLE_SECONDS or now >= deadline:
                    return
                self.condition.wait(min(IDLE_SECONDS - quiet_for, deadline - now))


_page_activity = _PageActivity()


@contextmanager
def page_running():
    """Count the page script run inside: background builds give way to it and to its drawing."""
    _page_activity.change(+1)
    try:
        yield
    finally:
        _page_activity.change(-1)


@contextmanager
def waiting_for_background():
    """Inside a page that waits for a background build: the build then computes at full speed."""
    _page_activity.change(-1, +1)
    try:
        yield
    finally:
        _page_activity.change(+1, -1)


class BackgroundBuild:
    """Work run once on a daemon thread (one build at a time per server), with its progress so far."""

    def __init__(self, work):
        self.future: Future = Future()
        self.done_count = 0
        self.total_count = 0
        threading.Thread(target=self._run, args=(work,), name="fashion-background-build", daemon=True).start()

    def _run(self, work) -> None:
        with _BUILD_SLOT:
            _page_activity.wait_for_quiet()
            try:
                self.future.set_result(work(self._report))
            except BaseException as error:  # noqa: BLE001 - handed to whoever waits for the result
                self.future.set_exception(error)

    def _report(self, done: int, total: int) -> None:
        self.done_count, self.total_count = done, total
        _page_activity.wait_for_quiet()

    def done(self) -> bool:
        """Whether the work has finished (or failed)."""
        return self.future.done()

    def failed(self) -> bool:
        """Whether the work has finished with an exception."""
        return self.future.done() and self.future.exception() is not None

    def result(self):
        """The work's result, waiting for it; re-raises the work's exception."""
        return self.future.result()


@st.cache_resource
def _background_builds() -> dict:
    """The server's background builds by key, shared by every session."""
    return {"builds": OrderedDict(), "lock": threading.Lock()}


def background_build(key: tuple, prepare, max_entries: int = 2) -> BackgroundBuild:
    """The build for key, started the first time (and again after a failure); the oldest are dropped.

    prepare() runs on the calling script thread, only when a build starts, and returns the work:
    a function of a progress callback, progress(done, total), run on the background thread.
    """
    registry = _background_builds()
    with registry["lock"]:
        builds = registry["builds"]
        build = builds.get(key)
        if build is None or build.failed():
            build = builds[key] = BackgroundBuild(prepare())
        builds.move_to_end(key)
        while len(builds) > max_entries:
            builds.popitem(last=False)
    return build
