"""Streamlit helpers the pages share: cached loaders, the sidebar and a training job's live progress."""

from __future__ import annotations

import gc
import os
import re
import sys
from pathlib import Path

import streamlit as st

ACTIVE_MODEL_KEY = "active_model"
JOB_QUERY_PARAMETER = "job"
LIVE_REFRESH_SECONDS = 1.0
SIDEBAR_REFRESH_SECONDS = 2.0
GALLERY_ROWS, GALLERY_COLUMNS = 5, 3


def run_through_entry() -> None:
    """Run streamlit_app.py instead when Streamlit started this page alone (a fresh server's first run)."""
    from streamlit.runtime.pages_manager import PagesManager

    # Until st.navigation has run once, Streamlit treats pages/ as a legacy multipage folder and
    # runs a page opened by URL (/train) without the entry: no sidebar, no page config.
    if PagesManager.uses_pages_directory:
        entry = Path(__file__).resolve().with_name("streamlit_app.py")
        code = compile(entry.read_text(encoding="utf-8"), str(entry), "exec")
        exec(code, {"__name__": "__main__"})  # noqa: S102 - our own entry script, not user input
        st.stop()


def exempt_imports_from_garbage_collection() -> None:
    """Move the objects of modules imported since the last call out of the garbage collector's reach."""
    # Streamlit runs a full collection after every script and fragment run, and a second one
    # through keras.backend.clear_session() once Keras is imported. With TensorFlow's ~450,000
    # objects each took a quarter of a second holding the GIL, which starved page drawing and
    # the sidebar's refresh when several sessions were open. Frozen objects are not scanned;
    # unfreezing first lets objects frozen last time that have become garbage be collected.
    global _modules_at_last_freeze
    if len(sys.modules) > _modules_at_last_freeze:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _modules_at_last_freeze = len(sys.modules)


_modules_at_last_freeze = 0


# Cached loaders: the dataset and models are shared and never mutated; predictions are small data.


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


@st.cache_resource
def job_registry():
    """The server's training job registry, kept across the file watcher's module reloads."""
    from fashion.jobs import default_registry

    return default_registry()


@st.cache_data(show_spinner=False, max_entries=64)
def prediction_png(identity: tuple, source: str, kind: str, indices: tuple, highlight=None) -> bytes:
    """A gallery page, one prediction pair or the confusion matrix of a model, as PNG bytes."""
    from fashion import evaluation, plots

    probabilities = test_probabilities(*identity, source)
    data = cached_dataset(source)
    if kind == "matrix":
        matrix = evaluation.confusion_matrix(data.test_labels, probabilities.argmax(axis=1))
        return plots.figure_to_png(plots.confusion_matrix_figure(matrix, highlight))
    chosen = list(indices)
    if kind == "pair":
        figure = plots.prediction_pair(
            data.test_images[chosen[0]], probabilities[chosen[0]], int(data.test_labels[chosen[0]])
        )
    else:
        figure = plots.prediction_grid(
            data.test_images[chosen],
            probabilities[chosen],
            data.test_labels[chosen],
            rows=GALLERY_ROWS,
            columns=GALLERY_COLUMNS,
            indices=chosen,
        )
    return plots.figure_to_png(figure)


def restore_predictions_state(model_names: list[str], orders: list[str]) -> None:
    """Set the Predictions page's model, mistake position and order from the URL, where not set yet."""
    if st.session_state.get("predictions_model") not in model_names:
        wanted = st.session_state.get(ACTIVE_MODEL_KEY)
        st.session_state["predictions_model"] = wanted if wanted in model_names else model_names[0]
    if "predictions_wrong" not in st.session_state:
        position = st.query_params.get("wrong", "1")
        st.session_state["predictions_wrong"] = int(position) if position.isdigit() else 1
    if st.session_state.get("predictions_order") not in orders:
        order = st.query_params.get("order")
        st.session_state["predictions_order"] = order if order in orders else orders[0]


def captions_markdown(probabilities, labels, indices) -> str:
    """The gallery's captions as a markdown list, coloured like the figure (blue right, red wrong)."""
    from fashion import plots

    lines = []
    for index in indices:
        colour = plots.caption_colour(probabilities[index], labels[index])
        caption = plots.prediction_caption(probabilities[index], labels[index])
        lines.append(f"- :{colour}[#{index}: {caption}] ({colour})")
    return "\n".join(lines)


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


def show_figure(figure, **image_options) -> None:
    """Draw a matplotlib Figure as a PNG image."""
    from fashion.plots import figure_to_png

    st.image(figure_to_png(figure), **image_options)


# The sidebar on every page.


def show_sidebar() -> None:
    """The active model and, while one runs, the training job's progress."""
    entry = active_entry()
    st.subheader("Active model")
    if entry is None:
        st.caption("No model yet: train one on the Train page.")
    else:
        record = entry.record or {}
        st.markdown(f"**{entry.name}**")
        accuracy = record.get("test_accuracy")
        if isinstance(accuracy, (int, float)):
            st.metric("Test accuracy", f"{accuracy:.2%}")
        st.caption(f"{record.get('architecture', '?')}, {record.get('epochs_run', '?')} epochs")
    if job_registry().active_jobs():
        sidebar_job_status()


@st.fragment(run_every=SIDEBAR_REFRESH_SECONDS)
def sidebar_job_status() -> None:
    """A small progress bar of the running training job, refreshed every few seconds."""
    active = job_registry().active_jobs()
    if not active:
        return  # Drawing nothing clears the last progress line; the next page run drops the fragment.
    snapshot = active[0].snapshot()
    st.subheader("Training")
    st.progress(overall_fraction(snapshot), text=status_line(snapshot))


# A training job's live progress, shared by the Train page and the "no model yet" panels.


def overall_fraction(snapshot) -> float:
    """How much of the whole training run is done, 0 to 1."""
    if snapshot.batch is None:
        return 0.0
    batch = snapshot.batch
    done = (batch.epoch - 1 + batch.step / max(1, batch.steps)) / max(1, batch.epochs)
    return min(1.0, max(0.0, done))


def status_line(snapshot) -> str:
    """One line: architecture, epochs done and state."""
    return (
        f"{snapshot.architecture}: epoch {len(snapshot.history)} of {snapshot.epochs} done ({snapshot.state})"
    )


def history_frame(history: list[dict]):
    """The training history as a table indexed by epoch."""
    import pandas as pd

    frame = pd.DataFrame(
        history, columns=["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"]
    )
    return frame.set_index("epoch")


@st.cache_data(show_spinner=False, max_entries=16)
def training_curves_png(history: tuple[tuple, ...]) -> bytes:
    """The loss and accuracy curves of a training history (rows as sorted item tuples), as PNG bytes."""
    from fashion import plots

    return plots.figure_to_png(plots.training_curves([dict(row) for row in history]), dpi=72)


def show_history_charts(history: list[dict]) -> None:
    """Loss and accuracy per epoch, training and validation, side by side."""
    if not history:
        st.caption("The charts gain a point at the end of each epoch.")
        return
    st.caption(f"{len(history)} epoch(s) plotted.")
    # One PNG, cached per history: the live view redraws every second, and two interactive charts
    # rebuilt that often were remounted before the second (accuracy) one had drawn.
    rows = tuple(tuple(sorted(row.items())) for row in history)
    st.image(training_curves_png(rows), caption="Loss and accuracy per epoch", width="stretch")


def show_job(job_id: str | None) -> None:
    """A training job: live progress while it runs, its results once it has ended."""
    job = job_registry().get(job_id)
    if job is None:
        st.info("That training job is not known to this server (it may have restarted).")
        return
    if job.snapshot().active:
        live_job_progress(job_id)
    else:
        show_job_result(job.snapshot())


@st.fragment(run_every=LIVE_REFRESH_SECONDS)
def live_job_progress(job_id: str) -> None:
    """Charts, a progress bar with speed and time left, and a Stop button; refreshed every second."""
    job = job_registry().get(job_id)
    if job is None or not job.snapshot().active:
        st.rerun()
    snapshot = job.snapshot()
    batch = snapshot.batch
    if batch is None:
        st.progress(0.0, text="Starting TensorFlow and preparing the data…")
    else:
        # Batches run in groups (steps_per_execution), so the last group can report past the end.
        step = min(batch.step, batch.steps)
        st.progress(
            step / max(1, batch.steps),
            text=(
                f"Epoch {batch.epoch} of {batch.epochs}: batch {step:,} of {batch.steps:,}"
                f" · {batch.images_per_second:,.0f} img/s"
                f" · epoch ends in {max(0.0, batch.epoch_seconds_left):,.0f} s"
                f" · training ends in {max(0.0, batch.total_seconds_left):,.0f} s"
            ),
        )
    if snapshot.state == "saving":
        st.info("Training is over; evaluating on the test set and saving the model…")
    # The Stop button before the curves: drawing them is the slow part of each refresh.
    if snapshot.stop_requested:
        st.warning("Stopping after the current batch; the epochs completed so far are kept.")
    elif st.button("Stop", key="training_stop", icon=":material/stop_circle:"):
        job.stop()
        st.rerun(scope="fragment")
    show_history_charts(snapshot.history)


def show_job_result(snapshot) -> None:
    """Test accuracy and loss, the saved model, the history table and downloads of a finished job."""
    from fashion import store
    from fashion.errors import FashionError

    if snapshot.state == "failed":
        st.error(snapshot.error or "Training failed.")
        return
    if snapshot.model_name is None:
        st.warning("Training was stopped before the first epoch ended, so nothing was saved.")
        return
    if snapshot.stop_requested:
        st.info(
            f"Stopped early after {len(snapshot.history)} of {snapshot.epochs} epochs; the model trained so far was saved."
        )
    else:
        st.success(f"Training finished in {snapshot.finished_at - snapshot.started_at:,.0f} s.")
    st.markdown(f"Saved as **{snapshot.model_name}**")
    accuracy_column, loss_column, parameters_column = st.columns(3)
    accuracy_column.metric("Test accuracy", f"{snapshot.test_accuracy:.2%}")
    loss_column.metric("Test loss", f"{snapshot.test_loss:.4f}")
    parameters_column.metric("Parameters", f"{snapshot.parameter_count:,}")
    show_history_charts(snapshot.history)
    frame = history_frame(snapshot.history)
    st.dataframe(frame, width="stretch")
    csv_column, model_column = st.columns(2)
    csv_column.download_button(
        "Download the history (CSV)",
        frame.to_csv().encode("utf-8"),
        file_name=f"{snapshot.model_name}-history.csv",
        mime="text/csv",
        key="training_history_download",
    )
    try:
        model_bytes = store.get_entry(snapshot.model_name).model_path.read_bytes()
    except (FashionError, OSError) as error:
        model_column.error(f"The saved model file cannot be read: {error}")
        return
    model_column.download_button(
        "Download the model (.keras)",
        model_bytes,
        file_name=f"{snapshot.model_name}.keras",
        mime="application/octet-stream",
        key="training_model_download",
    )


def preset_key(architecture: str, preset_name: str) -> str:
    """The Train page's widget key suffix of an architecture's preset: tutorial_recommended_fast."""
    preset_slug = re.sub(r"[^a-z0-9]+", "_", preset_name.lower()).strip("_")
    return f"{architecture}_{preset_slug}"


def start_training_job(architecture: str, hyper_parameters, dataset, model_name: str | None = None) -> None:
    """Start a background training job, put its id in the URL and rerun; errors are shown, not raised."""
    from fashion.errors import FashionError, JobLimitError

    try:
        job = job_registry().start(architecture, hyper_parameters, dataset, model_name)
    except JobLimitError as error:
        st.error(str(error), icon=":material/hourglass_top:")
    except FashionError as error:
        st.error(str(error))
    else:
        st.query_params[JOB_QUERY_PARAMETER] = job.job_id
        st.rerun()


def current_job_id() -> str | None:
    """The job named in the URL, else the job running now, else None."""
    job_id = st.query_params.get(JOB_QUERY_PARAMETER)
    if job_id and job_registry().get(job_id) is not None:
        return job_id
    active = job_registry().active_jobs()
    return active[0].job_id if active else job_id


def start_model_page(title: str, page_name: str) -> tuple:
    """Title a page that needs the data set and a saved model; (dataset, models), else stop after saying why."""
    run_through_entry()
    st.title(title)
    dataset = dataset_or_error()
    models = saved_models()
    if dataset is None:
        st.stop()
    if not models:
        no_model_panel(page_name)
        st.stop()
    return dataset, models


def no_model_panel(page_name: str) -> None:
    """Say that no model exists yet and offer one click to train the tutorial model."""
    from fashion.models import presets

    dataset = dataset_or_error()
    st.info(
        "No model has been trained yet. Train the tutorial's network with the recommended settings (about 15 seconds on two CPU cores):"
    )
    job_id = current_job_id()
    busy = bool(job_registry().active_jobs())
    clicked = st.button(
        "Train the tutorial model", key=f"{page_name}_train_tutorial", type="primary", disabled=busy
    )
    if clicked and dataset is not None:
        start_training_job("tutorial", presets("tutorial")["Recommended (fast)"], dataset)
    if job_id:
        show_job(job_id)
